"""The spool keeps every appended record, in order, across processes and failed drains."""

from __future__ import annotations

import multiprocessing

import pytest

from dispatcher.spool import Spool


def test_records_drain_in_the_order_they_were_appended(tmp_path):
    spool = Spool(tmp_path)
    for n in range(5):
        spool.append({"n": n})
    seen = []
    assert spool.drain(seen.append) == 5
    assert [r["n"] for r in seen] == list(range(5))
    assert spool.stats().records == 0
    spool.append({"n": 5})  # the writer notices its segment was taken and starts a new one
    spool.drain(seen.append)
    assert seen[-1] == {"n": 5}


def test_a_failed_submit_keeps_the_rest_for_the_next_drain(tmp_path):
    spool = Spool(tmp_path)
    for n in range(4):
        spool.append({"n": n})
    seen = []
    down = [True]

    def flaky(record):
        if record["n"] == 2 and down:
            down.clear()
            raise ConnectionError("redis still down")
        seen.append(record)

    with pytest.raises(ConnectionError):
        spool.drain(flaky)
    assert spool.stats().records == 2
    spool.drain(flaky)
    assert [r["n"] for r in seen] == [0, 1, 2, 3]


def test_a_torn_last_line_is_skipped(tmp_path):
    spool = Spool(tmp_path)
    spool.append({"n": 1})
    segment = next(tmp_path.glob("*.jsonl"))
    with segment.open("ab") as handle:
        handle.write(b'{"n": 2, "te')  # a crash mid-write: never acknowledged
    seen = []
    spool.drain(seen.append)
    assert seen == [{"n": 1}]


def _append_many(directory, start, count):
    spool = Spool(directory)
    for n in range(start, start + count):
        spool.append({"n": n})


def test_concurrent_writers_and_a_drainer_lose_nothing(tmp_path):
    writers = [
        multiprocessing.Process(target=_append_many, args=(tmp_path, w * 200, 200))
        for w in range(3)
    ]
    for process in writers:
        process.start()
    drained = []
    spool = Spool(tmp_path)
    while any(p.is_alive() for p in writers):
        spool.drain(drained.append)
    for process in writers:
        process.join()
    spool.drain(drained.append)
    numbers = sorted(r["n"] for r in drained)
    assert numbers == list(range(600))


def test_stats_count_records_and_age(tmp_path):
    spool = Spool(tmp_path)
    assert spool.stats().records == 0
    assert spool.stats().oldest_age_seconds is None
    spool.append({"n": 1})
    spool.append({"n": 2})
    stats = spool.stats()
    assert stats.records == 2
    assert stats.oldest_age_seconds is not None and stats.oldest_age_seconds >= 0

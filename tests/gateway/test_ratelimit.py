"""The per-client limits keep counting across a window boundary."""

from __future__ import annotations

from gateway import ratelimit


def test_a_burst_straddling_a_window_boundary_is_not_let_through_twice(runtime):
    def allow(key: str, now: float) -> bool:
        refusal = ratelimit.admit(
            runtime.redis,
            submission=key,
            limits=[ratelimit.Limit("t", "198.51.100.4", 2)],
            window_seconds=60,
            now=now,
        )
        return refusal is None

    start = 60 * 1_000_000
    assert allow("a", start + 58) and allow("b", start + 59)
    assert not allow("c", start + 61)  # a fixed window would have reset to zero here
    assert allow("a", start + 62)  # a repeat of an earlier submission never counts twice
    assert allow("d", start + 185)  # two windows later the slate is clean


def test_a_refusal_names_its_limit_and_the_exact_wait_and_counts_nowhere(runtime):
    address = ratelimit.Limit("citizen", "198.51.100.4", 3)
    text = ratelimit.Limit("text", "fingerprint", 2)

    def admit(key: str, now: float, *limits: ratelimit.Limit):
        return ratelimit.admit(
            runtime.redis, submission=key, limits=limits, window_seconds=600, now=now
        )

    assert admit("a", 1000.0, address, text) is None
    assert admit("b", 1100.0, address, text) is None
    refused = admit("c", 1250.5, address, text)
    assert refused == ratelimit.Refusal(scope="text", retry_after=350)  # "a" leaves at 1600
    # The refused submission was counted under no limit: the address has room for one more.
    assert admit("d", 1300.0, address) is None
    assert admit("e", 1300.0, address) == ratelimit.Refusal(scope="citizen", retry_after=300)
    assert admit("c", 1600.5, address, text) is None  # "a" is out of both windows now


def test_failures_just_before_a_boundary_still_count_after_it(runtime, monkeypatch):
    clock = [60 * 1_000_000 + 59.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    args = {"scope": "login", "client": "198.51.100.5", "window_seconds": 60}
    for _ in range(3):
        ratelimit.record_failure(runtime.redis, **args)
    clock[0] += 2
    assert ratelimit.too_many_failures(runtime.redis, limit=3, **args)
    clock[0] += 120
    assert not ratelimit.too_many_failures(runtime.redis, limit=3, **args)


def test_the_wait_after_failures_is_until_they_stop_counting(runtime):
    args = {"scope": "secret-case", "client": "ABCDE12345", "window_seconds": 600}
    for _ in range(2):
        ratelimit.record_failure(runtime.redis, now=6000.0, **args)  # window 10
    assert ratelimit.failure_wait(runtime.redis, limit=3, now=6100.0, **args) == 0
    ratelimit.record_failure(runtime.redis, now=6100.0, **args)
    # Three in window 10 count through window 11, which ends at 7200.
    assert ratelimit.failure_wait(runtime.redis, limit=3, now=6100.0, **args) == 1100
    ratelimit.record_failure(runtime.redis, now=6700.0, **args)  # window 11
    assert ratelimit.failure_wait(runtime.redis, limit=3, now=7300.0, **args) == 0

"""The per-client limits keep counting across a window boundary."""

from __future__ import annotations

from gateway import ratelimit


def test_a_burst_straddling_a_window_boundary_is_not_let_through_twice(runtime):
    def allow(key: str, now: float) -> bool:
        return ratelimit.allow(
            runtime.redis,
            scope="t",
            client="198.51.100.4",
            submission=key,
            limit=2,
            window_seconds=60,
            now=now,
        )

    start = 60 * 1_000_000
    assert allow("a", start + 58) and allow("b", start + 59)
    assert not allow("c", start + 61)  # a fixed window would have reset to zero here
    assert allow("a", start + 62)  # a repeat of an earlier submission never counts twice
    assert allow("d", start + 185)  # two windows later the slate is clean


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

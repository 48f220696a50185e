"""The spool drainer: a daemon thread that re-submits this host's spool once Redis is back.

Every process that may spool runs one (each web worker, each rq worker, `satupintu up`), so a
record spooled during a Redis outage is queued within seconds of Redis answering again, on
whatever mix of processes a deployment runs. The spool's drain lock lets one drain at a time;
the others find it held and wait for the next round. `satupintu spool drain` does one round
by hand.
"""

from __future__ import annotations

import logging
import threading

import redis

from dispatcher.runtime import Runtime
from dispatcher.submit import drain_spool

log = logging.getLogger(__name__)

DRAIN_EVERY_SECONDS = 2.0


class SpoolDrainer:
    """Drains ``runtime.spool`` every ``every`` seconds until stopped."""

    def __init__(self, runtime: Runtime, every: float = DRAIN_EVERY_SECONDS) -> None:
        self.runtime = runtime
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="spool-drainer", daemon=True)
        self._waiting = False

    def start(self) -> SpoolDrainer:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run_once(self) -> int:
        """One round: how many records went back to Redis (0 if none or Redis is away)."""
        try:
            drained = drain_spool(self.runtime.redis, self.runtime.spool)
        except redis.RedisError as exc:
            if not self._waiting:
                log.warning("spool drain waiting for Redis (%s)", type(exc).__name__)
                self._waiting = True
            return 0
        self._waiting = False
        if drained:
            log.info("spool: %d record(s) re-submitted", drained)
        return drained

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.run_once()
            except Exception:  # a bug must not end the thread: the spool would stay full
                log.exception("spool drain failed; next round tries again")

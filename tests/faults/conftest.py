"""Fixtures for breaking things on purpose: real `satupintu worker` processes to kill."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faults.harness import Service


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """Start child processes; all are stopped at the end (pytest shows their logs on failure)."""
    started: list[Service] = []

    def start(argv: list[str], env: dict[str, str], name: str) -> Service:
        service = Service(argv, env, tmp_path / f"{name}.log").start()
        started.append(service)
        return service

    def stop_all() -> None:
        while started:
            service = started.pop(0)
            service.stop(timeout=20)
            print(f"--- {service.log.name} (last 3000 characters)\n{service.output()[-3000:]}")

    start.stop_all = stop_all  # type: ignore[attr-defined]
    yield start
    stop_all()

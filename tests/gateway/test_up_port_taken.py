"""`satupintu up` on a port another program holds: one clear message, no password, no loop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from gateway.cli.supervisor import port_taken

pytestmark = pytest.mark.slow


def test_up_refuses_a_taken_port_before_anything_starts(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")} | {
            "SATUPINTU_DATA_DIR": str(tmp_path / "var"),
            "SATUPINTU_PORT": str(port),
        }
        done = subprocess.run(
            [sys.executable, "-m", "gateway.cli", "up"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"Port {port} di 127.0.0.1 sudah dipakai" in output
    assert "already in use" in output and "SATUPINTU_PORT" in output
    # Nothing was started: no banner, no one-time password, no restarts.
    assert "kata sandi" not in output.lower() and "password" not in output.lower()
    assert "restarting" not in output
    assert not (tmp_path / "var" / "satupintu.db").exists()


def test_a_free_port_and_a_port_in_time_wait_are_free():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert port_taken("127.0.0.1", port) is None


def test_an_unknown_host_is_named():
    assert "SATUPINTU_HOST" in port_taken("no-such-host.invalid", 8000)

"""What every browser test shares: Debian's Chromium driven by Playwright, and the app on a
real socket.

Playwright never downloads a browser here: it launches /usr/bin/chromium (CI installs it with
`apt-get install -y chromium`). Without it, or without playwright, a browser test skips and
says why; under CI (``CI`` set, as .ci/run does) it fails instead, as the Kannel test does:
CI can install both, so nothing there may be skipped.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from console_support import PASSWORD
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def chromium_or_skip(chromium: Path = CHROMIUM):
    """playwright's sync API, once Chromium is there; else skip (fail under CI) saying why."""
    reason = ""
    try:
        from playwright import sync_api
    except ImportError:
        reason = "playwright is not installed (pip install -e '.[test]')"
    if not reason and not chromium.exists():
        reason = f"Debian's Chromium is not installed ({chromium}): apt-get install -y chromium"
    if not reason:
        return sync_api
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI must run the browser tests)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server_port() -> int:
    return free_port()


@pytest.fixture
def live_url(server_port: int) -> str:
    """Where the live server answers (known before it starts: settings may need it)."""
    return f"http://127.0.0.1:{server_port}"


@pytest.fixture
def live_server(app, server_port: int, live_url: str) -> Iterator[str]:
    """The app on a real socket (werkzeug, threaded), sharing the test's runtime."""
    server = make_server("127.0.0.1", server_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield live_url
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def browser():
    sync_api = chromium_or_skip()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def log_in(live_server: str) -> Callable[..., None]:
    """Sign a page in to the console as ``username`` (the test accounts' password)."""

    def sign_in(page, username: str, password: str = PASSWORD) -> None:
        page.goto(live_server + "/console/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()

    return sign_in


@pytest.fixture
def require_chromium() -> Callable[..., object]:
    """``chromium_or_skip`` itself, for the test of what it does without Chromium."""
    return chromium_or_skip

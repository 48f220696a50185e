"""A real HTTP server on 127.0.0.1 in a thread: the shared plumbing of our provider fakes.

A fake subclasses ``LocalServer`` and implements ``_handle(handler)`` for every request; it
gets start/stop, the context manager and ``url`` from here.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LocalServer:
    # HTTP/1.1 keeps connections alive, as requests' sessions expect; 1.0 closes each one.
    protocol_version = "HTTP/1.0"

    _server: ThreadingHTTPServer | None = None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError  # every fake answers its own wire format

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = fake.protocol_version

            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def do_PUT(self) -> None:  # X's PUT /2/webhooks/:id
                fake._handle(self)

            def do_DELETE(self) -> None:  # X's DELETE /2/webhooks/:id and friends
                fake._handle(self)

            def log_message(self, *_args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

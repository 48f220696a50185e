"""A stand-in for Twilio's Messages API on 127.0.0.1, so notify jobs send for real.

It answers every ``POST /2010-04-01/Accounts/<sid>/Messages.json`` with 201 and a message
resource, as Twilio does, without checking much: the benchmark measures our side. Run as
``python -m benchmarks.fake_twilio --port N`` (a process of its own, so its work is not
charged to the load generator).
"""

from __future__ import annotations

import argparse
import json
import secrets
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        if not self.path.endswith("/Messages.json"):
            self._answer(404, {"code": 20404, "message": "not found", "status": 404})
            return
        account = self.path.split("/")[3] if self.path.count("/") >= 4 else ""
        self._answer(
            201,
            {
                "sid": "SM" + secrets.token_hex(16),
                "account_sid": account,
                "to": form.get("To", [""])[0],
                "from": form.get("From", [""])[0] or None,
                "messaging_service_sid": form.get("MessagingServiceSid", [None])[0],
                "body": form.get("Body", [""])[0],
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "error_code": None,
                "error_message": None,
            },
        )

    def _answer(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:  # quiet
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()

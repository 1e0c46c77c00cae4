"""A webhook on 127.0.0.1 that records what is posted to it: real HTTP, in a thread."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# The hook's token, as Slack puts it in a webhook's path: it must never be shown.
TOKEN = "T0K3N-d0-n0t-5h0w"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Receiver:
    """Answers 200 on /ok/..., 500 on /broken/..., and on /slow/... only once released."""

    port: int
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, answer: str = "ok") -> str:
        return f"http://127.0.0.1:{self.port}/{answer}/services/{TOKEN}"

    def bodies(self) -> list[Any]:
        return [request.body for request in self.received]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"null")
        receiver = self.server.receiver
        receiver.received.append(Received(self.path, dict(self.headers.items()), body))
        if self.path.startswith("/slow/"):
            receiver.release.wait(60)
        status = 500 if self.path.startswith("/broken/") else 200
        answer = b"no_service" if status == 500 else b"ok"
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads what was received, not a log on stderr."""


class _Server(ThreadingHTTPServer):
    receiver: Receiver

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up waiting (the timeout test) broke its connection, as it
        should: nothing for the test's output."""


@contextmanager
def receiving() -> Iterator[Receiver]:
    """A receiver listening on a free port until the block ends (a slow answer is released)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = Receiver(port=server.server_address[1])
    # Polled often, so that stopping it costs a test next to nothing.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server.receiver
    finally:
        server.receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join()

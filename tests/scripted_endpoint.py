"""A scripted OpenAI-compatible server on 127.0.0.1: streams the replies it is given, in order.

For tests that need a real HTTP endpoint (`--endpoint`) saying exactly what a test wants, such
as escape sequences a real model would rarely write. The last reply repeats once the queue is
down to one, so repair rounds get an answer too.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PIECE = 7  # characters per streamed delta: replies arrive in several pieces, as from a model


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append(body)
        if body.get("stream") is False and self.server.status == 200:
            self._complete(body)
            return
        reply = self.server.next_reply()
        if self.server.status != 200 or self.server.raw:  # an error page, a broken stream
            self.send_response(self.server.status)
            self.end_headers()
            self.wfile.write(reply.encode())
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for start in range(0, len(reply), PIECE):
            delta = {"choices": [{"delta": {"content": reply[start : start + PIECE]}}]}
            self.wfile.write(f"data: {json.dumps(delta)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def _complete(self, body: dict[str, Any]) -> None:
        """A non-streamed answer: min(n, the server's `most_choices`) replies, one per choice."""
        n = min(int(body.get("n", 1)), self.server.most_choices)
        choices = [
            {"index": i, "message": {"role": "assistant", "content": self.server.next_reply()}}
            for i in range(n)
        ]
        data = json.dumps({"object": "chat.completion", "choices": choices}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        """Quiet: no request log on the test's stderr."""


class _Server(ThreadingHTTPServer):
    def __init__(
        self,
        replies: list[str],
        status: int,
        heard: list[dict[str, Any]] | None = None,
        most_choices: int = 1,
        raw: bool = False,
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.raw = raw  # the reply is the response body as it is, not a stream of it
        self.replies, self.status = list(replies), status
        self.most_choices = most_choices  # 1: `n` is ignored, as many servers do
        self.requests: list[dict[str, Any]] = [] if heard is None else heard
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def next_reply(self) -> str:
        with self.lock:
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


@contextmanager
def scripted_endpoint(
    *replies: str, status: int = 200, heard: list[dict[str, Any]] | None = None,
    raw: bool = False,
) -> Iterator[str]:  # fmt: skip
    """Serve the replies on 127.0.0.1 (as error pages unless status is 200, as bodies as they
    are with `raw`); yields the URL.

    Each request's JSON body is appended to `heard`, when given: the prompts a client sent.
    """
    with scripted_server(*replies, status=status, heard=heard, raw=raw) as server:
        yield server.url


@contextmanager
def scripted_server(
    *replies: str,
    status: int = 200,
    heard: list[dict[str, Any]] | None = None,
    most_choices: int = 1,
    raw: bool = False,
) -> Iterator[_Server]:
    """The same, yielding the server: its `url` and the `requests` it was sent (parsed JSON).

    A non-streamed request gets min(`n`, `most_choices`) choices, each the next reply.
    """
    server = _Server(list(replies), status, heard, most_choices, raw)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def recording_endpoint(*replies: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Like scripted_endpoint, and also yields the requests received (a live list)."""
    with scripted_server(*replies) as server:
        yield server.url, server.requests

"""A scripted resident server: a real Unix socket speaking codeassist's protocol, no model.

It records every request and answers as told: `count_tokens` with a fixed rule, `generate`
with one shell command, `warm` with `warm_answer` (stats, or the error an older server gives).
"""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPLY = "```bash\nls -la\n```"
OLD_SERVER = {  # what a server without the op answers (serve/validate.py)
    "error": "bad request: unknown op 'warm' (one of generate, count_tokens, status, stop)",
    "hint": "see docs/protocol.md",
}
STATS = {"tokens": 1234, "reused": 812, "restored": 0, "evaluated": 422}


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        line = self.rfile.readline()
        if not line.endswith(b"\n"):
            return  # a liveness probe
        req = json.loads(line)
        self.server.requests.append(req)
        for answer in self.server.answers(req):
            self.wfile.write(json.dumps(answer).encode() + b"\n")


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    requests: list[dict[str, Any]]
    warm_answer: dict[str, Any]

    def answers(self, req: dict[str, Any]) -> list[dict[str, Any]]:
        op = req["op"]
        if op == "count_tokens":
            return [{"done": True, "tokens": len(req["text"].encode()) // 4 + 1}]
        if op == "generate":
            return [{"text": REPLY}, {"done": True, "stats": {}}]
        if op == "warm":
            return [self.warm_answer]
        return [{"done": True, "status": {}}]

    def ops(self, op: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["op"] == op]


@contextmanager
def scripted_server(path: Path, warm_answer: dict[str, Any] | None = None) -> Iterator[_Server]:
    """Serve on `path` until the block ends; `warm_answer` None: stats (STATS) for `warm`."""
    server = _Server(str(path), _Handler)
    server.requests = []
    server.warm_answer = warm_answer or {"done": True, "stats": STATS}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        path.unlink(missing_ok=True)

"""Generated code that writes a file, through the real CLI and a scripted OpenAI-style server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from codeassist.verify import sandbox
from tests.helpers.cli import run_cli

REQUEST = "write add(a, b)\nadd(1, 2) == 3"
# The reply, writing written.txt into the user's working directory by its full path too.
WRITER = """import os
try:
    open(os.path.join({cwd!r}, "written.txt"), "w").write("x")
except OSError:
    pass
open("written.txt","w").write("x")
def add(a,b): return a+b"""


class Scripted(BaseHTTPRequestHandler):
    """Answers every chat completion with WRITER as one streamed, fenced reply."""

    reply = ""

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        delta = {"choices": [{"delta": {"content": f"```python\n{self.reply}\n```"}}]}
        body = f"data: {json.dumps(delta)}\n\ndata: [DONE]\n\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    handler = type("Writer", (Scripted,), {"reply": WRITER.format(cwd=str(Path.cwd()))})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(sandbox.unavailable() is not None, reason="no sandbox here")
def test_the_example_runs_but_the_file_is_not_written(endpoint: str) -> None:
    proc = run_cli("gen", "--endpoint", endpoint, "--lang", "python", "--json", REQUEST)
    assert proc.returncode == 0, proc.stderr
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["python.examples"]["passed"], checks
    assert not (Path.cwd() / "written.txt").exists()


def test_without_a_sandbox_nothing_runs_and_doctor_says_how(endpoint: str) -> None:
    off = {"CODEASSIST_SANDBOX": "off"}
    proc = run_cli("gen", "--endpoint", endpoint, "--lang", "python", REQUEST, env=off)
    assert proc.returncode == 0, proc.stderr
    assert "python.examples: not run: no sandbox here" in proc.stderr
    assert "check failed" not in proc.stderr
    assert not (Path.cwd() / "written.txt").exists()
    doctor = run_cli("doctor", "--no-bench", env=off)
    row = next(line for line in doctor.stdout.splitlines() if line.startswith("sandbox"))
    assert "examples are not run" in row and "unprivileged user namespaces" in row

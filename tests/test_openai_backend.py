"""The OpenAI-compatible backend against a real llama.cpp server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from codeassist.backends.base import Message, Options
from codeassist.backends.openai import OpenAIBackend, chat_url
from codeassist.errors import Exit
from tests.helpers.cli import assert_clean_error, run_cli
from tests.scripted_endpoint import scripted_endpoint


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(shared_models: Path) -> Iterator[str]:
    gguf = next(shared_models.glob("smollm2*.gguf"))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/v1/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("llama_cpp.server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.model
def test_streams_several_pieces(server: str) -> None:
    backend = OpenAIBackend(server)
    msgs = [Message("user", "Count from one to ten in words.")]
    pieces = list(backend.stream(msgs, Options(max_tokens=40)))
    assert len(pieces) > 5
    assert "".join(pieces).strip()


@pytest.mark.model
def test_gen_through_the_endpoint(server: str) -> None:
    proc = run_cli("gen", "--endpoint", server, "--json", "a python function that adds two numbers")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["code"] and result["timings"]["tokens"] > 0


@pytest.mark.model
def test_endpoint_from_the_environment(server: str) -> None:
    proc = run_cli("gen", "python: add two numbers", env={"CODEASSIST_ENDPOINT": server})
    assert proc.returncode == 0 and proc.stdout.strip()


@pytest.mark.parametrize(
    "endpoint", ["http://h:1", "http://h:1/", "http://h:1/v1", "http://h:1/v1/chat/completions"]
)
def test_endpoint_forms(endpoint: str) -> None:
    assert chat_url(endpoint) == "http://h:1/v1/chat/completions"


BROKEN_STREAMS = [
    'data: 5\n\ndata: {"choices": [5]}\n\ndata: "text"\n\ndata: [DONE]\n\n',
    "<html><body><h1>Welcome to nginx!</h1></body></html>",
    '{"choices": []}',
]


@pytest.mark.parametrize("body", BROKEN_STREAMS)
def test_a_reply_that_is_no_chat_stream_is_one_line_not_empty_code(
    body: str, tmp_path: Path
) -> None:

    with scripted_endpoint(body, raw=True) as url:
        proc = run_cli("gen", "--endpoint", url, "--no-context", "--lang", "shell", "list files",
                       cwd=tmp_path, timeout=60)  # fmt: skip
    assert_clean_error(proc, Exit.BACKEND, "sent no chat completion stream")


def test_an_error_page_is_said_in_one_line_without_its_markup(tmp_path: Path) -> None:
    page = "<html>\n<head><title>501 Not Implemented</title></head>\n<body>\n<p>nope</p>\n</html>"
    with scripted_endpoint(page, status=501) as url:
        proc = run_cli("gen", "--endpoint", url, "--no-context", "--lang", "shell", "list files",
                       cwd=tmp_path, timeout=60)  # fmt: skip
    assert_clean_error(proc, Exit.BACKEND, "answered 501: 501 Not Implemented")
    assert "<" not in proc.stderr
    error = '{"error": {"message": "model not found", "code": 404}}'
    with scripted_endpoint(error, status=404) as url:
        proc = run_cli("gen", "--endpoint", url, "--no-context", "--lang", "shell", "list files",
                       cwd=tmp_path, timeout=60)  # fmt: skip
    assert_clean_error(proc, Exit.BACKEND, "answered 404: model not found")


def test_an_endpoint_that_is_not_a_url_is_a_usage_error() -> None:
    assert_clean_error(run_cli("gen", "--endpoint", "foo", "list files"), Exit.USAGE, "foo")


def test_a_password_in_the_endpoint_is_never_shown() -> None:
    # found by a new-user audit: `cannot reach http://user:pass@…` printed the password
    proc = run_cli("gen", "--endpoint", "http://ada:hunter2@127.0.0.1:1", "--json", "x")
    assert proc.returncode != 0
    assert "hunter2" not in proc.stderr + proc.stdout
    assert "http://ada:…@127.0.0.1:1/v1/chat/completions" in proc.stderr
    backend = OpenAIBackend("http://ada:hunter2@127.0.0.1:1/v1?api_key=sk-1")
    assert "hunter2" not in backend.name and "sk-1" not in backend.shown

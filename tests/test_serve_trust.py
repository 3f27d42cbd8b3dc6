"""A local client cannot crash or wedge the real `codeassist serve`, nor be told it is absent."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codeassist.backends import client
from codeassist.backends.base import Message, Options
from codeassist.serve import protocol
from tests.helpers.cli import SMALL_MODEL, codeassist_exe
from tests.test_serve import wait_listening

pytestmark = pytest.mark.model

ASK = [{"role": "user", "content": "Write a python function that adds two numbers."}]


def generate(**options: Any) -> dict[str, Any]:
    return {"op": "generate", "messages": ASK, "options": options}


@pytest.fixture
def served(short_home: Path) -> Iterator[tuple[Path, Path]]:  # noqa: F811 - the fixture above
    """A real server on the small model's default socket; yields its socket and its log."""
    path = protocol.socket_path(SMALL_MODEL)
    log = short_home / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [codeassist_exe(), "serve", "--model", SMALL_MODEL, "--idle-timeout", "300"],
            stdout=out, stderr=out, text=True,
        )  # fmt: skip
    wait_listening(path, proc)
    yield path, log
    proc.terminate()
    proc.wait(timeout=30)


def raw(path: Path, data: bytes, *, close_write: bool = True) -> bytes:
    """Send raw bytes on a fresh connection; everything the server answers before it closes."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(60)
        sock.connect(str(path))
        try:
            sock.sendall(data)
            if close_write:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before it was all read: the answer is waiting
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
        return b"".join(chunks)


def line(obj: object) -> bytes:
    return json.dumps(obj).encode() + b"\n"


def nested(levels: int) -> str:
    return "root ::= " + "(" * levels + '"a"' + ")" * levels


BAD = {
    "max_tokens null": line(generate(max_tokens=None)),
    "max_tokens 1e999": line(generate(max_tokens=0)).replace(b": 0}", b": 1e999}"),
    "max_tokens -1": line(generate(max_tokens=-1)),
    'max_tokens "5"': line(generate(max_tokens="5")),
    "max_tokens past n_ctx": line(generate(max_tokens=10**9)),
    "max_tokens NaN": line(generate(max_tokens=float("nan"))),
    "temperature 1e999": line(generate(temperature=float("inf"))),
    "seed 2**70": line(generate(seed=2**70)),
    "stop 5": line(generate(stop=5)),
    "stop x*10000": line(generate(stop=["x"] * 10_000)),
    "unknown option": line(generate(max_token=5)),
    "message without role": line({"op": "generate", "messages": [{"content": "hi"}]}),
    "JSON 100,000 deep": b'{"op":"generate","messages":' + b"[" * 100_000 + b"]" * 100_000 + b"}\n",
    "50 MB line": b'{"op":"count_tokens","text":"' + b"a" * 50_000_000 + b'"}\n',
    "grammar 20,000 deep": line(generate(max_tokens=4, grammar=nested(20_000))),
    "grammar of 10 MB": line(generate(max_tokens=4, grammar='root ::= "' + "a" * 10**7 + '"')),
    "garbage": b"\x00\xff\xfe not json {{{\n",
    "a JSON list": b"[1, 2, 3]\n",
    "unknown op": line({"op": "dance"}),
}


def test_every_bad_request_gets_one_error_line_and_the_server_keeps_answering(
    served: tuple[Path, Path],
) -> None:
    path, log = served
    good = line(generate(max_tokens=8))
    before = [json.loads(x) for x in raw(path, good).splitlines()]
    assert before[-1]["stats"]["generated"] == 8
    for name, request in BAD.items():
        answer = raw(path, request).splitlines()
        assert len(answer) == 1, (name, answer[:3])
        reply = json.loads(answer[0])
        assert set(reply) == {"error", "hint"} and reply["error"], (name, reply)
    assert raw(path, b'{"op": "gen', close_write=True) == b""  # a half line, then close
    after = [json.loads(x) for x in raw(path, good).splitlines()]
    text = [x for x in before if "text" in x]  # the prompt line counts what the cache held
    assert [x for x in after if "text" in x] == text and after[-1]["done"] is True
    assert protocol.call(path, {"op": "status"})["status"]["requests"] == 2
    text = log.read_text()
    assert "Traceback" not in text and "request failed: bad request" in text


def _client(start: Any, results: Any) -> None:
    """One `gen`-like process: find the server the way the CLI does, then ask for one token."""
    start.wait()
    backend = client.find(SMALL_MODEL)
    if backend is None:
        results.put("no server")
        return
    msgs = [Message("user", "Say hello.")]  # one prompt for all: each evaluates one token
    results.put("".join(backend.stream(msgs, Options(max_tokens=1))))


def test_a_burst_of_clients_while_busy_all_find_the_server_and_are_answered(
    served: tuple[Path, Path],
) -> None:
    """20 client processes connect at once while the server generates and, for a second, gets
    no CPU at all (SIGSTOP: a loaded machine): none may conclude that no server runs."""
    path, _ = served
    pid = protocol.call(path, {"op": "status"})["status"]["pid"]
    busy = threading.Thread(target=raw, args=(path, line(generate(max_tokens=16))))
    busy.start()
    deadline = time.monotonic() + 30
    while protocol.call(path, {"op": "status"})["status"]["active"] == 0:
        assert time.monotonic() < deadline, "the long generation did not start"
        time.sleep(0.01)

    clients = 20
    fork = multiprocessing.get_context("fork")  # separate processes, as real clients are
    start, results = fork.Barrier(clients + 1), fork.Queue()
    procs = [fork.Process(target=_client, args=(start, results)) for _ in range(clients)]
    for proc in procs:
        proc.start()
    os.kill(pid, signal.SIGSTOP)
    try:
        start.wait(timeout=60)  # all clients connect now, to a server that cannot accept
        time.sleep(1.0)
    finally:
        os.kill(pid, signal.SIGCONT)
    answers = [results.get(timeout=240) for _ in range(clients)]
    for proc in procs:
        proc.join(timeout=10)
    busy.join(timeout=60)
    assert "no server" not in answers, f"{answers.count('no server')} of {clients} saw no server"
    assert all(answers)

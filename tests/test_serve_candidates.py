"""`generate` with `n` through a real `codeassist serve` process, over its Unix socket."""

from __future__ import annotations

import dataclasses
import json
import socket
from pathlib import Path

import pytest

from codeassist.backends.base import Message, Options
from codeassist.backends.client import ClientBackend
from codeassist.errors import BackendError
from codeassist.serve import protocol
from tests.helpers.cli import SMALL_MODEL
from tests.test_serve import server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.model

CHAT = [
    Message("system", "You are a helpful coding assistant."),
    Message("user", "Write a python function that reverses a string."),
]
SAMPLED = Options(max_tokens=40, temperature=0.9, seed=21)


def raw(path: Path, request: dict[str, object]) -> list[dict[str, object]]:
    """One request line over a plain socket; every answer line until the server closes."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(path))
        sock.sendall(json.dumps(request).encode() + b"\n")
        data = b"".join(iter(lambda: sock.recv(65536), b""))
    return [json.loads(line) for line in data.splitlines()]


def test_n_answers_in_one_line_each_the_generation_at_its_seed(server: Path) -> None:  # noqa: F811
    request = {
        "op": "generate",
        "messages": protocol.messages_to_json(CHAT),
        "options": protocol.options_to_json(SAMPLED),
        "n": 3,
    }
    accepted, answer = raw(server, request)
    assert accepted == {"accepted": True} and answer["done"] is True
    candidates = answer["candidates"]
    assert isinstance(candidates, list) and len(candidates) == 3
    stats = answer["stats"]
    assert isinstance(stats, dict) and stats["generated"] > stats["steps"] > 0

    client = ClientBackend(server, SMALL_MODEL)
    assert client.complete_many(CHAT, SAMPLED, 3) == candidates
    assert client.last["reused"] >= client.last["evaluated"]  # the prompt came from the cache
    for i, text in enumerate(candidates):
        options = dataclasses.replace(SAMPLED, seed=SAMPLED.seed + i)
        assert "".join(client.stream(CHAT, options)) == text
        assert client.last["evaluated"] == 1  # sequence 0 still held exactly the prompt


def test_a_bad_n_is_refused_and_the_server_goes_on(server: Path) -> None:  # noqa: F811
    for n in (0, 9, "3", True, 2.0, None):
        request = {"op": "generate", "messages": protocol.messages_to_json(CHAT), "n": n}
        [answer] = raw(server, request)
        assert str(answer["error"]).startswith("bad request: n must be an integer from 1 to 8")
    client = ClientBackend(server, SMALL_MODEL)
    with pytest.raises(BackendError, match="max_candidates"):
        client.complete_many(CHAT, SAMPLED, 9)
    assert client.complete_many(CHAT, dataclasses.replace(SAMPLED, max_tokens=4), 2)

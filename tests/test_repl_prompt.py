"""The REPL sends the prompt `gen` sends: the repository's stable part in the system message,
byte for byte the same for every request of a language, so a server's prefix cache serves it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from codeassist.commands._ui import ReplView
from codeassist.pipeline.prompts import system_prompt
from codeassist.repl.loop import open_session
from tests.helpers.cli import run_cli
from tests.helpers.repos import make_repo
from tests.scripted_endpoint import scripted_server

REPLY = "```python\ndef total(xs):\n    return sum(xs)\n```"


def no_confirmation(question: str) -> str:
    raise AssertionError(f"nothing should be asked: {question}")


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    return make_repo(tmp_path / "repos")


def system_and_user(body: dict[str, Any]) -> tuple[str, str]:
    messages = body["messages"]
    assert [m["role"] for m in messages] == ["system", "user"]
    return messages[0]["content"], messages[1]["content"]


def test_repl_requests_share_the_stable_system_message_that_gen_sends(shop: Path) -> None:
    with scripted_server(REPLY) as server:
        out = io.StringIO()
        view = ReplView(Console(file=out, width=100, color_system=None))
        session = open_session(view, no_confirmation, language="python", model=None,
                               endpoint=server.url, cwd=shop)  # fmt: skip
        assert session.use_context  # inside a git repository, as gen
        assert session.handle("a function that adds up a list of invoice totals")
        assert session.handle("a function that makes a URL slug of a customer's name")
        gen = run_cli("gen", "--lang", "python", "--endpoint", server.url, "--json",
                      "--samples", "1", "--",
                      "a function that refunds an order", cwd=shop)  # fmt: skip
        assert gen.returncode == 0, gen.stderr
        assert "def total" in out.getvalue()
        first, second, by_gen = (system_and_user(body) for body in server.requests)
    system = first[0]
    assert system.startswith(system_prompt("python"))
    assert len(system) > len(system_prompt("python")) + 100  # the repository's overview is there
    assert second[0] == system  # byte for byte: the server's cached prefix serves the second
    assert by_gen[0] == system  # and gen's requests: one prefix for every front door
    stable = system[len(system_prompt("python")) :].strip()
    for user in (first[1], second[1]):
        assert stable not in user  # the stable part is sent once, before the request's own part
    assert "invoice totals" in first[1] and "URL slug" in second[1]


def test_context_off_sends_the_rules_alone(shop: Path) -> None:
    with scripted_server(REPLY) as server:
        view = ReplView(Console(file=io.StringIO(), width=100, color_system=None))
        session = open_session(view, no_confirmation, language="python", model=None,
                               endpoint=server.url, cwd=shop)  # fmt: skip
        session.handle("/context off")
        session.handle("a function that adds two numbers")
        assert len(server.requests) == 1
        system, _ = system_and_user(server.requests[0])
    assert system == system_prompt("python")


def test_slash_context_shows_the_stable_part_the_requests_carry(shop: Path) -> None:
    with scripted_server(REPLY) as server:
        out = io.StringIO()
        view = ReplView(Console(file=out, width=200, color_system=None))
        session = open_session(view, no_confirmation, language="python", model=None,
                               endpoint=server.url, cwd=shop)  # fmt: skip
        session.handle("a function that adds up a list of invoice totals")
        start = out.tell()
        session.handle("/context")
        system, _ = system_and_user(server.requests[0])
    shown = out.getvalue()[start:]
    assert "repository context: on" in shown
    first_line = system[len(system_prompt("python")) :].strip().splitlines()[0]
    assert first_line.strip() in shown

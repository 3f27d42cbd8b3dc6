"""The server keeps each repository's stable prompt prefix: reused, restored, saved, evicted.

A real `codeassist serve` on the small model, real git repositories, and requests sent the way
users send them (`codeassist gen --json` inside the repository), so the prompts are what the
context code and the prompt templates really make.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.backends.base import Message, Options
from codeassist.backends.client import ClientBackend
from codeassist.serve import protocol
from tests.helpers.cli import SMALL_MODEL, run_cli
from tests.helpers.repos import git
from tests.helpers.serving import python_repo, short_home, start, stop

pytestmark = pytest.mark.model


BUDGET = 400  # context_budget: a small repository's overview fits; prompts stay short
CONFIG = f'prefill = "off"\ncontext_budget = {BUDGET}\n'


@pytest.fixture
def short(small_model: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short CODEASSIST_HOME with the small model, used by the server and the CLI."""
    path = short_home(small_model)
    (path / "config").mkdir()
    (path / "config" / "config.toml").write_text(CONFIG)
    monkeypatch.setenv("CODEASSIST_HOME", str(path))
    monkeypatch.setenv("CODEASSIST_MODEL", SMALL_MODEL)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def server(short: Path) -> Iterator[subprocess.Popen[str]]:
    proc = start()
    yield proc
    if proc.poll() is None:
        stop(proc)


def gen(repo: Path, request: str) -> dict[str, int]:
    """`codeassist gen --json` in `repo`, as a user runs it; its prompt's token accounting."""
    proc = run_cli("gen", "--json", "--lang", "python", "--no-verify", "--max-tokens", "4",
                   request, cwd=repo)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout)["prompt_tokens"])


def system_message(repo: Path) -> Message:
    """The system message `gen` sends in `repo`: the language's text and the stable part."""
    from codeassist.context import stable_part
    from codeassist.pipeline import prompts

    stable = stable_part(repo, "python", BUDGET, count_tokens=_client().count_tokens)
    assert stable, "the repository gave no overview"
    return prompts.stable_messages("python", stable)[0]


def stable_tokens(repo: Path) -> int:
    """Tokens of that message's text: a lower bound of the prompt's stable prefix."""
    return _client().count_tokens(system_message(repo).content)


def _client() -> ClientBackend:
    return ClientBackend(protocol.socket_path(SMALL_MODEL), SMALL_MODEL)


def entries(home: Path) -> list[Path]:
    return sorted((home / "cache" / "prefix").rglob("*.state"))


def test_repositories_keep_their_prefixes_across_requests_and_restarts(
    server: subprocess.Popen[str], tmp_path: Path, short: Path
) -> None:
    a = python_repo(tmp_path / "a", "order")
    b = python_repo(tmp_path / "b", "invoice")
    first = gen(a, "a function that sums the order totals")
    second = gen(a, "a function that counts orders")
    assert first["restored"] == 0 and second["restored"] == 0
    assert second["reused"] >= stable_tokens(a) > 100  # kept in the KV cache
    assert second["evaluated"] < first["evaluated"] - 100

    assert gen(b, "a function that sums the invoices")["reused"] < 100  # only the fixed text
    back = gen(a, "a function that merges orders")
    assert back["restored"] >= stable_tokens(a)  # A's prefix came back from the store
    assert back["reused"] >= back["restored"]
    assert len(entries(short)) == 2

    stop(server)  # A was used last: a restarted server loads it, and keeps B on disk
    restarted = start()
    try:
        again = gen(b, "a function that counts invoices")
        assert again["restored"] >= stable_tokens(b)
    finally:
        log = stop(restarted)
    assert "Traceback" not in log


def test_a_commit_to_one_file_costs_only_what_follows_its_place(
    server: subprocess.Popen[str], tmp_path: Path
) -> None:
    repo = python_repo(tmp_path / "shop", "order", files=6)
    cold = gen(repo, "a function that sums the order totals")
    before = system_message(repo).content
    shown = [line[:-1] for line in before.splitlines() if line.endswith(".py:")]
    assert len(shown) >= 3 and shown == sorted(shown)
    edited = repo / shown[-2]  # its block is followed by another file's
    # A rewording of the same length: at a full budget a longer text could push the overview's
    # last-ranked definition (in an earlier file) out, a change before the edited file's place.
    edited.write_text(edited.read_text().replace("The order total", "The order count"))
    git(repo, "commit", "-qam", f"reword {shown[-2]}")
    after = system_message(repo).content
    head = before[: before.index(f"{shown[-2]}:")]
    assert after != before and after.startswith(head)  # the text changes from its place on

    warm = gen(repo, "a function that counts orders")
    assert warm["reused"] >= _client().count_tokens(head)  # all before the edited file's block
    assert 0 < warm["evaluated"] < cold["evaluated"] - _client().count_tokens(head) + 10


def test_warm_evaluates_the_prefix_without_generating(
    server: subprocess.Popen[str], tmp_path: Path, short: Path
) -> None:
    repo = python_repo(tmp_path / "shop", "order")
    path = protocol.socket_path(SMALL_MODEL)
    client = _client()
    system = [system_message(repo)]
    payload = {"op": "warm", "messages": protocol.messages_to_json(system)}
    lines = list(protocol.request(path, payload))
    assert len(lines) == 1 and lines[0]["done"] is True  # no text: nothing generated
    stats = lines[0]["stats"]
    assert set(stats) == {"tokens", "reused", "restored", "evaluated", "head"}
    assert stats["head"] == 0  # system messages only
    assert stats["tokens"] > client.count_tokens(system[0].content)
    assert stats["evaluated"] == stats["tokens"] and stats["restored"] == 0
    assert len(entries(short)) == 1  # saved

    again = client.warm(system)
    assert again["tokens"] == stats["tokens"] and again["evaluated"] <= 1

    asked = [*system, Message("user", "Request: count orders")]
    "".join(client.stream(asked, Options(max_tokens=4)))
    assert client.last["reused"] >= stats["tokens"] - 1
    assert client.last["restored"] == 0


def test_warm_is_validated_like_the_other_ops(server: subprocess.Popen[str]) -> None:
    from codeassist.errors import BackendError

    path = protocol.socket_path(SMALL_MODEL)
    for bad, words in (
        ({"op": "warm"}, "messages must be a list"),
        ({"op": "warm", "messages": [{"role": "system", "content": "x"}], "x": 1}, "unknown"),
        ({"op": "warm", "messages": [{"role": "user", "content": "x"}]}, "system messages"),
    ):
        with pytest.raises(BackendError, match=words):
            protocol.call(path, bad)

"""The model's part of a review: items per changed symbol, defensive parsing, budget, cache."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from codeassist.backends.base import Backend
from codeassist.backends.fake import FakeBackend
from codeassist.errors import ModelError
from codeassist.review import commitmsg, model
from codeassist.review.cache import Cache
from codeassist.review.diff import Change, FileChange, read_change
from codeassist.review.engine import Settings, review
from tests.helpers.cli import run_cli
from tests.helpers.repos import Repo

SOURCE = (
    "import os\n"  # 1
    "\n"
    "\n"
    "def total(items):\n"  # 4
    "    s = 0\n"
    "    for i in range(len(items) + 1):\n"  # 6: the bug
    "        s += items[i]\n"
    "    return s\n"
    "\n"
    "\n"
    "def name():\n"  # 11
    "    return os.getcwd()\n"  # 12
)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    r = Repo(tmp_path / "repo")
    r.commit(**{"calc.py": SOURCE.replace("len(items) + 1", "len(items)").replace("getcwd", "sep")})
    r.stage(**{"calc.py": SOURCE})
    return r


def with_backend(fake: Backend) -> Settings:
    return Settings(timeout=30, model_id="fake", backend=lambda: fake)


def test_each_changed_symbol_is_one_item_with_numbered_marked_lines(repo: Repo) -> None:
    [fc] = read_change(repo.root).files
    items = model.items(fc)
    assert [(i.symbol, i.first, i.last, sorted(i.changed)) for i in items] == [
        ("total", 4, 8, [6]), ("name", 11, 12, [12]),
    ]  # fmt: skip
    shown = items[0].render(fc.new_text.splitlines())
    assert shown.splitlines()[2] == "6 +     for i in range(len(items) + 1):"


def test_the_answer_is_parsed_defensively() -> None:
    item = model.Item("calc.py", "total", 4, 8, frozenset({6}))
    answer = (
        "Sure! Here are the bugs:\n"
        "6: warning: range(len(items) + 1) reads past the end of the list\n"
        "- line 7: error: index out of range when i == len(items)\n"
        "6: warning: range(len(items) + 1) reads past the end of the list\n"  # a repeat
        "99: warning: a line that is not in the item\n"
        "5: ok\n"  # too short to be a message
        "NONE\n"
    )
    found = model.parse_answer(item, answer)
    assert [(f.line, f.severity, f.check) for f in found] == [
        (6, "warning", "model"), (7, "warning", "model"),  # never more than a warning
    ]  # fmt: skip
    assert model.parse_answer(item, "NONE") == []
    assert model.parse_answer(item, "") == []


def test_model_findings_join_the_rules_and_the_cache_spares_a_second_run(repo: Repo) -> None:
    fake = FakeBackend.scripted("6: warning: off by one: range goes past the end", "NONE")
    cache = Cache()
    report = review(read_change(repo.root), with_backend(fake), cache)
    assert [(f.line, f.check) for f in report.findings] == [(6, "model")]
    assert len(fake.history) == 2  # one question per changed symbol
    assert "calc.py, total" in fake.history[0][0][1].content

    def no_model() -> Backend:
        raise AssertionError("the model must not be loaded for a cached file")

    again = review(
        read_change(repo.root), Settings(timeout=30, model_id="fake", backend=no_model), cache
    )
    assert again.findings == report.findings and again.cached == 1
    cache.close()


class SlowBackend(FakeBackend):
    def stream(self, messages, options):  # type: ignore[no-untyped-def]
        for piece in super().stream(messages, options):
            time.sleep(0.2)
            yield piece


def test_what_the_budget_does_not_cover_is_listed_by_symbol(repo: Repo) -> None:
    slow = SlowBackend.scripted("6: warning: a long answer that takes a while to stream out")
    report = review(
        read_change(repo.root), Settings(timeout=0.5, model_id="s", backend=lambda: slow)
    )
    assert [n.symbol for n in report.not_reviewed] == ["total", "name"]
    assert all(n.reason == "model: time budget of 0.5 s ran out" for n in report.not_reviewed)


def test_a_missing_model_skips_only_the_model_part(repo: Repo) -> None:
    def missing() -> Backend:
        raise ModelError("model qwen is not installed", hint="codeassist model install")

    report = review(read_change(repo.root), Settings(timeout=30, model_id="q", backend=missing))
    assert report.notes == ["model review skipped: model qwen is not installed"]


# --- commit messages --------------------------------------------------------------------


def change_of(*files: tuple[str, str]) -> Change:
    fcs = [FileChange(p, None, s, added=[(1, "x")]) for p, s in files]
    return Change(Path("."), fcs, "staged", None)


def test_a_valid_model_message_is_used_and_an_invalid_one_falls_back() -> None:
    change = change_of(("calc.py", "modified"))
    deadline = time.monotonic() + 10
    good = FakeBackend.scripted("fix(calc): stop reading past the end of the list")
    assert commitmsg.propose(change, good, deadline) == (
        "fix(calc): stop reading past the end of the list", "model",
    )  # fmt: skip
    chatty = FakeBackend.scripted("Here is a commit message for you!")
    assert commitmsg.propose(change, chatty, deadline) == ("chore: update calc.py", "rule")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ((("tests/test_a.py", "added"),), "test: add test_a.py"),
        ((("README.md", "modified"), ("docs/x.rst", "modified")), "docs: update README.md, x.rst"),
        ((("a.py", "deleted"),), "chore: remove a.py"),
        (
            tuple((f"m{i}.py", "modified") for i in range(5)),
            "chore: update m0.py, m1.py, m2.py and 2 more",
        ),
    ],
)
def test_the_fallback_message_follows_conventional_commits(
    files: tuple[tuple[str, str], ...], message: str
) -> None:
    assert commitmsg.fallback(change_of(*files)) == message
    assert commitmsg.VALID.match(message)


# --- the real small model ---------------------------------------------------------------


@pytest.mark.model
@pytest.mark.slow
def test_review_end_to_end_with_the_real_small_model(tmp_path: Path, small_model: Path) -> None:
    repo = Repo(tmp_path / "one")
    repo.commit(**{"calc.py": SOURCE.replace("len(items) + 1", "len(items)")})
    repo.stage(**{"calc.py": SOURCE})  # one changed symbol: total()
    args = ("review", "--json", "--model", "smollm2-135m", "--timeout", "300")
    proc = run_cli(*args, cwd=repo.root)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["notes"] == [] and data["not_reviewed"] == []
    for f in data["findings"]:  # whatever a 135M model says, it is well-formed and in range
        assert (f["path"], f["severity"]) == ("calc.py", "warning") and 4 <= f["line"] <= 8
    for name in small_model.parent.iterdir():  # gone: a load would end in a note
        name.unlink()
    again = json.loads(run_cli(*args, cwd=repo.root).stdout)  # unchanged: from the cache
    assert again["findings"] == data["findings"] and again["cached"] == 1
    assert again["notes"] == []  # the model was not even loaded

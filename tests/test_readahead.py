"""Reading ahead the docs of the commonest programs: what an idle server does, so that a
first request does not wait for `--help` in the sandbox (the server's part:
tests/test_warm_server.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeassist.shell import docs, readahead


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CODEASSIST_HOME", str(tmp_path / "home"))
    return tmp_path


def test_read_fills_the_cache_the_check_reads_and_unread_then_says_so(fresh_cache: Path) -> None:
    assert readahead.unread(["sort", "git", "no-such-program-here"]) == ["sort", "git"]
    assert readahead.read(["sort", "git"]) == 2
    assert readahead.unread(["sort", "git"]) == []
    sort = docs.resolve("sort")
    assert sort is not None and docs.is_cached(docs.Program(sort), "man")
    git = docs.resolve("git")
    assert git is not None and docs.is_cached(docs.Program(git, "log"), "man")  # man git-log


def test_a_script_that_is_never_asked_is_not_left_unread_forever(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a script whose text never mentions --help is not run: its doc is never cached, so
    # listing it as unread would start a read-ahead on every `cd`
    bin_dir = fresh_cache / "bin"
    bin_dir.mkdir()
    script = bin_dir / "find"
    script.write_text("#!/bin/sh\necho deployed\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    assert readahead.unread(["find"]) == []


def test_the_budget_stops_it(fresh_cache: Path) -> None:
    assert readahead.read(["sort", "cut"], budget_s=-1) == 0
    assert readahead.unread(["sort", "cut"]) == ["sort", "cut"]

"""A shell request's workspace facts come from files the user may not have written.

The facts (directory, listing, branch, tasks) may go to a remote model: task files and git's
own files are read only as small regular files inside the repository (never through a link out,
never a FIFO), names that are not UTF-8 are shown as \\xNN, secret values are redacted, and no
task file, however nested or repetitive, costs more than a moment. Real git repositories in
tmp_path; the installed `codeassist` in a subprocess where a user would see the result.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from codeassist.backends.base import estimate_tokens
from codeassist.ctx.tasks import MAX_FOUND, nox_sessions, tasks, tox_envs
from codeassist.ctx.workspace import GitState, git_branch, stable_facts
from tests.helpers.cli import run_cli
from tests.helpers.repos import git

TOKEN = "ghp_" + "a1B2c3D4" * 4 + "e5F6"  # shaped like a GitHub token: 36 characters after ghp_


def repo_at(path: Path) -> Path:
    """A fresh git repository at `path` on branch main."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    return path


def shell_context(repo: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`codeassist context --lang shell` run in `repo`: what a shell request would send."""
    return run_cli("context", "--lang", "shell", "list the files", cwd=repo, timeout=timeout)


def test_task_files_are_not_read_through_links_out_of_the_repository(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Makefile").write_text("leaked-target:\n\techo\n")
    (outside / "package.json").write_text('{"scripts": {"outside-LEAK": "x"}}')
    repo = repo_at(tmp_path / "repo")
    (repo / "Makefile").symlink_to(outside / "Makefile")
    (repo / "package.json").symlink_to(outside / "package.json")
    os.mkfifo(repo / "justfile")  # opened without blocking, then refused
    (repo / "build").mkdir()
    (repo / "build" / "tox.ini").write_text("[tox]\nenvlist = py312, lint\n")
    (repo / "tox.ini").symlink_to("build/tox.ini")  # a link inside the repository is followed
    sub = repo / "sub"
    sub.mkdir()
    (sub / "Makefile").symlink_to(outside / "Makefile")
    (sub / "noxfile.py").write_text("import nox\n@nox.session\ndef tests(s):\n    pass\n")

    assert tasks(repo, sub) == ["nox -s (sub/noxfile.py): tests", "tox -e (tox.ini): py312, lint"]
    done = shell_context(sub)
    assert done.returncode == 0, done.stderr
    assert "LEAK" not in done.stdout and "leaked" not in done.stdout
    assert "tox -e (tox.ini): py312, lint" in done.stdout


def test_git_files_that_are_fifos_or_links_out_give_no_branch(tmp_path: Path) -> None:
    """A FIFO at .git/HEAD (or as the .git file) hung every shell request; a link out showed
    the first bytes of the file it named as `detached at …`."""
    (tmp_path / "outside").write_text("0123456789-secret-bytes\n")
    linked = repo_at(tmp_path / "linked")
    (linked / ".git" / "HEAD").unlink()
    (linked / ".git" / "HEAD").symlink_to(tmp_path / "outside")
    assert git_branch(linked) == ""
    garbage = repo_at(tmp_path / "garbage")
    (garbage / ".git" / "HEAD").write_text("not-a-sha-nor-a-ref\n")
    assert git_branch(garbage) == ""

    fifo_head = repo_at(tmp_path / "fifo-head")
    (fifo_head / ".git" / "HEAD").unlink()
    os.mkfifo(fifo_head / ".git" / "HEAD")
    fifo_dot = tmp_path / "fifo-dot"
    fifo_dot.mkdir()
    os.mkfifo(fifo_dot / ".git")
    undecodable = tmp_path / "undecodable"
    undecodable.mkdir()
    (undecodable / ".git").write_bytes(b"gitdir: \xff\n")
    for repo in (linked, fifo_head, fifo_dot, undecodable):
        done = shell_context(repo, timeout=30)  # the FIFOs hung here, forever
        assert done.returncode == 0, done.stderr
        assert "Git branch" not in done.stdout and "secret" not in done.stdout


def test_names_that_are_not_utf8_are_shown_as_escapes(tmp_path: Path) -> None:
    """A file, a branch or the repository's own folder named with a byte that is not UTF-8
    made every shell request fail ("the input is not valid UTF-8")."""
    repo = repo_at(tmp_path / os.fsdecode(b"p\xffq"))
    (repo / os.fsdecode(b"a\xff.txt")).write_text("x\n")
    subprocess.run([b"git", b"checkout", b"-q", b"-b", b"b\xfex"], cwd=repo, check=True)
    git(repo, "config", "core.quotePath", "false")  # `git status` names the file raw
    git(repo, "add", "--", os.fsdecode(b"a\xff.txt"))

    done = shell_context(repo)
    assert done.returncode == 0, done.stderr
    assert "Working directory: " + str(tmp_path) + "/p\\xffq" in done.stdout
    assert "Git branch: b\\xfex" in done.stdout
    assert "Files here: a\\xff.txt" in done.stdout
    assert "Git working tree: 1 changed file." in done.stdout
    assert done.stdout.startswith("# " + str(tmp_path) + "/p\\xffq: shell, ")  # not \udcff


def _children() -> set[str]:
    pid = os.getpid()
    return set(Path(f"/proc/{pid}/task/{pid}/children").read_text().split())


def test_git_status_runs_while_other_work_is_done_and_is_reaped_either_way(
    tmp_path: Path,
) -> None:
    repo = repo_at(tmp_path / "r")
    (repo / "new.txt").write_text("x\n")
    assert GitState.start(repo).line() == "Git working tree: no changes to tracked files."
    git(repo, "add", "new.txt")  # untracked files are not looked for (they cost the most)
    before = _children()
    pending = GitState.start(repo)
    assert _children() - before  # running now, before anyone asks for its answer
    assert pending.line() == "Git working tree: 1 changed file."
    assert pending.line() == ""  # read once
    unread = GitState.start(repo)
    unread.close()  # the request failed before it needed the state
    assert _children() == before  # nothing left running, no zombie
    assert GitState.start(tmp_path).line() == ""  # not a repository: git never starts


def test_tox_factor_groups_stop_being_expanded_at_the_cap() -> None:
    """21 `{a,b}` groups made two million names (8 s, 330 MB); 26 ran out of memory."""
    names = tox_envs("[tox]\nenvlist = py" + "{a,b}" * 21 + ", lint\n")
    assert len(names) == MAX_FOUND
    assert names[:2] == ["py" + "a" * 21, "py" + "a" * 20 + "b"]
    too_long = "[tox]\nenvlist = py" + "{a,b}" * 3000 + ", lint\n"  # recursed too deep
    assert tox_envs(too_long) == ["lint"]


def test_a_tox_ini_of_blank_lines_or_unclosed_brackets_is_read_in_one_pass() -> None:
    """Patterns that reached past their line were tried again from every line: 250 KB of
    blank lines took 134 s, of `[testenv:` lines 27 s, an envlist of `{` 73 s."""
    for text in ("\n" * 60_000, "[testenv:a\n" * 12_000, "envlist = " + "{" * 60_000):
        started = time.perf_counter()
        assert tox_envs(text) == []
        assert time.perf_counter() - started < 1.0, text[:12]  # milliseconds now


def test_task_files_nested_too_deep_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"scripts": ' + "[" * 1000 + "]" * 1000 + "}")
    (tmp_path / "pyproject.toml").write_text("[tool.poe.tasks]\nx = " + "[" * 1000 + "]" * 1000)
    (tmp_path / "Makefile").write_text("test:\n\tpytest\n")
    assert tasks(tmp_path, tmp_path) == ["make (Makefile): test"]


def test_nox_sessions_are_found_in_one_pass() -> None:
    """Each `@nox.session` rescanned the decorators after it (and each unclosed `(` the rest
    of the file): 19,000 of them not followed by a `def` took 16 s."""
    text = "@nox.session\n" * 19_000 + "x = 1\n@nox.session\ndef last(s):\n    pass\n"
    text += "@nox.session(\n" * 19_000  # never closed
    started = time.perf_counter()
    assert nox_sessions(text) == ["last"]
    assert time.perf_counter() - started < 2.0  # milliseconds now; was quadratic
    noxfile = (
        "import nox\n\n@nox.session(python=['3.12'],\n    name='lint')\n@nox.parametrize('a', [1])"
        "\ndef check(s):\n    pass\n\n@nox.session\nx = 1\ndef helper():\n    pass\n\n"
        "@nox.session\n\n@other\ndef tests(s):\n    pass\n"
    )
    assert nox_sessions(noxfile) == ["lint", "tests"]  # code after a decorator: not a session


def test_secret_values_in_names_are_redacted_and_the_facts_stay_the_same(
    tmp_path: Path,
) -> None:
    repo = repo_at(tmp_path / "repo")
    git(repo, "checkout", "-q", "-b", f"feat-{TOKEN}")
    (repo / "Makefile").write_text(f"release-{TOKEN}:\n\techo\n")
    (repo / "package.json").write_text(json.dumps({"scripts": {f"publish-{TOKEN}": "x"}}))
    (repo / f"notes-{TOKEN}.txt").write_text("x\n")

    done = shell_context(repo)
    assert done.returncode == 0, done.stderr
    assert TOKEN not in done.stdout and TOKEN[4:] not in done.stdout
    for line in ("Git branch: feat-«redacted»", "make (Makefile): release-«redacted»",
                 "npm run (package.json): publish-«redacted»", "notes-«redacted»"):  # fmt: skip
        assert line in done.stdout, done.stdout
    facts = stable_facts(repo, repo, estimate_tokens)
    assert facts == stable_facts(repo, repo, estimate_tokens) and TOKEN not in facts

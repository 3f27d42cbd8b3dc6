"""A shell request's workspace facts come from files the user may not have written.

The facts (directory, listing, branch, tasks) may go to a remote model: task files and git's
own files are read only as small regular files inside the repository (never through a link out,
never a FIFO), names that are not UTF-8 are shown as \\xNN, secret values are redacted, and no
task file, however nested or repetitive, costs more than a moment. Real git repositories in
tmp_path; the installed `codeassist` in a subprocess where a user would see the result.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from codeassist.ctx.tasks import tasks
from tests.helpers.cli import run_cli
from tests.helpers.repos import git


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


def test_task_files_nested_too_deep_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"scripts": ' + "[" * 1000 + "]" * 1000 + "}")
    (tmp_path / "pyproject.toml").write_text("[tool.poe.tasks]\nx = " + "[" * 1000 + "]" * 1000)
    (tmp_path / "Makefile").write_text("test:\n\tpytest\n")
    assert tasks(tmp_path, tmp_path) == ["make (Makefile): test"]

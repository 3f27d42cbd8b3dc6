"""The pre-commit hook run by real `git commit`s in repositories that are not plain ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.cli import run_cli
from tests.helpers.repos import AWS_KEY, Repo

VENV_BIN = str(Path(sys.executable).parent)
CHANGE = {"a.py": f'breakpoint()\nKEY = "{AWS_KEY}"\n'}
FINDINGS = ("a.py:1: error: breakpoint() added", "a.py:2: error: AWS access key id added")


def hook_env(home: Path) -> dict[str, str]:
    """git with no user or system config, codeassist on PATH, the test's own home."""
    return {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
            "PATH": VENV_BIN + os.pathsep + os.environ["PATH"], "CODEASSIST_HOME": str(home),
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip


def git(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=hook_env(home), capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=120, check=False,
    )  # fmt: skip


def install(cwd: Path, home: Path) -> None:
    proc = run_cli("hook", "install", cwd=cwd, env=hook_env(home))
    assert proc.returncode == 0, proc.stderr


def reviewed(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 0, proc.stderr
    assert "skipped review" not in proc.stderr
    for line in FINDINGS:
        assert line in proc.stderr


def test_a_commit_that_adds_a_submodule_is_reviewed(tmp_path: Path, home: Path) -> None:
    other = Repo(tmp_path / "other")
    other.commit(**{"lib.py": "x = 1\n"})
    repo = Repo(tmp_path / "repo")
    install(repo.root, home)
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(other.root), "inner")
    repo.stage(**CHANGE)
    proc = git(repo.root, home, "commit", "-m", "feat: inner")
    reviewed(proc)
    assert "codeassist: not reviewed: inner: submodule (a commit of another repository)" in (
        proc.stderr
    )
    proc = run_cli("review", "--commit", "HEAD", "--no-model", cwd=repo.root, env=hook_env(home))
    assert proc.returncode == 0 and FINDINGS[0] in proc.stderr


def test_a_commit_in_a_sha256_repository_is_reviewed(tmp_path: Path, home: Path) -> None:
    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "--object-format=sha256", str(root)], check=True)
    install(root, home)
    Repo(root).stage(**CHANGE)
    reviewed(git(root, home, "commit", "-m", "feat: first"))


def test_diff_noprefix_does_not_hide_the_staged_change(tmp_path: Path, home: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.commit(**{"README.md": "# demo\n"})
    repo.git("config", "diff.noprefix", "true")
    install(repo.root, home)
    repo.stage(**CHANGE)
    reviewed(git(repo.root, home, "commit", "-m", "feat: a"))


def test_a_bare_repository_with_a_separate_work_tree_is_reviewed(
    tmp_path: Path, home: Path
) -> None:
    bare, work = tmp_path / "dotfiles.git", tmp_path / "home"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    install(bare, home)
    work.mkdir()
    (work / "a.py").write_text(CHANGE["a.py"])
    both = (f"--git-dir={bare}", f"--work-tree={work}")
    assert git(work, home, *both, "add", "a.py").returncode == 0
    reviewed(git(work, home, *both, "commit", "-m", "feat: dotfiles"))
    assert git(work, home, *both, "log", "--oneline").stdout.count("\n") == 1

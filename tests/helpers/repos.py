"""Throwaway git repositories: fixture copies for the context, and a scriptable one for reviews."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CONTEXT_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "context"
AWS_KEY = "AKIAZ7QWERTYUIOP2345"  # shaped like an AWS access key id: the secret rules flag it


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity; returns its stdout."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def make_repo(tmp_path: Path, name: str = "shop", *, use_git: bool = True) -> Path:
    """A copy of a fixture repository, committed to a fresh git repository when `use_git`."""
    repo = tmp_path / name
    shutil.copytree(CONTEXT_FIXTURES / name, repo)
    if use_git:
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "initial")
    return repo


class Repo:
    """A throwaway git repository with its own identity and no global config."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Test User")
        self.git("config", "user.email", "test@example.com")

    @property
    def env(self) -> dict[str, str]:
        return {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_EDITOR": "true"}

    def git(self, *args: str) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=self.root, env={**os.environ, **self.env},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return proc.stdout

    def write(self, path: str, content: str | bytes) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)

    def stage(self, **files: str | bytes) -> None:
        for path, content in files.items():
            self.write(path.replace("__", "/"), content)
        self.git("add", "-A")

    def commit(self, message: str = "change", **files: str | bytes) -> str:
        self.stage(**files)
        self.git("commit", "-q", "--no-verify", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

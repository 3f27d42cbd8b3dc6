"""Finding the repository as git does, and running git so that only its plain output comes back."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeassist.errors import UsageError

# Paths git reads from the environment (a hook gets them relative to its own directory).
_PATH_VARS = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
)  # fmt: skip
# The user's settings that would change what git prints for us: the plain format, always.
_PLAIN = (
    "-c", "core.quotePath=false", "-c", "diff.suppressBlankEmpty=false", "-c", "color.ui=never",
    "--literal-pathspecs", "--no-pager",
)  # fmt: skip


class GitFailed(Exception):
    """git said no; the message is its first line."""


def _absolute_env() -> dict[str, str]:
    return {var: os.path.abspath(os.environ[var]) for var in _PATH_VARS if os.environ.get(var)}


def open_repo(path: Path | None = None) -> Any:
    """The repository at `path` (or here); GIT_DIR and GIT_WORK_TREE count, as for git."""
    import git

    env_dir = os.environ.get("GIT_DIR")  # git exports it to hooks: `git --git-dir=… commit`
    where = Path(os.path.abspath(env_dir)) if env_dir else (path or Path.cwd())
    try:
        repo = git.Repo(where, search_parent_directories=not env_dir)
        repo.git.update_environment(**_absolute_env())
        repo.git.rev_parse("--git-dir")  # git itself may refuse it (owned by another user)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UsageError(
            f"not a git repository: {where}",
            hint="run it inside a git repository (git init makes one)",
        ) from None
    except git.GitCommandError as exc:
        said = str(exc.stderr).strip().strip("'").removeprefix("stderr: ").strip("'")
        first = said.splitlines()[0].removeprefix("fatal: ") if said else "git refused it"
        fix = next((line.strip() for line in said.splitlines() if "safe.directory" in line), "")
        raise UsageError(
            f"git refuses this repository: {first}",
            hint=f"if you trust it: {fix}" if fix else "run `git status` here to see why",
        ) from None
    return repo


@dataclass(frozen=True)
class Git:
    """git run in one repository's top directory, with the environment the repository came with."""

    root: Path  # the work tree; the git dir of a bare repository
    env: dict[str, str]

    @classmethod
    def of(cls, repo: Any) -> Git:
        tree = repo.working_tree_dir or os.environ.get("GIT_WORK_TREE") or repo.git_dir
        env = {**os.environ, **repo.git.environment(), **_absolute_env()}
        return cls(Path(os.path.abspath(tree)), env)

    def run(self, *args: str, stdin: bytes | None = None, ok: tuple[int, ...] = (0,)) -> bytes:
        proc = subprocess.run(
            ["git", *_PLAIN, *args], cwd=self.root, env=self.env, input=stdin,
            capture_output=True, check=False,
        )  # fmt: skip
        if proc.returncode not in ok:
            said = proc.stderr.decode(errors="replace").strip().splitlines()
            raise GitFailed(said[0].removeprefix("fatal: ") if said else f"git {args[0]} failed")
        return proc.stdout

    def resolve(self, rev: str) -> str | None:
        """The object `rev` names, or None."""
        if rev.startswith("-"):  # an option to rev-parse, not a revision
            return None
        return self.run("rev-parse", "-q", "--verify", rev, ok=(0, 1)).decode().strip() or None

    def commit(self, rev: str) -> str:
        """The commit `rev` names."""
        found = self.resolve(f"{rev}^{{commit}}")
        if found is None:
            raise GitFailed(f"unknown revision {rev!r}")
        return found

    def empty_tree(self) -> str:
        """The empty tree in this repository's object format (sha1, sha256); nothing written."""
        return self.run("hash-object", "-t", "tree", "--stdin", stdin=b"").decode().strip()

    def sizes(self, oids: list[str]) -> dict[str, int]:
        """Object sizes, without reading the objects; missing objects are left out."""
        if not oids:
            return {}
        out = self.run("cat-file", "--batch-check", stdin="".join(f"{o}\n" for o in oids).encode())
        found = (line.split() for line in out.decode().splitlines())
        return {f[0]: int(f[2]) for f in found if len(f) == 3}

    def blobs(self, oids: list[str]) -> dict[str, bytes]:
        """The contents of these objects, read by one git process."""
        if not oids:
            return {}
        out = self.run("cat-file", "--batch", stdin="".join(f"{o}\n" for o in oids).encode())
        data: dict[str, bytes] = {}
        pos = 0
        for oid in oids:
            end = out.index(b"\n", pos)
            head = out[pos:end].split()
            if len(head) != 3:  # "<oid> missing"
                pos = end + 1
                continue
            size = int(head[2])
            data[oid] = out[end + 1 : end + 1 + size]
            pos = end + 1 + size + 1
        return data

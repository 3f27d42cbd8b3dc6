"""Workspace facts for a shell request: the folder, the project's tasks and tools, git.

A shell command needs to know where it runs, not how the code is written. The facts come in
two parts: `stable` (the working directory and its listing, the tasks, the tools, the branch:
byte-identical while they do not change, so a server can keep them evaluated) and `volatile`
(changed files, ahead/behind: they move with every edit, so they go with the request).
Everything is read from a few small files and one `git status` with a timeout, which never
takes the index lock (`--no-optional-locks`: the widget warms in the background on `cd`).
Names that are not UTF-8 are shown as \\xNN, and secret values are redacted: the facts may go
to a remote model.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from codeassist.ctx import tasks as tasklist
from codeassist.ctx.files import read_regular, shown
from codeassist.secrets import redact_text

MAX_TOKENS = 400  # the stable facts never take more (a hard cap, counted with the caller's counter)
MAX_ENTRIES = 40  # names of the working directory listed at most
BIG_FILE = 1_000_000  # files at least this large show their size
GIT_TIMEOUT_S = 1.0
GIT_FILE_BYTES = 4096  # a larger HEAD or `.git` file is not git's
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
JUNK = frozenset(
    {".git", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".DS_Store"}
)
# Files that say which tools a project uses, in the order they are named.
TOOLS = (
    ("uv.lock", "uv"), ("poetry.lock", "poetry"), ("pdm.lock", "pdm"), ("Pipfile", "pipenv"),
    ("requirements.txt", "pip"), ("pyproject.toml", "pyproject.toml"), ("setup.py", "setup.py"),
    ("tox.ini", "tox"), ("noxfile.py", "nox"), ("package-lock.json", "npm"),
    ("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"), ("bun.lockb", "bun"),
    ("package.json", "node"), ("Cargo.toml", "cargo"), ("go.mod", "go"), ("Gemfile", "bundler"),
    ("pom.xml", "maven"), ("build.gradle", "gradle"), ("build.gradle.kts", "gradle"),
    ("CMakeLists.txt", "cmake"), ("meson.build", "meson"), ("Makefile", "make"),
    ("justfile", "just"), ("Taskfile.yml", "task"), ("Dockerfile", "docker"),
    ("Containerfile", "podman"), ("docker-compose.yml", "docker compose"),
    ("compose.yaml", "docker compose"), (".pre-commit-config.yaml", "pre-commit"),
    ("flake.nix", "nix"), (".github/workflows", "GitHub Actions"), (".gitlab-ci.yml", "GitLab CI"),
)  # fmt: skip

CountTokens = Callable[[str], int]


@dataclass(frozen=True)
class Workspace:
    """The facts a shell request carries: `stable` first in the prompt, `volatile` with it."""

    stable: str
    volatile: str


def workspace(root: Path, cwd: Path, count: CountTokens, cap: int = MAX_TOKENS) -> Workspace:
    """The facts of `cwd` inside the repository at `root`, the stable ones within `cap` tokens."""
    return Workspace(stable_facts(root, cwd, count, cap), git_state(root))


def stable_facts(root: Path, cwd: Path, count: CountTokens, cap: int = MAX_TOKENS) -> str:
    """Directory, listing, branch, tools and tasks: the same text while they are the same."""
    root, cwd = root.resolve(), cwd.resolve()
    head = [f"Working directory: {shown(str(cwd))}"]
    if cwd != root:
        head.append(f"Repository root: {shown(str(root))}")
    if branch := git_branch(root):
        head.append(f"Git branch: {branch}")
    if used := tools(root, cwd):
        head.append("Tools: " + ", ".join(used))
    tasks = tasklist.tasks(root, cwd)
    names = listing(cwd)
    for _ in range(12):  # halve the listing, then the tasks, until the cap holds
        text = _render(head, tasks, names)
        if count(text) <= cap:
            return text
        if len(names) > 4:
            names = names[: len(names) // 2] + [f"… {len(names) - len(names) // 2} more"]
        elif tasks:
            tasks = tasks[: len(tasks) // 2]
        else:
            head = head[:1]
    return ""


def _render(head: list[str], tasks: list[str], names: list[str]) -> str:
    """The facts as text, secret values redacted (a branch or a task may be named with one)."""
    lines = [*head]
    if tasks:
        lines.append("Project tasks:")
        lines.extend(f"  {task}" for task in tasks)
    if names:
        lines.append("Files here: " + "  ".join(names))
    return redact_text("\n".join(lines) + "\n")


def listing(cwd: Path, limit: int = MAX_ENTRIES) -> list[str]:
    """The names in `cwd`: files first (big ones with their size), then folders marked `/`."""
    try:
        entries = sorted(
            (e for e in os.scandir(cwd) if e.name not in JUNK),
            key=lambda e: (e.name.lower(), e.name),
        )
    except OSError:
        return []
    files, folders = [], []
    for entry in entries:
        try:
            if entry.is_dir():
                folders.append(shown(entry.name) + "/")
                continue
            size = entry.stat().st_size
        except OSError:
            size = 0
        files.append(shown(entry.name) + (f" ({size / 1e6:.0f} MB)" if size >= BIG_FILE else ""))
    names = files + folders
    if len(names) > limit:
        names = names[:limit] + [f"… {len(names) - limit} more"]
    return names


def tools(root: Path, cwd: Path) -> list[str]:
    """The tools the project's files say it uses (lock files, configs), each named once."""
    found: dict[str, None] = {}
    for folder in dict.fromkeys((root, cwd)):
        for marker, tool in TOOLS:
            if (folder / marker).exists():
                found.setdefault(tool)
        if any(folder.glob("requirements*.txt")):
            found.setdefault("pip")
    return list(found)


def git_branch(root: Path) -> str:
    """The checked-out branch from HEAD (no process), `detached at <sha>`, or ""."""
    head = _git_dir(root)
    text = _git_file(head, "HEAD") if head else ""
    if text.startswith("ref: refs/heads/"):
        return shown(text.removeprefix("ref: refs/heads/"))
    return f"detached at {text[:10]}" if _SHA.fullmatch(text) else ""


def _git_dir(root: Path) -> Path | None:
    """The repository's git folder (a worktree's `.git` file names it)."""
    dot = root / ".git"
    if dot.is_dir():
        return dot
    line = _git_file(root, ".git")
    if line.startswith("gitdir:"):
        return (root / line.removeprefix("gitdir:").strip()).resolve()
    return None


def _git_file(folder: Path, name: str) -> str:
    """The first line of a small regular file of git's; "" for a link, a FIFO, or none."""
    try:
        data = read_regular(folder, name, GIT_FILE_BYTES)
    except OSError:
        return ""
    return os.fsdecode(data.split(b"\n", 1)[0]).strip()  # bytes not UTF-8 kept, as in paths


def git_state(root: Path) -> str:
    """Changed files and ahead/behind, in one line; "" outside git or when git is slow."""
    return GitState.start(root).line()


class GitState:
    """`git status`, started now and read later (`line`), so that it runs while the caller
    does other work. Tracked files only: finding untracked files took most of its time (70 ms
    of 90 in Django, seconds in a monorepo), on every shell request's path to the model; the
    listing shows new files where the user stands."""

    def __init__(self, proc: subprocess.Popen[str] | None) -> None:
        self._proc = proc
        self._started = time.monotonic()

    @classmethod
    def start(cls, root: Path) -> GitState:
        if _git_dir(root) is None:
            return cls(None)
        argv = ["git", "--no-optional-locks", "-C", str(root), "status", "--porcelain=v2",
                "--branch", "--untracked-files=no"]  # fmt: skip
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, encoding="utf-8", errors="replace",
            )  # fmt: skip
        except OSError:
            return cls(None)
        return cls(proc)

    def line(self) -> str:
        """The state in one line; "" outside git, on git's failure, or past the time limit."""
        proc, self._proc = self._proc, None
        if proc is None:
            return ""
        left = max(0.0, GIT_TIMEOUT_S - (time.monotonic() - self._started))
        try:
            out, _ = proc.communicate(timeout=left)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return ""
        return _state_line(out) if proc.returncode == 0 else ""

    def close(self) -> None:
        """Stop git if its answer was not read (the request failed before it was needed)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
        if proc is not None:
            proc.communicate()


def _state_line(out: str) -> str:
    changed, ahead, behind = 0, "", ""
    for line in out.splitlines():
        if line.startswith("# branch.ab "):
            ahead, behind = (part.lstrip("+-") for part in line.split()[2:4])
        elif not line.startswith("#"):
            changed += 1
    state = (
        f"{changed} changed file{'s' * (changed != 1)}"
        if changed
        else "no changes to tracked files"
    )
    if ahead not in ("", "0") or behind not in ("", "0"):
        state += f", ahead {ahead or 0}, behind {behind or 0} of its upstream"
    return f"Git working tree: {state}."

"""A folder walk that honours every .gitignore on the way, as git does (outside git).

Also where git itself cannot list a repository (one it refuses: owned by another user, or one
too slow to list): then the repository's info/exclude and the user's core.excludesFile apply
as well (`git_excludes`). What the walk cannot honour: a core.excludesFile set only in the
system config (/etc/gitconfig) or in the repository's own config, which is not read.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

GIT_CONFIG_TIMEOUT_S = 5.0


def walk_tree(
    root: str,
    keep_file: Callable[[str], bool],
    keep_dir: Callable[[str], bool],
    stamps: dict[str, int],
    excludes: Sequence[str] = (),
) -> Iterator[str]:
    """Files under root that `keep_file` accepts, in folders `keep_dir` accepts, honouring
    .gitignore files and the `excludes` (gitignore-style files that apply from the root, below
    every .gitignore; the last one first); symlinked folders are not followed.

    Names are judged before paths are built: most entries of a large tree are dropped by name.
    `stamps` gets the change time of each folder read (taken before reading it) and of each
    .gitignore, by path, and of each of the `excludes`, by its absolute path.
    """
    base: list[tuple[str, Any]] = []
    for path in excludes:
        try:
            stamps[path] = os.stat(path).st_ctime_ns
        except OSError:
            stamps[path] = -1
        base.append(("", _spec(path)))
    stack: list[tuple[str, list[tuple[str, Any]]]] = [("", base)]
    while stack:
        rel, specs = stack.pop()
        folder = f"{root}/{rel}" if rel else root
        prefix = f"{rel}/" if rel else ""
        try:
            stamps[rel] = os.stat(folder).st_ctime_ns
            with os.scandir(folder) as scan:
                entries = list(scan)
        except OSError:
            stamps[rel] = -1  # unreadable: never reused
            continue
        if any(e.name == ".gitignore" for e in entries):
            ignore = prefix + ".gitignore"
            try:
                stamps[ignore] = os.stat(f"{root}/{ignore}").st_ctime_ns
            except OSError:
                stamps[ignore] = -1
            specs = [*specs, (rel, _spec(f"{root}/{ignore}"))]
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if not keep_dir(name):
                    continue
                if not (specs and _ignored(prefix + name, True, specs)):
                    stack.append((prefix + name, specs))
            elif keep_file(name) and not (specs and _ignored(prefix + name, False, specs)):
                yield prefix + name


def _spec(path: str) -> Any:
    import pathspec

    try:
        lines = Path(path).read_text("utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _ignored(path: str, is_dir: bool, specs: list[tuple[str, Any]]) -> bool:
    """Git's rule: the deepest .gitignore with a matching pattern decides (`!` re-includes)."""
    for base, spec in reversed(specs):
        rel = path[len(base) + 1 :] if base else path
        decided = spec.check_file(rel + "/" if is_dir else rel).include
        if decided is not None:
            return bool(decided)
    return False


def git_excludes(root: str) -> list[str]:
    """The exclude files git applies in the repository at `root`, existing ones only, the
    weakest first: the user's core.excludesFile, then the repository's info/exclude.

    Read directly, for a repository git will not list: `git config --global` reads the user's
    own file alone, and works in a repository git refuses.
    """
    found = [_user_excludes(), _info_exclude(root)]
    return [path for path in found if path and os.path.isfile(path)]


def _user_excludes() -> str | None:
    """core.excludesFile from the user's global git config, else git's default for it."""
    try:
        done = subprocess.run(
            ["git", "config", "--global", "--type=path", "--get", "core.excludesFile"],
            capture_output=True, timeout=GIT_CONFIG_TIMEOUT_S, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    configured = os.fsdecode(done.stdout.strip()) if done.returncode == 0 else ""
    if configured:
        return configured
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return os.path.join(xdg, "git", "ignore")


def _info_exclude(root: str) -> str | None:
    """The repository's info/exclude: in .git, or where a .git file (a linked worktree, a
    submodule) points, in the common folder of its worktrees."""
    git_dir = os.path.join(root, ".git")
    try:
        if not os.path.isdir(git_dir):
            with open(git_dir, "rb") as f:
                line = os.fsdecode(f.read(4096).split(b"\n", 1)[0].strip())
            if not line.startswith("gitdir:"):
                return None
            git_dir = os.path.join(root, line[len("gitdir:") :].strip())
        common = os.path.join(git_dir, "commondir")
        if os.path.isfile(common):
            with open(common, "rb") as f:
                git_dir = os.path.join(git_dir, os.fsdecode(f.read(4096).strip()))
    except OSError:
        return None
    return os.path.join(git_dir, "info", "exclude")

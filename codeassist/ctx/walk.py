"""A folder walk that honours every .gitignore on the way, as git does (outside git)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def walk_tree(
    root: str,
    keep_file: Callable[[str], bool],
    keep_dir: Callable[[str], bool],
    stamps: dict[str, int],
) -> Iterator[str]:
    """Files under root that `keep_file` accepts, in folders `keep_dir` accepts, honouring
    .gitignore files; symlinked folders are not followed.

    Names are judged before paths are built: most entries of a large tree are dropped by name.
    `stamps` gets the change time of each folder read (taken before reading it) and of each
    .gitignore, by path.
    """
    stack: list[tuple[str, list[tuple[str, Any]]]] = [("", [])]
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

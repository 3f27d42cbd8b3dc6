"""What a path argument points at, as far as the text of the command can tell."""

from __future__ import annotations

import re
from enum import Enum


class Where(Enum):
    ROOT = "the whole filesystem"
    SYSTEM = "a system path"
    HOME = "your home directory"
    USER_HOME = "a user's home directory"  # /home/NAME, /Users/NAME
    PARENT = "the parent directory"
    CWD = "everything in the current directory"
    UNSAFE_VAR = "a path built from a variable (if it is empty, this starts at /)"
    DYNAMIC = "paths computed when it runs"
    OUTSIDE = "files outside the current directory"
    HOME_FILES = "files in your home directory"
    TMP = "temporary files"
    HERE = "files under the current directory"


# whole trees that are the system, wherever in them a path points
_SYSTEM_TREES = frozenset({
    "bin", "sbin", "etc", "usr", "lib", "lib32", "lib64", "libx32", "boot", "sys", "proc",
    "dev", "System", "Library", "Applications", "private",
})  # fmt: skip
# top-level directories that are system paths themselves (their contents may be the user's)
_SYSTEM_TOPS = frozenset({"home", "var", "opt", "root", "srv", "mnt", "media", "run", "snap",
                          "Users", "Volumes", "tmp"})  # fmt: skip
_SYSTEM_SUBTREES = frozenset({("var", "lib"), ("var", "spool"), ("var", "db")})  # package state
# `~`, `$HOME`, `${HOME}` and `${HOME:?}`, `${HOME:-/x}`: the home directory (when set)
_HOME_WORD = re.compile(r"~|\$HOME|\$\{HOME(:?[-?=][^}]*)?\}")
_HOMES = frozenset({"home", "Users"})  # /home/NAME, /Users/NAME: someone's home directory
_WIDE = frozenset({"*", ".*", "**", "", "."})
_DISK_PREFIXES = ("sd", "hd", "vd", "xvd", "nvme", "mmcblk", "disk", "rdisk", "md", "dm-",
                  "mapper/", "loop", "nbd", "sr")  # fmt: skip
_HARMLESS_DEVICES = ("null", "zero", "stdout", "stderr", "stdin", "tty", "random", "urandom",
                     "full", "fd/", "shm/", "pts/")  # fmt: skip


def where(path: str) -> Where:
    """Classify a path argument, globs and `~`/`$HOME` included."""
    if path.startswith(("$(", "`")):
        return Where.DYNAMIC
    path = normalise(path)
    parts = path.split("/")
    absolute = path.startswith("/")
    while len(parts) > 1 and parts[-1] in _WIDE:
        parts.pop()  # `dir/`, `dir/*`, `dir/.` all mean dir (and everything in it)
    if not absolute:
        parts = [p for i, p in enumerate(parts) if not (p == "." and i == 0)] or ["."]
    head = parts[0]
    emptied = _emptied(parts)
    if emptied is not None:
        return emptied
    if absolute:
        return _absolute(parts[1:])
    if head in _WIDE and len(parts) == 1:
        return Where.CWD
    if _HOME_WORD.fullmatch(head) or (head.startswith("~") and "/" not in head):
        deeper = [p for p in parts[1:] if p not in _WIDE]
        return Where.HOME_FILES if deeper else Where.HOME
    if head == "..":
        return Where.PARENT if all(p in ("..", *_WIDE) for p in parts) else Where.OUTSIDE
    if head.startswith("$"):
        if head.startswith("${") and ":?" in head:
            return Where.DYNAMIC  # ${VAR:?} stops the shell when VAR is empty
        return Where.UNSAFE_VAR if "/" in path else Where.DYNAMIC
    return Where.HERE


def _emptied(parts: list[str]) -> Where | None:
    """What `/$f`, `~/$x` or `$HOME/$x` name when the variables after / or the home are empty:
    the root (said as a path built from a variable) or the home; None for other paths."""
    if not (parts[0] == "" or _HOME_WORD.fullmatch(parts[0])) or len(parts) < 2:
        return None
    rest = [p for p in parts[1:] if p not in _WIDE]
    if not rest or not all(_may_be_empty(p) for p in rest):
        return None
    return Where.UNSAFE_VAR if parts[0] == "" else Where.HOME


def _may_be_empty(part: str) -> bool:
    """A path part that is only a variable, unless `${VAR:?}` stops the shell when it is empty."""
    return re.fullmatch(r"\$(\w+|\{[^}]*\})", part) is not None and ":?" not in part


def normalise(path: str) -> str:
    """`a/./b` is a/b and `a/b/..` is a; `..` climbs out of a home word (`~/..` is /home), and
    above / stays at /. A leading `./` and a trailing `/` or `/.` are kept (they mean the
    directory itself, and what is in it), and so is `$DIR/..` (where DIR is, the line does
    not tell)."""
    parts = path.split("/")
    if ".." in parts and _HOME_WORD.fullmatch(parts[0]):
        parts = ["", "home", "\0", *parts[1:]]  # \0: the user's name
    out: list[str] = []
    for i, part in enumerate(parts):
        if part in (".", "") and 0 < i < len(parts) - 1:
            continue  # `a/./b` and `a//b` are a/b
        if part == ".." and out and out[-1] not in ("..", ".") and "$" not in out[-1]:
            if out != [""]:  # /.. is /
                out.pop()
            continue
        out.append(part)
    if out == [""]:
        return "/"
    joined = "/".join(out)
    if joined == "/home/\0" or joined.startswith("/home/\0/"):
        return "~" + joined[len("/home/\0") :]
    return joined or "."


def _absolute(parts: list[str]) -> Where:
    parts = [p for p in parts if p not in ("", ".")]
    if not parts or parts[0] in _WIDE:
        return Where.ROOT
    top = parts[0]
    if top in _HOMES and len(parts) == 2:
        return Where.USER_HOME
    if top in _SYSTEM_TREES:
        return Where.SYSTEM
    if top in _SYSTEM_TOPS and len(parts) == 1 or tuple(parts[:2]) in _SYSTEM_SUBTREES:
        return Where.SYSTEM
    if top == "tmp" or parts[:2] == ["var", "tmp"]:
        return Where.TMP
    return Where.OUTSIDE


def is_disk(path: str) -> bool:
    return path.startswith("/dev/") and path[5:].startswith(_DISK_PREFIXES)


def is_harmless_device(path: str) -> bool:
    return path.startswith("/dev/") and path[5:].startswith(_HARMLESS_DEVICES)

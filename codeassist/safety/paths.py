"""What a path argument points at, as far as the text of the command can tell."""

from __future__ import annotations

from enum import Enum


class Where(Enum):
    ROOT = "the whole filesystem"
    SYSTEM = "a system path"
    HOME = "your home directory"
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
_HOME_WORDS = ("~", "$HOME", "${HOME}")
_WIDE = frozenset({"*", ".*", "**", "", "."})
_DISK_PREFIXES = ("sd", "hd", "vd", "xvd", "nvme", "mmcblk", "disk", "rdisk", "md", "dm-",
                  "mapper/", "loop", "nbd", "sr")  # fmt: skip
_HARMLESS_DEVICES = ("null", "zero", "stdout", "stderr", "stdin", "tty", "random", "urandom",
                     "full", "fd/", "shm/", "pts/")  # fmt: skip


def where(path: str) -> Where:
    """Classify a path argument, globs and `~`/`$HOME` included."""
    if path.startswith(("$(", "`")):
        return Where.DYNAMIC
    parts = path.split("/")
    absolute = path.startswith("/")
    while len(parts) > 1 and parts[-1] in _WIDE:
        parts.pop()  # `dir/`, `dir/*`, `dir/.` all mean dir (and everything in it)
    if not absolute:
        parts = [p for i, p in enumerate(parts) if not (p == "." and i == 0)] or ["."]
    head = parts[0]
    if absolute:
        return _absolute(parts[1:])
    if head in _WIDE and len(parts) == 1:
        return Where.CWD
    if head in _HOME_WORDS or (head.startswith("~") and "/" not in head and head != "~"):
        deeper = [p for p in parts[1:] if p not in _WIDE]
        return Where.HOME_FILES if deeper else Where.HOME
    if head == "..":
        return Where.PARENT if all(p in ("..", *_WIDE) for p in parts) else Where.OUTSIDE
    if head.startswith("$"):
        if head.startswith("${") and ":?" in head:
            return Where.DYNAMIC  # ${VAR:?} stops the shell when VAR is empty
        return Where.UNSAFE_VAR if "/" in path else Where.DYNAMIC
    return Where.HERE


def _absolute(parts: list[str]) -> Where:
    parts = [p for p in parts if p not in ("", ".")]
    if not parts or parts[0] in _WIDE:
        return Where.ROOT
    top = parts[0]
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

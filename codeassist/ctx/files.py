"""Which files of a repository may be read: listing, skip rules and the secret filter.

In a git repository: tracked files plus untracked files git does not ignore. Elsewhere: a walk
that honours every .gitignore on the way (walk.py), and in a repository git will not list (one
it refuses) its info/exclude and the user's core.excludesFile too. Secrets are refused by
name before anything is read. Only regular files inside the root are read, never through a
symbolic link (`read_regular`).
"""

from __future__ import annotations

import errno
import fnmatch
import functools
import marshal
import os
import re
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from codeassist.ctx.walk import git_excludes, walk_tree

MAX_FILE_BYTES = 1 << 20  # larger files are generated or data, not code worth a prompt
# A walk is stored for reuse only if every folder's change time is this much older than the
# walk: a change in the same clock tick as the folder was read would otherwise go unseen.
RACY_NS = 2_000_000_000
GIT_TIMEOUT_S = 20.0  # `git ls-files` longer than this: walk the folders instead

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "vendor", "third_party", "dist", "build", ".venv",
    "venv", "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    "site-packages", ".eggs", ".next", ".nuxt", "bower_components", "coverage", "htmlcov",
    "target", ".terraform", ".ssh", ".gnupg", ".aws", ".azure", ".docker", ".kube",
})  # fmt: skip
SKIP_FILES = ("*.min.js", "*.min.css", "*.bundle.js", "*.pb.go", "*_pb2.py", "*.generated.*")
SECRET_FILES = (
    ".env", ".env.*", "*.env", ".envrc", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
    "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.kdbx", "*.asc", "*.gpg",
    ".netrc", "_netrc", ".npmrc", ".pypirc", ".pgpass", ".git-credentials", ".htpasswd",
    "credentials", "credentials.*", "*credentials*.json", "service-account*.json",
    "secrets.*", "*.secret", "*.secrets", "*.tfstate", "*.tfvars", "known_hosts",
    "authorized_keys",
)  # fmt: skip
_SECRET = re.compile("|".join(fnmatch.translate(p) for p in SECRET_FILES))
_SKIPPED = re.compile("|".join(fnmatch.translate(p) for p in SKIP_FILES))
SECRET_DIRS = frozenset({".ssh", ".gnupg", ".aws", ".azure", ".docker"})


def is_secret(path: str) -> bool:
    """True for paths that may hold credentials: they are never read, whatever git says."""
    parts = path.lower().split("/")
    return _SECRET.match(parts[-1]) is not None or not SECRET_DIRS.isdisjoint(parts[:-1])


def read_regular(root: Path, rel: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file `rel` under `root`, never through a symbolic link.

    Checked when read, not only when listed: a path whose file or folder became a link, a
    FIFO or a device since is refused with an OSError (and a FIFO never blocks the open).
    """
    parts = rel.split("/")
    if "" in parts or "." in parts or ".." in parts:
        raise OSError(errno.EINVAL, "not a plain repository path")
    fd = _open_below(root, parts)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if info.st_size > limit:
            raise OSError(errno.EFBIG, f"too large ({info.st_size / 1e6:.1f} MB)")
        chunks: list[bytes] = []
        size = 0
        while size <= limit and (chunk := os.read(fd, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise OSError(errno.EFBIG, "grew too large while read")
    return b"".join(chunks)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FILE_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _open_below(root: Path, parts: list[str]) -> int:
    """A descriptor for root/parts, each folder and the file opened without following links."""
    if not _NOFOLLOW or os.open not in os.supports_dir_fd:  # no openat: compare real paths
        path = os.path.join(root, *parts)
        if os.path.realpath(path) != os.path.join(os.path.realpath(root), *parts):
            raise OSError(errno.ELOOP, "a symbolic link; not followed")
        return os.open(path, _FILE_FLAGS)
    folder = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=folder)
            os.close(folder)
            folder = inner
        return os.open(parts[-1], _FILE_FLAGS | _NOFOLLOW, dir_fd=folder)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            raise OSError(errno.ELOOP, "a symbolic link; not followed") from None
        raise
    finally:
        os.close(folder)


def unreadable(exc: OSError) -> str:
    """The note for a file that could not be read."""
    return f"unreadable ({exc.strerror or exc})"


def unreadable_reason(root: str, rel: str, info: os.stat_result) -> str | None:
    """Why a listed path (its lstat `info`) is not read; None for a regular file.

    A link is never followed: one to a file inside the root leaves that file to be read under
    its own name (if it is listed), so only links that lead out or nowhere get a note.
    """
    if stat.S_ISLNK(info.st_mode):
        target = os.path.realpath(os.path.join(root, rel))
        if not os.path.exists(target):
            return "broken symbolic link; not read"
        if os.path.commonpath([target, os.path.realpath(root)]) != os.path.realpath(root):
            return "symbolic link to outside the repository; not read"
        return ""
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file; not read"
    return None


def shown(path: str) -> str:
    """A path as text that always encodes: bytes that are not UTF-8 written as \\xNN.

    For what is shown or sent (the context, notes); the path itself stays for reading.
    """
    return path.encode("utf-8", errors="surrogateescape").decode("utf-8", "backslashreplace")


def is_skipped(path: str) -> bool:
    """Generated and vendored files, and anything inside a skipped directory."""
    parts = path.split("/")
    return _SKIPPED.match(parts[-1]) is not None or not SKIP_DIRS.isdisjoint(parts[:-1])


@dataclass(frozen=True)
class Listing:
    """Repository-relative POSIX paths that may be read; whether they came from git."""

    paths: list[str]
    git: bool
    tree: bytes = b""  # a new walk to store and pass back next time; b"": nothing to store


def find_git_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def list_files(
    root: Path, wanted: Callable[[str], object] = bool, *, tree: bytes = b"", key: str = ""
) -> Listing:
    """Files under `root` whose name (last part) `wanted` accepts, secrets and skipped trees
    already taken out.

    Outside git, `tree` is the `Listing.tree` of an earlier walk made with the same `key`
    (what `wanted` accepts): while no folder, no .gitignore and no exclude file changed since
    (one stat each, no folder read), its paths are the answer.
    """
    paths = _git_files(root) if find_git_root(root) == root else None
    if paths is not None:
        keep = [p for p in paths if _kept(p.rsplit("/", 1)[-1], wanted)]
        return Listing([p for p in keep if not is_skipped(p) and not is_secret(p)], True)
    top = str(root)
    excludes = git_excludes(top) if os.path.lexists(f"{top}/.git") else []  # git refused it
    key = "\0".join([key, *excludes])
    reused = _reuse(top, tree, key)
    if reused is not None:
        return Listing(reused, False)
    started = time.time_ns()
    stamps: dict[str, int] = {}
    keep_file = functools.partial(_kept, wanted=wanted)
    walked = list(walk_tree(top, keep_file, _dir_kept, stamps, excludes))
    if max(stamps.values(), default=0) > started - RACY_NS:
        return Listing(walked, False)  # changed just now: walk again next time
    return Listing(walked, False, marshal.dumps((key, stamps, walked)))


def _reuse(root: str, tree: bytes, key: str) -> list[str] | None:
    """The paths of a stored walk whose folders and .gitignore files are all unchanged."""
    try:
        stored_key, stamps, paths = marshal.loads(tree) if tree else ("", {}, [])
    except Exception:  # noqa: BLE001 - damaged: walk again
        return None
    if not tree or stored_key != key:
        return None
    for rel, stamp in stamps.items():
        try:
            if os.stat(os.path.join(root, rel) if rel else root).st_ctime_ns != stamp:
                return None
        except OSError:
            return None
    return paths  # type: ignore[no-any-return]


def _kept(name: str, wanted: Callable[[str], object]) -> bool:
    """A file name that is wanted, neither generated nor a secret (folders checked apart)."""
    return bool(wanted(name)) and not _SKIPPED.match(name) and not _SECRET.match(name.lower())


def _dir_kept(name: str) -> bool:
    """A folder name that is neither skipped nor one that holds credentials."""
    return name not in SKIP_DIRS and name.lower() not in SECRET_DIRS


def _git_files(root: Path) -> list[str] | None:
    import subprocess  # not GitPython: importing it costs more than the listing

    try:
        out = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others",
             "--exclude-standard", "--deduplicate"],
            capture_output=True, check=True, timeout=GIT_TIMEOUT_S,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):  # not a usable repository: walk instead
        return None
    # Names as os.scandir gives them: bytes that are not UTF-8 kept (surrogateescape).
    return [os.fsdecode(p) for p in out.split(b"\0") if p]

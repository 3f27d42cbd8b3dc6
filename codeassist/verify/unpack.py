"""The tree a sandboxed run left, unpacked where nothing in it can reach outside its folder.

Each member goes through tarfile's `data` filter (Python 3.11.4 and later), which refuses
`..`, links out of the folder and devices (an absolute name, which it would make relative, is
refused before it). Python 3.11.0 to 3.11.3 (Debian 12's
3.11.2 among them) have no filters; there `safe` makes the same refusals itself.
"""

from __future__ import annotations

import copy
import os
import shutil
import tarfile
from contextlib import suppress
from pathlib import Path
from typing import Any

HAS_FILTERS = hasattr(tarfile, "data_filter")


def unpack(archive: Path | None, into: Path) -> None:
    """Unpack `archive` into a fresh `into`, member by member; permission bits are kept (of
    folders too, though the filter drops them; the owner's stay rwx, so it can be removed)."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    if archive is None or archive.stat().st_size == 0:
        return
    with tarfile.open(archive) as tar, suppress(tarfile.TarError):  # cut short: what came
        extract_all(tar, into)


def extract_all(tar: tarfile.TarFile, into: Path) -> None:
    """Every member `safe` lets through, unpacked into `into` (an sdist, a run's tree)."""
    dirs: list[tuple[Path, int]] = []  # their modes are set last, once their files are in
    try:
        for member in tar:
            kept = safe(member, into)
            if kept is not None:
                extract(tar, kept, into)
                if member.isdir():
                    dirs.append((into / kept.name, member.mode & 0o777 | 0o700))
    finally:
        for path, mode in reversed(dirs):
            with suppress(OSError):
                path.chmod(mode)


def safe(member: tarfile.TarInfo, into: Path) -> tarfile.TarInfo | None:
    """`member` as it may be unpacked into `into`, its mode the plain permission bits; None
    when it must not be (an absolute name, which the filter would only make relative, outside
    the folder, a link out of it, a device or fifo)."""
    if os.path.isabs(member.name):
        return None
    if not HAS_FILTERS:
        return _checked(member, into)
    try:
        kept = tarfile.data_filter(member, str(into))
    except tarfile.TarError:  # FilterError and its kinds
        return None
    return kept.replace(mode=member.mode & 0o777, deep=False) if kept.mode is not None else kept


def extract(tar: tarfile.TarFile, member: tarfile.TarInfo, into: Path) -> None:
    """Unpack one member that `safe` let through (no filter again: it was applied)."""
    options: dict[str, Any] = {"filter": "fully_trusted"} if HAS_FILTERS else {}
    tar.extract(member, into, set_attrs=True, **options)


def _checked(member: tarfile.TarInfo, into: Path) -> tarfile.TarInfo | None:
    """The `data` filter's refusals, for Pythons without it; owned by whoever unpacks it."""
    if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
        return None  # devices, fifos
    root = os.path.realpath(into)
    name = member.name.lstrip("/")
    if os.path.isabs(member.name) or not _inside(root, os.path.join(root, name)):
        return None
    if member.issym():
        if os.path.isabs(member.linkname):
            return None
        target = os.path.join(root, os.path.dirname(name), member.linkname)
        if not _inside(root, target):
            return None
    elif member.islnk() and not _inside(root, os.path.join(root, member.linkname)):
        return None
    kept = copy.copy(member)
    kept.name, kept.mode = name, member.mode & 0o777  # no setuid, setgid or sticky bits
    kept.uid, kept.gid, kept.uname, kept.gname = os.getuid(), os.getgid(), "", ""  # ours
    return kept


def _inside(root: str, path: str) -> bool:
    """Whether `path`, its links resolved, is `root` or under it."""
    real = os.path.realpath(path)
    return real == root or real.startswith(root + os.sep)

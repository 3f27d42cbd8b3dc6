"""The widget's block in a shell's rc file: added, replaced or removed, the rest left as it was.

The block is the lines from BEGIN to the next END. Install and uninstall find it with one
function, line by line: a marker line counts with blanks (spaces, tabs) around it and either
line end (CRLF: a file edited on Windows), anywhere in the file, also first after a UTF-8 BOM,
so uninstall removes exactly what install calls "already in". Only "\\n" ends a line: a lone
CR (old Mac line ends, a stray one) is part of its line, and one before a marker makes it no
marker, as it does for the shell (`$'\\r#': command not found`). Outside the block nothing
changes, byte for byte: the file is read as bytes (what is not UTF-8 comes back as it was,
a BOM stays) and keeps its own line ends. The block's lines (and the blank line before it)
end with LF whatever the file's: bash and zsh read a CR before it as part of the line, so a
CRLF block broke the shell at every start (`eval "$(…)"\r`: `parse error near 'fi^M'`).

Install puts the block after a blank line (or after the line end the last line lacked);
uninstall takes that blank line away with it, so install then uninstall gives the file back
exactly, except that a last line that lacked its line end keeps the one install gave it: the
same bytes come from a user who deleted the blank line, whose last line must keep its line end
(or a line added later, `echo … >> ~/.bashrc`, would join it). An rc file that held only the
widget is left empty, not deleted.

Each edit first makes a backup next to the file: `.bashrc.codeassist-backup`, then `-2`, `-3`…;
an older backup is never overwritten, and one that already holds the same bytes is not written
again. The new text then goes to a new file in the real file's folder (through a symlink, its
target's: the link stays a link to the same file), with its permission bits, flushed to disk,
and renamed over it: a failure midway (disk full, killed) leaves the file as it was. A file
with other names (hard links), or with another owner or group than ours, is rewritten in place
instead: a new file renamed over it would split it from its other names, or be ours. A
read-only file is refused.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import stat
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from codeassist.errors import InputError

BEGIN = "# >>> codeassist shell widget >>>"
END = "# <<< codeassist shell widget <<<"
BACKUP_SUFFIX = ".codeassist-backup"
NEW_SUFFIX = ".codeassist-new"  # the new text, before it is renamed over the file
BOM = "\ufeff"
BY_HAND = "add the line by hand instead (README: In your shell)"


class Change(Enum):
    ADDED = "added"
    UPDATED = "updated"  # a block with other keys (or another executable) was replaced
    UNCHANGED = "unchanged"
    REMOVED = "removed"
    ABSENT = "absent"


@dataclass(frozen=True)
class Edit:
    """What install or uninstall did to the rc file, and where the file as it was is kept."""

    rc: Path
    change: Change
    backup: Path | None = None

    @property
    def note(self) -> str:
        kept = f" (the file as it was: {self.backup})" if self.backup else ""
        new_shell = "; open a new shell to use it"
        return {
            Change.ADDED: f"added the widget to {self.rc}{kept}{new_shell}",
            Change.UPDATED: f"updated the widget in {self.rc}{kept}{new_shell}",
            Change.UNCHANGED: f"the widget is already in {self.rc}",
            Change.REMOVED: f"removed the widget from {self.rc}{kept}",
            Change.ABSENT: f"no widget in {self.rc}",
        }[self.change]


def install(rc: Path, line: str) -> Edit:
    """Add the block that runs `line`; a block already there that differs is replaced in place."""
    bom, text = _split_bom(_read(rc))
    blocks = find(text, rc)
    lines = [BEGIN, line, END]
    if not blocks:
        new, change = text + ("\n" if text else "") + "\n".join(lines) + "\n", Change.ADDED
    else:
        start, end = blocks[0]
        block = text[start:end]
        if len(blocks) == 1 and _marks(block) == lines and "\r\n" not in block:
            return Edit(rc, Change.UNCHANGED)  # (a CRLF block of an older install is mended)
        block = "\n".join(lines) + ("\n" if text.endswith("\n", start, end) else "")
        if _block_newline(text, start) == "\r\n" and text.endswith("\n\r\n", 0, start):
            start, block = start - 2, "\n" + block  # the blank line that install put there too
        cuts = [(start, end, block)] + _cuts(text, blocks[1:], floor=end)  # one block is enough
        new, change = _splice(text, cuts), Change.UPDATED
    return Edit(rc, change, _save(rc, bom + text, bom + new))


def uninstall(rc: Path) -> Edit:
    """Remove every block with the blank line install put before it."""
    bom, text = _split_bom(_read(rc))
    blocks = find(text, rc)
    if not blocks:
        return Edit(rc, Change.ABSENT)
    new = _splice(text, _cuts(text, blocks))
    return Edit(rc, Change.REMOVED, _save(rc, bom + text, bom + new))


def find(text: str, rc: Path) -> list[tuple[int, int]]:
    """(start, end) of each block: its BEGIN line to its END line, END's line end included
    (in `text` without its BOM)."""
    blocks: list[tuple[int, int]] = []
    begin: int | None = None
    for start, end in _lines(text):
        mark = _bare(text[start:end])
        if begin is None and mark == BEGIN:
            begin = start
        elif begin is not None and mark == END:
            blocks.append((begin, end))
            begin = None
    if begin is not None:
        raise InputError(
            f"{rc} has the codeassist widget's first marker line but not its last",
            hint=f"remove the lines from {BEGIN!r} on that codeassist added, or end them with "
            f"{END!r}, then try again",
        )
    return blocks


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, its "\\n" included (a lone CR does not end a line)."""
    spans, start = [], 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        spans.append((start, end))
        start = end
    return spans


def _bare(line: str) -> str:
    """The line without its line end (LF or CRLF) and the blanks (spaces, tabs) around it."""
    return line.removesuffix("\n").removesuffix("\r").strip(" \t")


def _marks(block: str) -> list[str]:
    """The block's lines without their blanks and line ends."""
    return [_bare(block[start:end]) for start, end in _lines(block)]


def _split_bom(text: str) -> tuple[str, str]:
    """The file's UTF-8 BOM ("" if none) and its text after it: the BOM is no part of a line."""
    bom = BOM if text.startswith(BOM) else ""
    return bom, text[len(bom) :]


def _block_newline(text: str, start: int) -> str:
    """The line end of the block at `start`: its BEGIN line's (CRLF in an older install's)."""
    end = text.index("\n", start)
    return "\r\n" if text[end - 1] == "\r" else "\n"


def _cuts(text: str, blocks: list[tuple[int, int]], floor: int = 0) -> list[tuple[int, int, str]]:
    """What removing each block deletes: its lines, and the blank line just before it that
    install put there (a line end alone, the block's own); never text before `floor`.

    Without that blank line (the user deleted it, or install added the line end the last line
    lacked) the line above keeps its line end: "x=1\\n" is the user's line, "\\r" the user's byte.
    """
    cuts = []
    for start, end in blocks:
        above = start - len(nl := _block_newline(text, start))
        blank = above >= floor and text.startswith(nl, above) and text.endswith("\n", 0, above)
        cuts.append((above if blank else start, end, ""))
        floor = end
    return cuts


def _splice(text: str, cuts: list[tuple[int, int, str]]) -> str:
    """`text` with each (start, end) range, in order and apart, replaced by its string."""
    out, at = [], 0
    for start, end, new in cuts:
        out += [text[at:start], new]
        at = end
    return "".join(out) + text[at:]


def _read(rc: Path) -> str:
    """The rc file's text ("" when missing); bytes that are not UTF-8 round-trip as they were."""
    try:
        if not rc.exists():
            return ""
        if not rc.is_file():
            raise InputError(
                f"cannot edit {rc}: it is not a regular file",
                hint=f"codeassist edits only a plain file: {BY_HAND}",
            )
        return rc.read_bytes().decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise InputError(
            f"cannot read {rc}: {exc.strerror or exc}",
            hint=f"check the file's and its folder's permissions, or {BY_HAND}",
        ) from exc


def _save(rc: Path, old: str, new: str) -> Path | None:
    """Write `new` over the file, after a backup of `old`; returns the backup."""
    _check_writable(rc)
    backup = _backup(rc, old.encode("utf-8", "surrogateescape")) if rc.exists() else None
    real = Path(os.path.realpath(rc))  # through a symlink, its target: the link stays one
    data, in_place = new.encode("utf-8", "surrogateescape"), False
    try:
        rc.parent.mkdir(parents=True, exist_ok=True)
        in_place = _in_place(real)
        (_rewrite if in_place else _replace)(real, data)
    except OSError as exc:
        if not in_place:
            kept = f"; {rc} is as it was"
        else:
            kept = f"; the file as it was is in {backup}" if backup else ""
        raise InputError(
            f"cannot write {rc}: {exc}",  # the path that failed: the file, or a folder above it
            hint=f"check the file and its folders, then try again{kept}",
        ) from exc
    return backup


def _in_place(real: Path) -> bool:
    """Whether the file must be rewritten where it is: a new file renamed over it would split
    it from its other names (hard links), or take our owner and group instead of its own."""
    try:
        st = real.stat()
    except FileNotFoundError:
        return False  # a new file: nothing to keep
    theirs = st.st_uid != os.geteuid() or st.st_gid != os.getegid()
    return st.st_nlink > 1 or theirs


def _rewrite(real: Path, data: bytes) -> None:
    """Write `data` over the file itself (a failure midway leaves it cut short)."""
    with open(real, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _replace(real: Path, data: bytes) -> None:
    """Write `data` to a new file next to `real`, with its permission bits, and rename it over
    `real`: a failure midway leaves `real` as it was, and no new file."""
    mode = stat.S_IMODE(real.stat().st_mode) if real.exists() else None
    new, fd = _new_file(real)
    try:
        with open(fd, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(new, real)
    except BaseException:
        with contextlib.suppress(OSError):
            new.unlink(missing_ok=True)
        raise
    _sync_folder(real.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable: a crash right after it could otherwise bring back the
    old file, or on some file systems none. A folder that cannot be opened is left as is."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # a file system that cannot sync folders: the rename stands as done
        pass
    finally:
        os.close(fd)


def _new_file(real: Path) -> tuple[Path, int]:
    """An empty file of ours next to `real`, under a free name, as the umask allows."""
    while True:
        path = real.with_name(f"{real.name}{NEW_SUFFIX}-{secrets.token_hex(4)}")
        try:
            return path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue


def _check_writable(rc: Path) -> None:
    """A read-only rc file is the user's choice (even for root): refuse rather than override."""
    try:
        read_only = rc.exists() and (not os.access(rc, os.W_OK) or not rc.stat().st_mode & 0o222)
    except OSError:
        read_only = False  # the write will say what is wrong
    if read_only:
        raise InputError(
            f"cannot write {rc}: it is read-only",
            hint=f"make it writable (chmod u+w {rc}) for codeassist to edit it, or {BY_HAND}",
        )


def _backup(rc: Path, data: bytes) -> Path:
    """A copy of `data` next to the file, under the first free backup name (or the backup that
    already holds these bytes), with the file's permissions: never over an older one."""
    for n in itertools.count(1):
        path = rc.with_name(rc.name + BACKUP_SUFFIX + (f"-{n}" if n > 1 else ""))
        try:
            if os.path.lexists(path):
                if _holds(path, data):
                    return path
                continue
            mode = rc.stat().st_mode & 0o666
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:  # made meanwhile: the next name
            continue
        except OSError as exc:
            raise _not_backed_up(rc, path, exc) from exc
        try:
            with open(fd, "wb") as out:
                out.write(data)
        except OSError as exc:  # a full disk: no empty or partial "backup" left to mislead
            path.unlink(missing_ok=True)
            raise _not_backed_up(rc, path, exc) from exc
        return path
    raise AssertionError("unreachable")


def _not_backed_up(rc: Path, path: Path, exc: OSError) -> InputError:
    return InputError(
        f"cannot back up {rc} to {path}: {exc.strerror or exc}",
        hint=f"check the folder's permissions and free space (nothing was changed), or {BY_HAND}",
    )


def _holds(path: Path, data: bytes) -> bool:
    """Whether `path` is a plain file (not a link) with exactly these bytes."""
    try:
        return (
            not path.is_symlink()
            and path.is_file()
            and path.stat().st_size == len(data)
            and path.read_bytes() == data
        )
    except OSError:
        return False

"""Read a change from git: its files, hunks, and added lines with their new line numbers."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from codeassist.errors import InputError, UsageError
from codeassist.review.gitio import Git, GitFailed, open_repo
from codeassist.review.patch import Hunk, header, parse_patch, split

__all__ = ["MAX_FILE_BYTES", "Change", "FileChange", "Hunk", "grep_side", "open_repo",
           "parse_patch", "read_change", "read_side"]  # fmt: skip

MAX_FILE_BYTES = 1_000_000  # larger files are listed as not reviewed, never half-read
GITLINK = "160000"  # a submodule: a commit of another repository, not content
_DIFF = ("--no-ext-diff", "--no-textconv", "--no-color", "--src-prefix=a/", "--dst-prefix=b/")
_STATUS = {"A": "added", "C": "added", "D": "deleted", "R": "renamed"}  # else modified
_BATCH = 500  # files per `git diff -p` call, to keep the command line short
_TREES = ("diff-tree", "-r")


@dataclass
class FileChange:
    """One file of the change, as the new version will be committed."""

    path: str  # the new path (the old one for a deleted file)
    old_path: str | None
    status: str  # added | modified | deleted | renamed
    old_blob: str | None = None
    new_blob: str | None = None
    binary: bool = False
    submodule: bool = False  # a gitlink: nothing here to read
    too_large: bool = False
    utf8: bool = True  # False: decoded with replacement characters
    new_text: str = ""
    old_text: str = ""
    hunks: list[Hunk] = field(default_factory=list)
    added: list[tuple[int, str]] = field(default_factory=list)  # (new line number, text)

    @property
    def added_lines(self) -> set[int]:
        return {n for n, _ in self.added}

    @property
    def suffix(self) -> str:
        return Path(self.path).suffix.lower()


@dataclass(frozen=True)
class _Diff:
    """The git command that compares the two sides, and the trees it compares."""

    command: tuple[str, ...]
    trees: tuple[str, ...]


@dataclass(frozen=True)
class _Entry:
    """One file of `git diff --raw -z`: modes, objects (None: no such side), status, paths."""

    old_mode: str
    new_mode: str
    old_oid: str | None
    new_oid: str | None
    status: str
    old_path: bytes
    path: bytes


@dataclass
class Change:
    """The whole change: its files and the repository they come from."""

    root: Path
    files: list[FileChange]
    source: str  # "staged" | "commit REV" | "range A..B"
    rev: str | None  # the commit of the new side; None: the index (staged)


def _decode(data: bytes) -> tuple[str, bool]:
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), False


def _entries(raw: bytes) -> list[_Entry]:
    """`git diff --raw -z --no-abbrev` read; unmerged paths are left out."""
    fields = raw.split(b"\0")
    out: list[_Entry] = []
    i = 0
    while i + 1 < len(fields) and fields[i].startswith(b":"):
        old_mode, new_mode, old_oid, new_oid, status = fields[i][1:].decode().split(" ")
        two = status[0] in "RC"
        old_path, path = fields[i + 1], fields[i + 2 if two else i + 1]
        i += 3 if two else 2
        if status[0] == "U":
            continue
        if old_mode == GITLINK:  # a submodule became a file: the file is all new
            old_mode, old_oid = "000000", "0"
        old, new = (None if set(oid) == {"0"} else oid for oid in (old_oid, new_oid))
        out.append(_Entry(old_mode, new_mode, old, new, status[0], old_path, path))
    return out


def _file_change(e: _Entry) -> FileChange:
    path = os.fsdecode(e.path)
    return FileChange(
        path=path, old_path=os.fsdecode(e.old_path) if e.old_path != e.path else None,
        status=_STATUS.get(e.status, "modified"), old_blob=e.old_oid, new_blob=e.new_oid,
        submodule=e.new_mode == GITLINK,
    )  # fmt: skip


def _all_added(fc: FileChange, new: bytes) -> None:
    """Every line counts as added (the old side is too large to diff)."""
    lines = new.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    fc.hunks = [Hunk(0, 0, 1, len(lines))] if lines else []
    fc.added = [(n, _decode(text)[0]) for n, text in enumerate(lines, 1)]


def _read(git: Git, diff: _Diff, entries: list[_Entry]) -> list[FileChange]:
    """Each file of the change; sizes are checked before git reads or diffs anything."""
    files = [_file_change(e) for e in entries]
    live = [(fc, e) for fc, e in zip(files, entries, strict=True)
            if not fc.submodule and fc.status != "deleted" and e.new_oid]  # fmt: skip
    sizes = git.sizes([o for _, e in live for o in (e.old_oid, e.new_oid) if o])
    for fc, e in live:
        fc.too_large = sizes.get(e.new_oid or "", 0) > MAX_FILE_BYTES
    small = [(fc, e) for fc, e in live if not fc.too_large]
    wanted = [o for _, e in small for o in (e.old_oid, e.new_oid)
              if o and sizes.get(o, 0) <= MAX_FILE_BYTES]  # fmt: skip
    blobs = git.blobs(wanted)
    to_diff: list[tuple[FileChange, _Entry]] = []
    for fc, e in small:
        new = blobs.get(e.new_oid or "", b"")
        if b"\0" in new[:8000]:
            fc.binary = True
            continue
        fc.new_text, fc.utf8 = _decode(new)
        if e.old_oid and e.old_oid not in blobs:
            _all_added(fc, new)
            continue
        fc.old_text = _decode(blobs[e.old_oid])[0] if e.old_oid else ""
        to_diff.append((fc, e))
    _patches(git, diff, to_diff, restrict=len(to_diff) < len(entries))
    return files


def _patches(
    git: Git, diff: _Diff, todo: list[tuple[FileChange, _Entry]], *, restrict: bool
) -> None:
    """Hunks and added lines from git's plain patch, asked only for these files."""
    for i in range(0, len(todo), _BATCH):
        batch = todo[i : i + _BATCH]
        paths = sorted({os.fsdecode(p) for _, e in batch for p in (e.old_path, e.path)})
        some = paths if restrict or len(todo) > _BATCH else []
        parts = split(git.run(*diff.command, "-p", "-M", *_DIFF, *diff.trees, "--", *some))
        for fc, e in batch:
            part = parts.get(header(e.old_path, e.path))
            if part is None:  # not found as expected: this file alone, renames not looked for
                alone = git.run(
                    *diff.command, "-p", "--no-renames", *_DIFF, *diff.trees, "--", fc.path
                )
                part = b"\n".join(split(alone).values())
            if b"\nBinary files " in b"\n" + part.split(b"\n@@", 1)[0]:
                fc.binary = True
                continue
            hunks, added = parse_patch(part)
            fc.hunks = hunks
            fc.added = [(n, _decode(text)[0]) for n, text in added]


def read_change(
    repo_path: Path | None = None,
    *,
    commit: str | None = None,
    rev_range: str | None = None,
) -> Change:
    """The staged change (default), one commit against its first parent, or a range A..B."""
    git = Git.of(open_repo(repo_path))
    rev: str | None = None
    try:
        if rev_range:
            if ".." not in rev_range:
                raise UsageError(f"bad range {rev_range!r}", hint="use --range A..B")
            a, b = rev_range.split("..", 1)
            rev = git.commit(b or "HEAD")
            diff, source = _Diff(_TREES, (git.commit(a or "HEAD"), rev)), f"range {rev_range}"
        elif commit:
            rev = git.commit(commit)
            base = git.resolve(f"{rev}^1") or git.empty_tree()
            diff, source = _Diff(_TREES, (base, rev)), f"commit {commit}"
        else:
            base = git.resolve("HEAD^{commit}") or git.empty_tree()
            diff, source = _Diff(("diff-index", "--cached"), (base,)), "staged"
        raw = git.run(*diff.command, "--raw", "-z", "--no-abbrev", "-M", *diff.trees)
        return Change(git.root, _read(git, diff, _entries(raw)), source, rev)
    except GitFailed as exc:
        hint = "check the revision names (git log --oneline)"
        if str(exc).startswith("unknown revision"):  # a bad argument, not an unreadable repo
            raise UsageError(f"cannot read the change: {exc}", hint=hint) from None
        raise InputError(f"cannot read the change: {exc}", hint=hint) from None


def read_side(root: Path, rev: str | None, path: str) -> str:
    """A file's text on the new side of a change: the index (rev None) or a commit."""
    git = Git.of(open_repo(root))
    try:
        data = git.run("cat-file", "blob", f"{rev or ''}:{path}")
    except GitFailed:  # gone, or not a file: nothing to read
        return ""
    return _decode(data)[0]


def grep_side(root: Path, rev: str | None, word: str) -> list[str]:
    """Paths on the new side of a change that mention `word` (a whole word)."""
    git = Git.of(open_repo(root))
    where = ["--cached"] if rev is None else [rev]
    flags = ("-l", "-z", "-w", "-F", "-I", "--no-color", "--no-recurse-submodules")
    try:
        out = git.run("grep", *flags, "-e", word, *where, "--", ok=(0, 1))  # 1: no match
    except GitFailed:
        return []
    prefix = f"{rev}:".encode() if rev else b""
    names = (name.removeprefix(prefix) for name in out.split(b"\0") if name)
    return [os.fsdecode(name) for name in names]

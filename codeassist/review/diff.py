"""Read a change with gitpython: files, hunks, added lines with their new line numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codeassist.errors import InputError, UsageError

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
MAX_FILE_BYTES = 1_000_000  # larger files are listed as not reviewed, never half-read
_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int


@dataclass
class FileChange:
    """One file of the change, as the new version will be committed."""

    path: str  # the new path (the old one for a deleted file)
    old_path: str | None
    status: str  # added | modified | deleted | renamed
    old_blob: str | None = None
    new_blob: str | None = None
    binary: bool = False
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


def parse_patch(patch: bytes) -> tuple[list[Hunk], list[tuple[int, bytes]]]:
    """Hunks and added lines (new line numbers) of one file's unified diff."""
    hunks: list[Hunk] = []
    added: list[tuple[int, bytes]] = []
    line_no = 0
    for raw in patch.split(b"\n"):
        m = _HUNK.match(raw)
        if m:
            o, ol, n, nl = m.groups()
            hunk = Hunk(int(o), int(ol or b"1"), int(n), int(nl or b"1"))
            hunks.append(hunk)
            line_no = hunk.new_start
        elif not hunks or raw.startswith(b"\\"):
            continue
        elif raw.startswith(b"+"):
            added.append((line_no, raw[1:]))
            line_no += 1
        elif raw.startswith(b" "):
            line_no += 1
    return hunks, added


def _blob_bytes(blob: Any) -> bytes:
    return bytes(blob.data_stream.read()) if blob is not None else b""


def _file_change(d: Any) -> FileChange:
    status = (
        "added" if d.new_file else "deleted" if d.deleted_file
        else "renamed" if d.renamed_file else "modified"
    )  # fmt: skip
    path = d.b_path or d.a_path
    fc = FileChange(
        path=path, old_path=d.a_path if d.a_path != path else None, status=status,
        old_blob=d.a_blob.hexsha if d.a_blob is not None else None,
        new_blob=d.b_blob.hexsha if d.b_blob is not None else None,
    )  # fmt: skip
    patch: bytes = d.diff if isinstance(d.diff, bytes) else str(d.diff).encode()
    if patch.startswith(b"Binary files") or b"\nBinary files" in patch[:500]:
        fc.binary = True
        return fc
    if status == "deleted":
        return fc
    size = d.b_blob.size if d.b_blob is not None else 0
    if size > MAX_FILE_BYTES:
        fc.too_large = True
        return fc
    new = _blob_bytes(d.b_blob)
    if b"\0" in new[:8000]:
        fc.binary = True
        return fc
    fc.new_text, fc.utf8 = _decode(new)
    fc.old_text = _decode(_blob_bytes(d.a_blob))[0] if d.a_blob is not None else ""
    hunks, added = parse_patch(patch)
    fc.hunks = hunks
    fc.added = [(n, _decode(text)[0]) for n, text in added]
    return fc


def open_repo(path: Path | None = None) -> Any:
    import git

    try:
        repo = git.Repo(path or Path.cwd(), search_parent_directories=True)
        repo.git.rev_parse("--git-dir")  # git itself may refuse it (owned by another user)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UsageError(
            f"not a git repository: {path or Path.cwd()}",
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


def read_change(
    repo_path: Path | None = None,
    *,
    commit: str | None = None,
    rev_range: str | None = None,
) -> Change:
    """The staged change (default), one commit against its first parent, or a range A..B."""
    import git
    from git.diff import Diffable

    repo = open_repo(repo_path)
    root = Path(repo.working_tree_dir or repo.git_dir)
    try:
        if rev_range:
            if ".." not in rev_range:
                raise UsageError(f"bad range {rev_range!r}", hint="use --range A..B")
            a, b = rev_range.split("..", 1)
            diffs = repo.commit(a or "HEAD").diff(repo.commit(b or "HEAD"), create_patch=True)
            new_rev = repo.commit(b or "HEAD").hexsha
            return Change(root, [_file_change(d) for d in diffs], f"range {rev_range}", new_rev)
        if commit:
            c = repo.commit(commit)
            base = c.parents[0] if c.parents else repo.tree(EMPTY_TREE)
            diffs = base.diff(c, create_patch=True)
            return Change(root, [_file_change(d) for d in diffs], f"commit {commit}", c.hexsha)
        base = repo.head.commit if repo.head.is_valid() else repo.tree(EMPTY_TREE)
        diffs = base.diff(Diffable.INDEX, create_patch=True)
        return Change(root, [_file_change(d) for d in diffs], "staged", None)
    except (git.BadName, ValueError, git.GitCommandError) as exc:
        raise InputError(
            f"cannot read the change: {str(exc).strip().splitlines()[0]}",
            hint="check the revision names (git log --oneline)",
        ) from None


def read_side(root: Path, rev: str | None, path: str) -> str:
    """A file's text on the new side of a change: the index (rev None) or a commit."""
    repo = open_repo(root)
    try:
        data: bytes = repo.git.show(f"{rev or ''}:{path}", stdout_as_string=False)
    except Exception:  # gone, or not a file: nothing to read
        return ""
    return _decode(data)[0]


def grep_side(root: Path, rev: str | None, word: str) -> list[str]:
    """Paths on the new side of a change that mention `word` (a whole word)."""
    import git

    repo = open_repo(root)
    where = ["--cached"] if rev is None else [rev]
    try:
        out: str = repo.git.grep("-l", "-w", "-F", "-I", "-e", word, *where, "--")
    except git.GitCommandError:  # exit 1: no match
        return []
    prefix = f"{rev}:" if rev else ""
    return [p[len(prefix) :] if p.startswith(prefix) else p for p in out.splitlines()]

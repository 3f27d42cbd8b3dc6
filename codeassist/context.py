"""Repository context for a request: files → tags → rank → pack into a token budget.

    pack = build_context(root, "add a --limit option to the search command",
                         budget=1024, count_tokens=backend.count_tokens)

The parts live in codeassist/ctx/: files (what may be read), tags (tree-sitter), pool
(parsing in worker processes), cache (SQLite), index (incremental; state: what is stored,
tagmap: tags loaded when asked for), tables and graph (the reference graph), signals (what the
request points at), rank (personalized PageRank), pack (budget).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from codeassist.errors import UsageError

if TYPE_CHECKING:
    from codeassist.ctx.graph import Graph
    from codeassist.ctx.pack import Packed
    from codeassist.ctx.rank import Ranking
    from codeassist.ctx.tags import FileTags

RECENT_COMMITS = 5


class ContextFile(NamedTuple):
    """A file in the pack: why it is there and what it costs."""

    path: str  # relative to the repository root, POSIX separators
    score: float
    reason: str
    tokens: int


@dataclass(frozen=True)
class ContextPack:
    """The context of one request: its text, its files and why, notes, and any SQL schema."""

    text: str  # the rendered skeleton, at most `budget` tokens
    tokens: int
    files: list[ContextFile]
    notes: list[str]  # files skipped, and why
    schema: str  # CREATE TABLE/VIEW statements found in the repository; "" if none


def find_root(cwd: Path) -> Path:
    """The git top-level folder holding `cwd`, else `cwd` itself."""
    from codeassist.ctx.files import find_git_root

    cwd = cwd.resolve()
    return find_git_root(cwd) or cwd


def build_context(
    root: Path,
    request: str,
    *,
    budget: int,
    count_tokens: Callable[[str], int],
    cwd: Path | None = None,
    language: str | None = None,
) -> ContextPack:
    """The definitions of `root` that matter most for `request`, within `budget` tokens."""
    from codeassist.ctx.files import shown
    from codeassist.ctx.index import build_index
    from codeassist.ctx.pack import pack
    from codeassist.ctx.rank import rank
    from codeassist.ctx.signals import Signals
    from codeassist.ctx.tagmap import TagMap

    if budget < 0:
        raise UsageError(f"the context budget must be 0 or more, not {budget}")
    root = root.resolve()
    if not root.is_dir():
        raise UsageError(f"not a folder: {root}", hint="run it inside your repository")
    index = build_index(root)
    changed, recent = _git_changes(root) if index.git else (frozenset(), frozenset())
    signals = Signals(request, _relative(root, cwd), changed, recent, language)
    ranking = rank(index.files, signals, limit=max(budget, 1), graph=index.graph)
    files = index.files
    if isinstance(files, TagMap):  # one cache query for the files the pack may show
        files.preload(dict.fromkeys(tag.path for tag in ranking.tags))
    try:
        packed = pack(ranking.tags, files, budget, count_tokens)
        schema = "" if language not in (None, "sql") else _schema(files, index.graph)
    finally:
        if isinstance(files, TagMap):
            files.close()
    chosen = _listed(packed, ranking, count_tokens)
    notes = [shown(note) for note in index.notes]  # names that are not UTF-8, as \xNN
    return ContextPack(packed.text, packed.tokens, chosen, notes, schema)


def _listed(
    packed: Packed, ranking: Ranking, count_tokens: Callable[[str], int]
) -> list[ContextFile]:
    """The files of the pack in the order shown: best score, reason and tokens of each."""
    from codeassist.ctx.files import shown

    best: dict[str, float] = {}
    for tag in ranking.tags:
        best.setdefault(tag.path, tag.score)
    return [
        ContextFile(
            shown(block.path),
            best.get(block.path, 0.0),
            ranking.why(block.path),
            count_tokens(block.text),
        )
        for block in packed.blocks
    ]


def _relative(root: Path, cwd: Path | None) -> str | None:
    if cwd is None:
        return None
    try:
        rel = cwd.resolve().relative_to(root).as_posix()
    except ValueError:
        return None
    return None if rel in ("", ".") else rel


def _git_changes(root: Path) -> tuple[frozenset[str], frozenset[str]]:
    """Files changed in the working tree, and files touched by the last few commits."""
    try:
        import git

        repo = git.Repo(root)
        status = repo.git.status("--porcelain", "-z", "--untracked-files=all").split("\0")
        changed: set[str] = set()
        entries = iter(status)
        for entry in entries:
            if len(entry) > 3:
                changed.add(entry[3:])
                if entry[0] in "RC":  # a rename is followed by its old path
                    next(entries, None)
        log = repo.git.log(f"-n{RECENT_COMMITS}", "--name-only", "--format=")
        recent = {line for line in log.splitlines() if line}
    except Exception:  # noqa: BLE001 - no commits yet, or git missing: no signal, no failure
        return frozenset(), frozenset()
    return frozenset(changed), frozenset(recent)


def _schema(files: Mapping[str, FileTags], graph: Graph | None = None) -> str:
    """CREATE TABLE/VIEW statements, one per name; a later file (migration) wins.

    `graph` (of `files`) lists the SQL files with tags already: no need to ask every path.
    """
    from codeassist.syntax import language_of

    if graph is not None:
        sql = [p for p, lang in zip(graph.paths, graph.languages, strict=True) if lang == "sql"]
    else:
        sql = sorted(p for p in files if language_of(p) == "sql")
    found: dict[str, str] = {}
    for path in sql:
        tagged = files[path]
        if tagged.language != "sql" or tagged.note:
            continue
        for d in tagged.definitions:
            if d.kind in ("table", "view"):
                found.pop(d.name.lower(), None)
                found[d.name.lower()] = d.signature.rstrip(";") + ";"
    return "\n".join(found.values())

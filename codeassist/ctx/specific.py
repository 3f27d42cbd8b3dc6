"""A request's own part of the context: the definitions that match it, best first.

Kept in the tag cache under everything that decides it (the repository state, the request,
the folder, what git says changed, the budget, the token counter, what the stable part shows
already): asking again in an unchanged repository loads no graph and ranks nothing.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from codeassist.context import ContextFile, ContextPack

# Leading definitions too large for the request's part on their own (a long typed signature)
# that are passed over for the next ones, rather than leaving the part empty.
PASS_OVER = 8

if TYPE_CHECKING:
    from codeassist.ctx.changes import GitChanges
    from codeassist.ctx.graph import Graph
    from codeassist.ctx.index import Index
    from codeassist.ctx.pack import Packed
    from codeassist.ctx.rank import Ranking
    from codeassist.ctx.tags import FileTags


def for_request(
    index: Index,
    request: str,
    budget: int,
    count_tokens: Callable[[str], int],
    cwd: Path | None,
    language: str | None,
    exclude: frozenset[tuple[str, int]] = frozenset(),
    changes: GitChanges | None = None,
    pointed: bool = False,
) -> ContextPack:
    """The pack of `request` from an index; definitions in `exclude` are shown elsewhere;
    `changes`: git's answer, asked for already (else asked here). `pointed`: only files the
    request points at (named, its words, changed, recent, the current folder), none for their
    rank alone: beside a stable part, which shows what the repository uses most already."""
    from codeassist.ctx.changes import NONE, GitChanges
    from codeassist.ctx.files import shown

    asked = changes is None and index.git
    changes = GitChanges(index.root) if asked else changes
    try:
        changed, recent = changes.result() if changes is not None and index.git else NONE
    finally:
        if asked and changes is not None:
            changes.close()
    where = _relative(index.root, cwd)
    key = _key(index, request, budget, count_tokens, where, language, exclude, changed, recent,
               pointed)  # fmt: skip
    found = _recall(key) if key else None
    if found is None:
        found = _ranked(index, request, budget, count_tokens, where, language, exclude,
                        (changed, recent), pointed)  # fmt: skip
        if key:
            _remember(key, found)
    notes = [shown(note) for note in index.notes]  # names that are not UTF-8, as \xNN
    return ContextPack(found.text, found.tokens, found.files, notes, found.schema)


def _ranked(
    index: Index,
    request: str,
    budget: int,
    count_tokens: Callable[[str], int],
    where: str | None,
    language: str | None,
    exclude: frozenset[tuple[str, int]],
    changes: tuple[frozenset[str], frozenset[str]],
    pointed: bool,
) -> ContextPack:
    from codeassist.ctx.pack import pack, worth_showing
    from codeassist.ctx.rank import rank
    from codeassist.ctx.signals import Signals
    from codeassist.ctx.tagmap import TagMap

    signals = Signals(request, where, *changes, language)
    ranking = rank(index.files, signals, limit=max(budget, 1) + len(exclude), graph=index.graph)
    tags = [
        t
        for t in ranking.tags
        if (t.path, t.index) not in exclude and (not pointed or t.path in ranking.reasons)
    ]
    files = index.files
    if isinstance(files, TagMap):  # one cache query for the files the pack may show
        files.preload(dict.fromkeys(tag.path for tag in tags))
    try:
        tags = worth_showing(tags, files)
        named = [t for t in tags if (t.path, t.index) in ranking.exact]
        if pointed and named:  # what the request names one by one, not shown yet: that alone
            tags = named
        packed = pack(tags, files, budget, count_tokens, pass_over=PASS_OVER)
        schema = "" if language not in (None, "sql") else _schema(files, index.graph)
    finally:
        if isinstance(files, TagMap):
            files.close()
    return ContextPack(packed.text, packed.tokens, _listed(packed, ranking, count_tokens), [],
                       schema)  # fmt: skip


def _key(
    index: Index,
    request: str,
    budget: int,
    count_tokens: Callable[[str], int],
    where: str | None,
    language: str | None,
    exclude: frozenset[tuple[str, int]],
    changed: frozenset[str],
    recent: frozenset[str],
    pointed: bool,
) -> str:
    """The cache key of a request's part; "" when it is not to be kept (no counter key)."""
    from codeassist.ctx.index import rendering_version

    counter = getattr(count_tokens, "key", None)
    if not index.state_key or getattr(count_tokens, "store", None) is None:
        return ""
    asked = (index.root.as_posix(), index.state_key, request, budget, counter, where, language,
             sorted(exclude), sorted(changed), sorted(recent), pointed,
             rendering_version())  # fmt: skip
    return "request|" + hashlib.blake2b(repr(asked).encode(), digest_size=16).hexdigest()


def _recall(key: str) -> ContextPack | None:
    from codeassist.ctx.cache import TagCache
    from codeassist.ctx.store import cache_path, cache_version

    cache = TagCache.open(cache_path(), cache_version())
    try:
        data = cache.recall(key)
    finally:
        cache.close()
    if not data:
        return None
    try:
        text, tokens, files, schema = marshal.loads(data)
        return ContextPack(str(text), int(tokens), [ContextFile(*f) for f in files], [], schema)
    except (ValueError, TypeError, EOFError):
        return None


def _remember(key: str, pack: ContextPack) -> None:
    from codeassist.ctx.cache import TagCache
    from codeassist.ctx.store import cache_path, cache_version

    files = [tuple(f) for f in pack.files]
    cache = TagCache.open(cache_path(), cache_version())
    try:
        cache.remember({key: marshal.dumps((pack.text, pack.tokens, files, pack.schema))})
    finally:
        cache.close()


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
        )  # fmt: skip
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


def _schema(files: Mapping[str, FileTags], graph: Graph | None = None) -> str:
    """CREATE TABLE/VIEW statements, one per name; a later file (migration) wins."""
    from codeassist.ctx.graph import build_graph
    from codeassist.ctx.overview import tables

    return "\n".join(tables(files, graph if graph is not None else build_graph(files)).values())

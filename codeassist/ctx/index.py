"""Index a repository: list files, stat them, reuse cached tags, parse only what changed.

An unchanged repository costs a listing, one stat per file and one cached snapshot (the
reference graph and the file → content hash map); tags are then loaded only for the few files
that get rendered. Files whose size or mtime moved are read and hashed; if the content is what
the snapshot was made from (a touch), the snapshot still holds. Otherwise the tags of every
file that differs from the stored graph inputs are patched into them (only unknown content is
parsed, in a pool of worker processes when there is a lot of it), and a new snapshot is stored.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codeassist.ctx import files as fileset
from codeassist.ctx.cache import Snapshot, Stat, TagCache
from codeassist.ctx.graph import Graph, graph_of
from codeassist.ctx.pool import ParseJob, parse_all
from codeassist.ctx.state import GraphInputs, RepoState
from codeassist.ctx.store import cache_path, cache_version
from codeassist.ctx.tables import Tables
from codeassist.ctx.tagmap import TagMap
from codeassist.ctx.tags import FORMAT, FileTags
from codeassist.syntax import EXTENSIONS, FILENAMES, language_of

TABLES_LAG = 64  # changed files the stored graph inputs may lag behind before stored again
# What a stored folder walk was made with: the rules deciding which names are listed.
_LISTING_KEY = hashlib.blake2b(
    repr((FORMAT, sorted(EXTENSIONS.items()), sorted(FILENAMES.items()), fileset.SKIP_FILES,
          sorted(fileset.SKIP_DIRS), fileset.SECRET_FILES)).encode(), digest_size=8
).hexdigest()  # fmt: skip


@dataclass
class Index:
    """Tags of every indexable file (repository-relative paths), and notes on skipped ones."""

    root: Path
    git: bool
    files: Mapping[str, FileTags] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    parsed: int = 0  # files parsed in this run (the rest came from the cache)
    state_key: str = ""  # digest of every file's content hash: what derived data is keyed by
    graph_blob: bytes = field(default=b"", repr=False)  # the stored graph, loaded when asked
    _graph: Graph | None = field(default=None, repr=False)

    @property
    def graph(self) -> Graph | None:
        """The reference graph of `files` (loaded on first use: an answer kept in the cache
        needs none, nor numpy)."""
        if self._graph is None and self.graph_blob:
            try:
                self._graph = Graph.load(self.graph_blob)
            except Exception:  # noqa: BLE001 - damaged: the ranker builds one from the tags
                self.graph_blob = b""
        return self._graph


# The modules that turn tags into a context's text: a cached part made by other code is stale.
_RENDERING = ("signals", "rank", "pack", "parts", "overview", "specific", "tables", "workspace")


@functools.cache
def rendering_version() -> str:
    """What cached context parts were made with: a digest of the code that ranks and renders."""
    digest = hashlib.blake2b(digest_size=8)
    here = Path(__file__).parent
    for name in _RENDERING:
        digest.update((here / f"{name}.py").read_bytes())
    return digest.hexdigest()


def build_index(root: Path, *, workers: int | None = None) -> Index:
    """Index `root`; `workers` caps the parse pool (default: the cores there are)."""
    root = root.resolve()
    cache = TagCache.open(cache_path(), cache_version())
    try:
        result = _index(root, cache, workers)
    finally:
        cache.close()
    if cache.note:
        result.notes.append(cache.note)
    return result


def _index(root: Path, cache: TagCache, workers: int | None) -> Index:
    key = str(root)
    listing = fileset.list_files(root, language_of, tree=cache.walk(key), key=_LISTING_KEY)
    if listing.tree:
        cache.store_walk(key, listing.tree)
    result = Index(root, listing.git)
    current: dict[str, tuple[int, int]] = {}  # path → size, mtime_ns
    base = str(root) + os.sep
    for rel in listing.paths:
        try:
            info = os.lstat(base + rel)
        except OSError as exc:
            result.notes.append(f"{rel}: {fileset.unreadable(exc)}")
            continue
        reason = fileset.unreadable_reason(str(root), rel, info)
        if reason is not None:
            if reason:
                result.notes.append(f"{rel}: {reason}")
            continue
        if info.st_size > fileset.MAX_FILE_BYTES:
            result.notes.append(f"{rel}: too large ({info.st_size / 1e6:.1f} MB)")
            continue
        current[rel] = (info.st_size, info.st_mtime_ns)
    _fill(result, cache, current, workers)
    return result


def _digest(value: Any) -> str:
    return hashlib.blake2b(marshal.dumps(value), digest_size=16).hexdigest()


@dataclass
class _Scan:
    """The files as they are now: hashes of all, the ones read because they may have changed."""

    digests: dict[str, str] = field(default_factory=dict)  # path → content hash
    changed: dict[str, Stat] = field(default_factory=dict)  # read: to record anew
    pending: dict[str, ParseJob] = field(default_factory=dict)  # content hash → a file with it
    unreadable: dict[str, str] = field(default_factory=dict)  # path → note


def _fill(
    result: Index, cache: TagCache, current: dict[str, tuple[int, int]], workers: int | None
) -> None:
    """Fill `result` for `current` (path → size, mtime_ns) from the snapshot, else patch it."""
    key = str(result.root)
    # In listing order (the same while the listing is): a new order only costs a content check.
    stat_key = _digest(current)
    snap = cache.snapshot(key)
    peeked = RepoState.peek(snap.graph) if snap is not None and snap.stat_key == stat_key else None
    if peeked is not None and snap is not None:
        result.state_key, result.graph_blob = snap.content_key, peeked[2]
        _use(result, cache, RepoState(peeked[0], peeked[1], None), {})
        return

    known = cache.stats(key)
    scan = _scan(result.root, current, known)
    content_key = _digest(sorted(scan.digests.items()))
    gone = [p for p in known if p not in current]
    result.state_key = content_key
    same = snap is not None and snap.content_key == content_key
    stored = RepoState.load(snap.graph) if snap is not None and same else None
    if stored is not None:  # only touched: the snapshot holds
        notes = {p: n for p, n in stored.notes.items() if p in scan.digests} | scan.unreadable
        _use(result, cache, RepoState(scan.digests, notes, stored.graph), {})
        cache.save(key, scan.changed, {}, gone, Snapshot(stat_key, content_key, b""))
        return

    inputs = GraphInputs.load(cache.tables(key)) if snap is not None else None
    patched = _patch(result.root, cache, scan, inputs, workers)
    result.parsed = len(patched.new_tags)
    _use(result, cache, patched.state, patched.fresh)
    snapshot = Snapshot(stat_key, content_key, patched.state.dump(), patched.inputs)
    cache.save(key, scan.changed, patched.new_tags, gone, snapshot)


@dataclass(frozen=True)
class _Patched:
    """A new repository state, with what it took to make it."""

    state: RepoState
    fresh: dict[str, FileTags]  # path → tags, for the files that differ from the inputs
    new_tags: dict[str, FileTags]  # content hash → tags, parsed in this run
    inputs: bytes  # the graph inputs to store again; b"": the stored ones will do


def _patch(
    root: Path, cache: TagCache, scan: _Scan, inputs: GraphInputs | None, workers: int | None
) -> _Patched:
    """The stored graph `inputs` with the tags of every file that differs from them swapped
    in (all files when there are no inputs), and the graph they give."""
    before = inputs.digests if inputs is not None else {}
    need = {p: d for p, d in scan.digests.items() if before.get(p) != d}
    tags, new_tags = _tags_for(root, cache, need, scan.pending, workers)
    fresh = {p: tags[d] for p, d in need.items() if d in tags}
    digests = {p: d for p, d in scan.digests.items() if p in fresh or p not in need}
    dropped = [p for p in before if p not in digests]
    tables = inputs.tables.replace(fresh, dropped) if inputs is not None else Tables.of(fresh)
    kept = inputs.notes if inputs is not None else {}
    notes = {p: n for p, n in kept.items() if p in digests and p not in fresh}
    notes.update((p, t.note) for p, t in fresh.items() if t.note)
    notes.update(scan.unreadable)
    state = RepoState(digests, notes, graph_of(tables))
    # The tables are stored again once they lag many files behind: until then an edit
    # patches the stored ones with every file changed since (their tags are in the cache).
    lagging = inputs is not None and len(need) + len(dropped) <= TABLES_LAG
    again = b"" if lagging else GraphInputs(digests, notes, tables).dump()
    return _Patched(state, fresh, new_tags, again)


def _scan(root: Path, current: dict[str, tuple[int, int]], known: dict[str, Stat]) -> _Scan:
    """Read and hash the files whose size or mtime is not what `known` says; the rest keep it."""
    scan = _Scan()
    for rel, (size, mtime_ns) in current.items():
        seen = known.get(rel)
        if seen is not None and seen.size == size and seen.mtime_ns == mtime_ns:
            scan.digests[rel] = seen.digest
            continue
        try:
            data = fileset.read_regular(root, rel)
        except OSError as exc:
            scan.unreadable[rel] = fileset.unreadable(exc)
            continue
        lang = language_of(rel) or ""
        digest = hashlib.blake2b(lang.encode() + b"\0" + data, digest_size=16).hexdigest()
        scan.digests[rel] = digest
        scan.changed[rel] = Stat(size, mtime_ns, digest)
        scan.pending.setdefault(digest, ParseJob(rel, data, lang))
    return scan


def _tags_for(
    root: Path,
    cache: TagCache,
    need: dict[str, str],
    pending: dict[str, ParseJob],
    workers: int | None,
) -> tuple[dict[str, FileTags], dict[str, FileTags]]:
    """Tags by content hash for `need` (path → hash): cached, else parsed; and the parsed ones.

    `pending` holds the contents already read; files whose cached tags went missing are added.
    """
    tags = cache.lookup(set(need.values()))
    for rel, digest in need.items():  # cached stats whose tags went missing: read again
        if digest not in tags and digest not in pending:
            try:
                data = fileset.read_regular(root, rel)
                pending[digest] = ParseJob(rel, data, language_of(rel) or "")
            except OSError:
                continue
    wanted = set(need.values())  # a file back to what the tables hold needs no parse
    todo = {d: job for d, job in pending.items() if d not in tags and d in wanted}
    new_tags = dict(parse_all(todo, workers))
    tags.update(new_tags)
    return tags, new_tags


def _use(result: Index, cache: TagCache, state: RepoState, loaded: dict[str, FileTags]) -> None:
    """Fill `result` from a repository state (`loaded`: tags already at hand)."""
    result.files = TagMap(
        result.root, state.digests, loaded, cache_file=cache.path, cache_version=cache.version
    )
    result.notes.extend(f"{p}: {note}" for p, note in sorted(state.notes.items()))
    result._graph = state.graph

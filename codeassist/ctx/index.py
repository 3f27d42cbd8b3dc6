"""Index a repository: list files, stat them, reuse cached tags, parse only what changed.

An unchanged repository costs a listing, one stat per file and one cached snapshot (the
reference graph and the file → content hash map); tags are then loaded only for the few files
that get rendered. Files whose size or mtime moved are read and hashed; if the content is what
the snapshot was made from (a touch), the snapshot still holds. Otherwise the tags of every
file that differs from the stored graph inputs are patched into them (only unknown content is
parsed, in a pool of worker processes when there is a lot of it), and a new snapshot is stored.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codeassist import paths, secrets
from codeassist.ctx import files as fileset
from codeassist.ctx.cache import Snapshot, Stat, TagCache
from codeassist.ctx.graph import Graph, Tables
from codeassist.ctx.pool import parse_all, tag_bytes
from codeassist.ctx.tags import FORMAT, FileTags, queries_version
from codeassist.syntax import EXTENSIONS, FILENAMES, language_of

TABLES_LAG = 64  # changed files the stored graph inputs may lag behind before stored again
# What a stored folder walk was made with: the rules deciding which names are listed.
_LISTING_KEY = hashlib.blake2b(
    repr((FORMAT, sorted(EXTENSIONS.items()), sorted(FILENAMES.items()), fileset.SKIP_FILES,
          sorted(fileset.SKIP_DIRS), fileset.SECRET_FILES)).encode(), digest_size=8
).hexdigest()  # fmt: skip


class TagMap(Mapping[str, FileTags]):
    """Tags by repository path, loaded from the cache when first asked for.

    A file whose tags are no longer in the cache (another process wiped it) is parsed again.
    """

    def __init__(self, root: Path, digests: dict[str, str], loaded: dict[str, FileTags]) -> None:
        self.root = root
        self.digests = digests  # path → content hash
        self.loaded = loaded
        self._cache: TagCache | None = None

    def __getitem__(self, path: str) -> FileTags:
        found = self.loaded.get(path)
        if found is None:
            if path not in self.digests:
                raise KeyError(path)
            self.preload([path])
            found = self.loaded[path]
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.digests)

    def __len__(self) -> int:
        return len(self.digests)

    def preload(self, wanted: Iterable[str]) -> None:
        """Load the tags of these paths in one go."""
        missing = {p: self.digests[p] for p in wanted if p not in self.loaded and p in self.digests}
        if not missing:
            return
        if self._cache is None:
            self._cache = TagCache(cache_path(), cache_version())
        found = self._cache.lookup(set(missing.values()))
        for path, digest in missing.items():
            tagged = found.get(digest)
            if tagged is None:
                try:
                    data = fileset.read_regular(self.root, path)
                except OSError as exc:
                    tagged = FileTags(language_of(path) or "", note=_unreadable(exc))
                else:
                    tagged = tag_bytes(data, language_of(path) or "")
            self.loaded[path] = tagged

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None


@dataclass
class Index:
    """Tags of every indexable file (repository-relative paths), and notes on skipped ones."""

    root: Path
    git: bool
    files: Mapping[str, FileTags] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    parsed: int = 0  # files parsed in this run (the rest came from the cache)
    graph: Graph | None = None  # the reference graph of `files`


def cache_path() -> Path:
    return paths.cache_dir() / "context.sqlite"


def cache_version() -> str:
    """What cached tags were made with: the queries, the grammars and the secret rules."""
    return f"{queries_version()}-{secrets.rules_version()}"


def build_index(root: Path, *, workers: int | None = None) -> Index:
    """Index `root`; `workers` caps the parse pool (default: the cores there are)."""
    root = root.resolve()
    cache = TagCache(cache_path(), cache_version())
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
            result.notes.append(f"{rel}: {_unreadable(exc)}")
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


def _unreadable(exc: OSError) -> str:
    return f"unreadable ({exc.strerror or exc})"


def _digest(value: Any) -> str:
    return hashlib.blake2b(marshal.dumps(value), digest_size=16).hexdigest()


def _fill(
    result: Index, cache: TagCache, current: dict[str, tuple[int, int]], workers: int | None
) -> None:
    key = str(result.root)
    # In listing order (the same while the listing is): a new order only costs a content check.
    stat_key = _digest(current)
    snap = cache.snapshot(key)
    stored = _decode(snap.graph) if snap is not None and snap.stat_key == stat_key else None
    if stored is not None:
        _use(result, stored, {})
        return

    known = cache.stats(key)
    digests: dict[str, str] = {}
    changed: dict[str, Stat] = {}
    pending: dict[str, tuple[str, bytes, str]] = {}  # digest → (path, bytes, language)
    unreadable: dict[str, str] = {}  # path → note
    for rel, (size, mtime_ns) in current.items():
        seen = known.get(rel)
        if seen is not None and seen[0] == size and seen[1] == mtime_ns:
            digests[rel] = seen[2]
            continue
        try:
            data = fileset.read_regular(result.root, rel)
        except OSError as exc:
            unreadable[rel] = _unreadable(exc)
            continue
        lang = language_of(rel) or ""
        digest = hashlib.blake2b(lang.encode() + b"\0" + data, digest_size=16).hexdigest()
        digests[rel] = digest
        changed[rel] = (size, mtime_ns, digest)
        pending.setdefault(digest, (rel, data, lang))
    content_key = _digest(sorted(digests.items()))
    gone = [p for p in known if p not in current]
    if snap is not None and snap.content_key == content_key:
        stored = _decode(snap.graph)
    if stored is not None:
        notes = {p: n for p, n in stored[1].items() if p in digests} | unreadable
        _use(result, (digests, notes, stored[2]), {})  # only touched: the snapshot holds
        cache.save(key, changed, {}, gone, Snapshot(stat_key, content_key, b""))
        return

    # Tags of the files that differ from the stored tables (all of them without tables).
    base = _tables(cache, key) if snap is not None else None
    before, kept = (base[0], base[1]) if base is not None else ({}, {})
    need = {p: d for p, d in digests.items() if before.get(p) != d}
    tags = cache.lookup(set(need.values()))
    for rel, digest in need.items():  # cached stats whose tags went missing: read again
        if digest not in tags and digest not in pending:
            try:
                data = fileset.read_regular(result.root, rel)
                pending[digest] = (rel, data, language_of(rel) or "")
            except OSError:
                continue
    wanted = set(need.values())  # a file back to what the tables hold needs no parse
    todo = {d: job for d, job in pending.items() if d not in tags and d in wanted}
    new_tags = dict(parse_all(todo, workers))
    result.parsed = len(new_tags)
    tags.update(new_tags)
    fresh = {p: tags[d] for p, d in need.items() if d in tags}
    digests = {p: d for p, d in digests.items() if p in fresh or p not in need}
    dropped = [p for p in before if p not in digests]
    tables = base[2].replace(fresh, dropped) if base is not None else Tables.of(fresh)
    notes = {p: n for p, n in kept.items() if p in digests and p not in fresh}
    notes.update((p, t.note) for p, t in fresh.items() if t.note)
    notes.update(unreadable)
    state: Stored = (digests, notes, tables.graph())
    _use(result, state, fresh)
    graph = marshal.dumps((FORMAT, digests, notes, state[2].dump()))
    # The tables are stored again once they lag many files behind: until then an edit
    # patches the stored ones with every file changed since (their tags are in the cache).
    lagging = base is not None and len(need) + len(dropped) <= TABLES_LAG
    again = b"" if lagging else marshal.dumps((FORMAT, digests, notes, tables.dump()))
    cache.save(key, changed, new_tags, gone, Snapshot(stat_key, content_key, graph, again))


# path → content hash, path → note (skipped or unreadable files), the graph
Stored = tuple[dict[str, str], dict[str, str], Graph]


def _decode(data: bytes) -> Stored | None:
    try:
        version, digests, notes, graph = marshal.loads(data)
        if version != FORMAT:
            return None
        return digests, notes, Graph.load(graph)
    except Exception:  # noqa: BLE001 - a damaged snapshot is a cache miss
        return None


def _tables(cache: TagCache, key: str) -> tuple[dict[str, str], dict[str, str], Tables] | None:
    """The stored graph inputs, with the file → hash map and notes they were made from."""
    blob = cache.tables(key)
    try:
        version, digests, notes, tables = marshal.loads(blob) if blob else (None, {}, {}, b"")
        if version != FORMAT or not isinstance(digests, dict) or not isinstance(notes, dict):
            return None
        return digests, notes, Tables.load(tables)
    except Exception:  # noqa: BLE001 - damaged: build them from every file's tags
        return None


def _use(result: Index, state: Stored, loaded: dict[str, FileTags]) -> None:
    """Fill `result` from a repository state (`loaded`: tags already at hand)."""
    result.files = TagMap(result.root, state[0], loaded)
    result.notes.extend(f"{p}: {note}" for p, note in sorted(state[1].items()))
    result.graph = state[2]

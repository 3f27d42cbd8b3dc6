"""The request-independent part of ranking: the reference graph of a repository's tags.

A node per file and per defined name. A file points at each defined name it references
(weight: square root of the count); a name points at the files defining it. Built once per
repository state and stored whole in the cache (`dump`/`load`), so an unchanged repository
costs loading one blob, not thousands of tag rows.
"""

from __future__ import annotations

import builtins
import marshal
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

from codeassist.ctx.tags import FORMAT, FileTags

MAX_DEFINERS = 40  # a name defined in more files than this links nothing (get, run, __init__)
COMMON_DEFINERS = 5  # defined in more files than this: a weak link
WEIGHT_PRIVATE = 0.1  # a reference to _private
WEIGHT_COMMON = 0.1
KIND_WEIGHT = {"column": 0.3}
# Names whose references say nothing about the repository: builtins and runtime globals.
NOT_LINKS = frozenset(dir(builtins)) | frozenset(
    "self cls this console require module exports Object Array String Number Promise JSON "
    "Math Error Map Set window document printf malloc free memcpy strlen fmt echo cd test "
    "make fn new append extend join get items keys values split strip format replace update "
    "pop add read write open close startswith endswith lower upper encode decode copy sort "
    "insert remove index count find match search group setdefault exists mkdir run call "
    "apply filter push slice map forEach then catch log error warn info debug toString "
    "length size emplace_back push_back begin end".split()
)
VERSION = (FORMAT, 2)  # of the stored graph and tables
_ARRAYS = ("node_of", "owners", "pair_name", "pair_file", "def_file", "def_uid", "def_weight",
           "def_offset", "src", "dst", "base", "low_starts")  # fmt: skip


@dataclass
class Graph:
    """File and name nodes, edges, and where each definition is (flattened over files)."""

    paths: list[str]  # files with tags, sorted; file node = position
    languages: list[str]  # per file
    unique: list[str]  # every defined name; uid = position
    node_of: Any  # uid → graph node (-1: defined in too many files to link anything)
    owners: Any  # uid → number of files defining it
    pair_name: Any  # (uid, file) pairs, one per name defined in a file
    pair_file: Any
    def_file: Any  # per definition, flattened over files
    def_uid: Any
    def_weight: Any
    def_offset: Any  # first definition of each file in the flattened arrays
    src: Any  # edges
    dst: Any
    base: Any  # edge weight before the request's own multipliers
    size: int  # nodes
    # Request-independent lookups, stored with the graph rather than derived per request:
    stems: list[str]  # per file: its name up to the first dot, in lower case
    low_text: str  # every name in lower case, one per line (uid = line)
    low_starts: Any  # where each line starts

    @cached_property
    def uid(self) -> dict[str, int]:
        return {name: n for n, name in enumerate(self.unique)}

    def find(self, name: str) -> int | None:
        """The uid of a defined name (as `uid.get`, without building the whole map)."""
        import numpy as np

        low = name.lower()
        if "\n" in low:
            return self.uid.get(name)
        padded, needle, at = self._padded, f"\n{low}\n", 0
        while (at := padded.find(needle, at)) >= 0:
            u = int(np.searchsorted(self.low_starts, at, side="right")) - 1
            if 0 <= u < len(self.unique) and self.unique[u] == name:
                return u
            at += 1
        return None

    @cached_property
    def _padded(self) -> str:
        return f"\n{self.low_text}\n"

    def lowered(self, u: int) -> str:
        """Name `u` in lower case."""
        end = int(self.low_starts[u + 1]) - 1 if u + 1 < len(self.low_starts) else None
        return self.low_text[int(self.low_starts[u]) : end]

    def files_defining(self, uid: int) -> list[int]:
        return [int(f) for f in self.pair_file[self.pair_name == uid][: COMMON_DEFINERS + 1]]

    def dump(self) -> bytes:
        return _dump(self, _ARRAYS)

    @staticmethod
    def load(blob: bytes) -> Graph:
        """The graph `dump` gave; arrays are read-only views of `blob`."""
        return Graph(**_load(blob))


def build_graph(files: Mapping[str, FileTags]) -> Graph:
    return Tables.of(files).graph()


@dataclass
class Tables:
    """The graph's inputs as flat arrays: one row per definition and per (file, name used).

    Replacing a few files' rows and deriving the graph again costs milliseconds, where
    reading every file's tags to build it anew costs a tenth of a second on a large repository.
    """

    paths: list[str]  # files with tags, sorted
    languages: list[str]
    names: list[str]  # every name defined or used; name id = position
    d_file: Any  # per definition (in file order): its file, name id and kind's weight
    d_name: Any
    d_weight: Any
    r_file: Any  # per distinct name a file uses: the file, name id and count
    r_name: Any
    r_count: Any

    @staticmethod
    def of(files: Mapping[str, FileTags]) -> Tables:
        empty = Tables([], [], [], *([()] * 6))
        return empty.replace(files, [])

    def replace(self, new: Mapping[str, FileTags], gone: list[str]) -> Tables:
        """These tables with the rows of `gone` and of `new`'s paths swapped for `new`'s."""
        import numpy as np

        drop = set(gone) | set(new)
        added = {p: t for p, t in new.items() if not t.note}
        old_langs = dict(zip(self.paths, self.languages, strict=True))
        paths = sorted([p for p in self.paths if p not in drop] + list(added))
        where = {p: n for n, p in enumerate(paths)}
        remap = np.asarray([-1 if p in drop else where[p] for p in self.paths] + [-1], np.int64)
        names = list(self.names)
        ids = {name: n for n, name in enumerate(names)}
        d_rows: list[tuple[int, int, float]] = []
        r_rows: list[tuple[int, int, int]] = []
        for path, tagged in added.items():
            f = where[path]
            for d in tagged.raw:
                d_rows.append((f, ids.setdefault(d[0], len(ids)), KIND_WEIGHT.get(d[1], 1.0)))
            for name, count in tagged.references.items():
                r_rows.append((f, ids.setdefault(name, len(ids)), count))
        names.extend(list(ids)[len(names) :])
        d = _merge(remap, (self.d_file, self.d_name, self.d_weight), d_rows, (np.int64, np.float64))
        r = _merge(remap, (self.r_file, self.r_name, self.r_count), r_rows, (np.int64, np.int64))
        languages = [added[p].language if p in added else old_langs[p] for p in paths]
        return Tables(paths, languages, names, *d, *r)

    def dump(self) -> bytes:
        return _dump(self, ("d_file", "d_name", "d_weight", "r_file", "r_name", "r_count"))

    @staticmethod
    def load(blob: bytes) -> Tables:
        return Tables(**_load(blob))

    def graph(self) -> Graph:
        import numpy as np

        n_files = len(self.paths)
        names = np.asarray(self.names, dtype=object)
        # uid: position of a name's first definition, in file order (as `unique` lists them).
        name_ids, first = _unique(np.asarray(self.d_name, dtype=np.int64))
        defined = name_ids[np.argsort(first, kind="stable")]
        uid_of = np.full(len(self.names) + 1, -1, dtype=np.int64)  # [-1]: nothing
        uid_of[defined] = np.arange(len(defined))
        unique: list[str] = names[defined].tolist()
        def_uid = uid_of[self.d_name]
        def_file = np.asarray(self.d_file, dtype=np.int64)
        lengths = np.bincount(def_file, minlength=n_files)
        pairs = _unique(def_uid * max(n_files, 1) + def_file)[0]
        pair_name, pair_file = pairs // max(n_files, 1), pairs % max(n_files, 1)
        owners = np.bincount(pair_name, minlength=len(unique))
        linked = owners <= MAX_DEFINERS
        node_of = np.where(linked, n_files + np.cumsum(linked) - 1, -1)
        size = n_files + int(linked.sum())

        # file → name: one edge per distinct name a file references.
        ref_uid = uid_of[self.r_name]
        quiet = np.append(np.fromiter(map(NOT_LINKS.__contains__, unique), bool, len(unique)), True)
        low_text, starts, under = _lowered(unique)
        private = np.append(under, False)  # [-1]: none
        keep = ~quiet[ref_uid] & np.append(linked, False)[ref_uid]
        ref_uid, ref_file = ref_uid[keep], np.asarray(self.r_file, dtype=np.int64)[keep]
        base = np.sqrt(np.asarray(self.r_count, dtype=np.float64)[keep])
        base = base * np.where(private[ref_uid], WEIGHT_PRIVATE, 1.0)
        base = base * np.where(owners[ref_uid] > COMMON_DEFINERS, WEIGHT_COMMON, 1.0)
        # name → the files defining it, shared equally.
        link = linked[pair_name]
        src = np.concatenate([ref_file, node_of[pair_name[link]]])
        dst = np.concatenate([node_of[ref_uid], pair_file[link]])
        base = np.concatenate([base, 1.0 / owners[pair_name[link]]])
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        stems = [p.rsplit("/", 1)[-1].split(".", 1)[0].lower() for p in self.paths]
        return Graph(list(self.paths), list(self.languages), unique, node_of, owners, pair_name,
                     pair_file, def_file, def_uid, np.asarray(self.d_weight, dtype=np.float64),
                     offsets[:n_files], src, dst, base, size, stems, low_text,
                     starts)  # fmt: skip


def _lowered(unique: list[str]) -> tuple[str, Any, Any]:
    """Names in lower case one per line, where each line starts, and which start with `_`.

    Computed on the joined text in C (lowering never adds or drops a line break, and a line
    break ends a word for the final-sigma rule), not name by name: this runs on every edit.
    """
    import numpy as np

    text = "\n".join(unique)
    low = text.lower()
    if text.count("\n") == max(len(unique) - 1, 0):  # no name holds a line break
        try:
            kind = ("ascii", np.uint8) if text.isascii() else ("utf-32-le", np.uint32)
            codes = np.frombuffer(text.encode(kind[0]), dtype=kind[1])
            lowered = codes if low == text else np.frombuffer(low.encode(kind[0]), dtype=kind[1])
        except UnicodeEncodeError:  # a lone surrogate: name by name below
            pass
        else:
            own = np.concatenate([[0], np.flatnonzero(codes == 10) + 1]).astype(np.int64)
            starts = np.concatenate([[0], np.flatnonzero(lowered == 10) + 1]).astype(np.int64)
            under = np.append(codes, 0)[own[: len(unique)]] == ord("_")
            return low, starts, under
    names = [n.lower() for n in unique]
    starts = np.cumsum([0] + [len(n) + 1 for n in names[:-1]]).astype(np.int64)
    under = np.asarray([n.startswith("_") for n in unique], dtype=bool)
    return "\n".join(names), starts, under


def _unique(values: Any) -> tuple[Any, Any]:
    """np.unique(values, return_index=True), without the 10-20 ms numpy.ma import it costs."""
    import numpy as np

    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return ordered[first], order[first]


def _merge(remap: Any, old: tuple[Any, ...], rows: list[Any], kinds: tuple[Any, Any]) -> Any:
    """Old rows of kept files (renumbered) and the new rows, in file order (stable)."""
    import numpy as np

    file = np.asarray(old[0], dtype=np.int64)
    moved = remap[file] if len(file) else file
    keep = moved >= 0
    new = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    files = np.concatenate([moved[keep], new[:, 0].astype(np.int64)])
    name = np.concatenate([np.asarray(old[1], dtype=np.int64)[keep], new[:, 1].astype(np.int64)])
    value = np.concatenate([np.asarray(old[2], dtype=kinds[1])[keep], new[:, 2].astype(kinds[1])])
    order = np.argsort(files, kind="stable")
    return files[order], name[order], value[order]


def _dump(obj: Any, arrays: tuple[str, ...]) -> bytes:
    plain = {f.name: getattr(obj, f.name) for f in fields(obj)}
    for name in arrays:
        array = plain[name]
        if array.dtype.kind == "i" and (len(array) == 0 or abs(array).max() < 2**31):
            array = array.astype("<i4")  # half the bytes to store and load
        plain[name] = (array.dtype.str, array.tobytes())
    return marshal.dumps((VERSION, plain))


def _load(blob: bytes) -> dict[str, Any]:
    import numpy as np

    version, plain = marshal.loads(blob)
    if version != VERSION:
        raise ValueError("not stored by this version")
    for name, value in plain.items():
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bytes):
            plain[name] = np.frombuffer(value[1], dtype=value[0])
    return plain  # type: ignore[no-any-return]

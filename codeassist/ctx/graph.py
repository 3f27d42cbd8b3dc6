"""The request-independent part of ranking: the reference graph of a repository's tags.

A node per file and per defined name. A file points at each defined name it references
(weight: square root of the count); a name points at the files defining it. Built once per
repository state and stored whole in the cache (`dump`/`load`), so an unchanged repository
costs loading one blob, not thousands of tag rows.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from codeassist.ctx import blob
from codeassist.ctx.tables import Tables
from codeassist.ctx.tags import FileTags

MAX_DEFINERS = 40  # a name defined in more files than this links nothing (get, run, __init__)
COMMON_DEFINERS = 5  # defined in more files than this: a weak link
WEIGHT_PRIVATE = 0.1  # a reference to _private counts this much
WEIGHT_COMMON = 0.1  # a reference to a name defined in more than COMMON_DEFINERS files
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
_ARRAYS = ("node_of", "owners", "pair_name", "pair_file", "def_file", "def_uid", "def_weight",
           "def_offset", "src", "dst", "base", "low_starts")  # fmt: skip


@dataclass(kw_only=True)
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
        """Every defined name's uid (built on first use; `find` mostly does without)."""
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
        """The first few files defining name `uid` (enough to tell a common name)."""
        return [int(f) for f in self.pair_file[self.pair_name == uid][: COMMON_DEFINERS + 1]]

    def dump(self) -> bytes:
        return blob.dump(self, _ARRAYS)

    @staticmethod
    def load(data: bytes) -> Graph:
        """The graph `dump` gave; arrays are read-only views of `data`."""
        return Graph(**blob.load(data))


def build_graph(files: Mapping[str, FileTags]) -> Graph:
    """The reference graph of these files' tags, built anew."""
    return graph_of(Tables.of(files))


def graph_of(tables: Tables) -> Graph:
    """The reference graph that `tables` give."""
    import numpy as np

    n_files = len(tables.paths)
    names = _names(tables)
    low_text, starts, under = _lowered(names.unique)
    src, dst, base = _edges(tables, names, under)
    lengths = np.bincount(names.def_file, minlength=n_files)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    return Graph(
        paths=list(tables.paths),
        languages=list(tables.languages),
        unique=names.unique,
        node_of=names.node_of,
        owners=names.owners,
        pair_name=names.pair_name,
        pair_file=names.pair_file,
        def_file=names.def_file,
        def_uid=names.def_uid,
        def_weight=np.asarray(tables.d_weight, dtype=np.float64),
        def_offset=offsets[:n_files],
        src=src,
        dst=dst,
        base=base,
        size=n_files + int(names.linked.sum()),
        stems=[p.rsplit("/", 1)[-1].split(".", 1)[0].lower() for p in tables.paths],
        low_text=low_text,
        low_starts=starts,
    )


@dataclass(frozen=True)
class _Names:
    """The name nodes of a graph being derived, and the lookups its edges need."""

    unique: list[str]  # every defined name; uid = position
    uid_of: Any  # name id → uid (-1: only used, never defined); [-1]: -1
    def_file: Any  # per definition
    def_uid: Any
    pair_name: Any  # (uid, file) pairs, one per name defined in a file
    pair_file: Any
    owners: Any  # uid → number of files defining it
    linked: Any  # uid → whether it is a node (defined in at most MAX_DEFINERS files)
    node_of: Any  # uid → graph node, -1 when not linked


def _names(tables: Tables) -> _Names:
    """Uids in order of first definition (as `Graph.unique` lists them), and their nodes."""
    import numpy as np

    n_files = len(tables.paths)
    name_ids, first = _unique(np.asarray(tables.d_name, dtype=np.int64))
    defined = name_ids[np.argsort(first, kind="stable")]
    uid_of = np.full(len(tables.names) + 1, -1, dtype=np.int64)  # [-1]: nothing
    uid_of[defined] = np.arange(len(defined))
    unique: list[str] = np.asarray(tables.names, dtype=object)[defined].tolist()
    def_uid = uid_of[tables.d_name]
    def_file = np.asarray(tables.d_file, dtype=np.int64)
    pairs, _ = _unique(def_uid * max(n_files, 1) + def_file)
    pair_name, pair_file = pairs // max(n_files, 1), pairs % max(n_files, 1)
    owners = np.bincount(pair_name, minlength=len(unique))
    linked = owners <= MAX_DEFINERS
    node_of = np.where(linked, n_files + np.cumsum(linked) - 1, -1)
    return _Names(
        unique=unique,
        uid_of=uid_of,
        def_file=def_file,
        def_uid=def_uid,
        pair_name=pair_name,
        pair_file=pair_file,
        owners=owners,
        linked=linked,
        node_of=node_of,
    )


def _edges(tables: Tables, names: _Names, under: Any) -> tuple[Any, Any, Any]:
    """Edge sources, targets and base weights: file → name it uses, name → defining files.

    `under`: per uid, whether the name starts with `_`.
    """
    import numpy as np

    unique, linked, owners, node_of = names.unique, names.linked, names.owners, names.node_of
    # file → name: one edge per distinct name a file references.
    ref_uid = names.uid_of[tables.r_name]
    quiet = np.append(np.fromiter(map(NOT_LINKS.__contains__, unique), bool, len(unique)), True)
    private = np.append(under, False)  # [-1]: none
    keep = ~quiet[ref_uid] & np.append(linked, False)[ref_uid]
    ref_uid, ref_file = ref_uid[keep], np.asarray(tables.r_file, dtype=np.int64)[keep]
    base = np.sqrt(np.asarray(tables.r_count, dtype=np.float64)[keep])
    base = base * np.where(private[ref_uid], WEIGHT_PRIVATE, 1.0)
    base = base * np.where(owners[ref_uid] > COMMON_DEFINERS, WEIGHT_COMMON, 1.0)
    # name → the files defining it, shared equally.
    pair_name = names.pair_name
    link = linked[pair_name]
    src = np.concatenate([ref_file, node_of[pair_name[link]]])
    dst = np.concatenate([node_of[ref_uid], names.pair_file[link]])
    base = np.concatenate([base, 1.0 / owners[pair_name[link]]])
    return src, dst, base


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
            encoding, dtype = ("ascii", np.uint8) if text.isascii() else ("utf-32-le", np.uint32)
            codes = np.frombuffer(text.encode(encoding), dtype=dtype)
            lowered = codes if low == text else np.frombuffer(low.encode(encoding), dtype=dtype)
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

"""The reference graph's inputs as flat arrays: one row per definition and per name a file uses.

Replacing a few files' rows and deriving the graph again (graph.graph_of) costs milliseconds,
where reading every file's tags to build it anew costs a tenth of a second on a large
repository.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from codeassist.ctx import blob
from codeassist.ctx.tags import FileTags

KIND_WEIGHT = {"column": 0.3}  # a definition of this kind counts this much (others: 1)
DEFAULT_KIND_WEIGHT = 1.0
_ARRAYS = ("d_file", "d_name", "d_weight", "r_file", "r_name", "r_count")


@dataclass(kw_only=True)
class Tables:
    """Rows per definition and per (file, name used), in file order; names by id."""

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
    def empty() -> Tables:
        none = ()
        return Tables(paths=[], languages=[], names=[], d_file=none, d_name=none,
                      d_weight=none, r_file=none, r_name=none, r_count=none)  # fmt: skip

    @staticmethod
    def of(files: Mapping[str, FileTags]) -> Tables:
        return Tables.empty().replace(files, [])

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
            for name, kind, _line, _depth, _parent, _signature, _doc in tagged.raw:
                weight = KIND_WEIGHT.get(kind, DEFAULT_KIND_WEIGHT)
                d_rows.append((f, ids.setdefault(name, len(ids)), weight))
            for name, count in tagged.references.items():
                r_rows.append((f, ids.setdefault(name, len(ids)), count))
        names.extend(list(ids)[len(names) :])
        d_file, d_name, d_weight = _merge(
            remap, (self.d_file, self.d_name, self.d_weight), d_rows, np.float64
        )
        r_file, r_name, r_count = _merge(
            remap, (self.r_file, self.r_name, self.r_count), r_rows, np.int64
        )
        languages = [added[p].language if p in added else old_langs[p] for p in paths]
        return Tables(paths=paths, languages=languages, names=names, d_file=d_file,
                      d_name=d_name, d_weight=d_weight, r_file=r_file, r_name=r_name,
                      r_count=r_count)  # fmt: skip

    def dump(self) -> bytes:
        return blob.dump(self, _ARRAYS)

    @staticmethod
    def load(data: bytes) -> Tables:
        return Tables(**blob.load(data))


def _merge(remap: Any, old: tuple[Any, Any, Any], rows: list[Any], kind: Any) -> Any:
    """Old rows of kept files (renumbered) and the new rows, in file order (stable).

    Rows are (file, name id, value); `kind` is the value column's dtype.
    """
    import numpy as np

    old_file, old_name, old_value = old
    file = np.asarray(old_file, dtype=np.int64)
    moved = remap[file] if len(file) else file
    keep = moved >= 0
    new = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    files = np.concatenate([moved[keep], new[:, 0].astype(np.int64)])
    name = np.concatenate([np.asarray(old_name, dtype=np.int64)[keep], new[:, 1].astype(np.int64)])
    value = np.concatenate([np.asarray(old_value, dtype=kind)[keep], new[:, 2].astype(kind)])
    order = np.argsort(files, kind="stable")
    return files[order], name[order], value[order]

"""The repository overview: the definitions used most across the repository, no request asked.

It opens every prompt of a language in a repository, so it must come out byte-identical while
the repository is unchanged, and mostly so after small changes. The ranking walk restarts at
the files of the language (for SQL also at the code that uses the tables); scores are then
bucketed (BUCKETS_PER_DOUBLING per factor of two) and ties are ordered by path and position,
so the small shifts an edit elsewhere causes do not reorder it. The definitions are chosen by
rank but shown file by file in path order, so an edit that moves ranks changes the text only
from the first file whose part changed: the server keeps the KV state of everything before it.
Tests, and definitions nested in functions, are left out: they use the code, they are not
its outline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from codeassist.ctx.graph import Graph
from codeassist.ctx.pack import CountTokens, pack, worth_showing
from codeassist.ctx.rank import RankedTag, rank
from codeassist.ctx.signals import Signals
from codeassist.ctx.tags import FileTags

BUCKETS_PER_DOUBLING = 4
CANDIDATES_PER_TOKEN = 2  # definitions ranked per token of budget (the pack uses fewer)
SQL_TOUCHING = 20  # files using the tables that the walk restarts at, at most
# Tests use the code, they are not its overview (they can still match a request).
TESTS = re.compile(r"(^|/)(tests?|spec)/|(^|/)test_[^/]*$|_test\.\w+$|\.(test|spec)\.\w+$")


@dataclass(frozen=True)
class Overview:
    """The rendered overview, its tokens, and which definitions it shows."""

    text: str
    tokens: int
    shown: frozenset[tuple[str, int]]  # (path, index of the definition in its file)
    paths: list[str]  # files shown, in order


def overview(
    files: Mapping[str, FileTags],
    graph: Graph,
    language: str,
    budget: int,
    count: CountTokens,
    tables: Mapping[str, str] | None = None,
) -> Overview:
    """The repository's most used definitions for `language`, within `budget` tokens.

    `tables` (name → CREATE statement) makes the walk restart at the code that uses them too.
    """
    touching = touching_tables(graph, list(tables or {}))
    signals = Signals("", changed=touching, language=language)
    ranking = rank(files, signals, limit=max(budget, 1) * CANDIDATES_PER_TOKEN, graph=graph)
    tags = sorted(ranking.tags, key=_stable_key)
    if tables:  # the schema shows the tables whole
        sql = {p for p, lang in zip(graph.paths, graph.languages, strict=True) if lang == "sql"}
        tags = [t for t in tags if t.path not in sql]
    tags = [t for t in tags if not TESTS.search(t.path)]
    if hasattr(files, "preload"):  # one cache query for the files the pack may show
        files.preload(dict.fromkeys(tag.path for tag in tags))
    tags = worth_showing(tags, files)
    packed = pack(tags, files, budget, count, by_path=True)
    shown = frozenset((t.path, t.index) for t in tags[: packed.used])
    return Overview(packed.text, packed.tokens, shown, [b.path for b in packed.blocks])


def _stable_key(tag: RankedTag) -> tuple[int, str, int]:
    bucket = math.floor(math.log2(tag.score) * BUCKETS_PER_DOUBLING) if tag.score > 0 else -(10**9)
    return (-bucket, tag.path, tag.index)


def touching_tables(graph: Graph, names: list[str]) -> frozenset[str]:
    """Files (not SQL ones) that define or use a name equal to a table's, or its singular
    (`orders`: class Order), in any case: the few with the most such names."""
    import numpy as np

    words = {w for name in names for w in (name.lower(), _singular(name.lower()))}
    padded, uids = f"\n{graph.low_text}\n", []
    for word in sorted(words):
        at = 0
        while (at := padded.find(f"\n{word}\n", at)) >= 0:
            uids.append(int(np.searchsorted(graph.low_starts, at, side="right")) - 1)
            at += 1
    if not uids:
        return frozenset()
    chosen = np.asarray(uids)
    nodes = graph.node_of[chosen]
    using = graph.src[np.isin(graph.dst, nodes[nodes >= 0]) & (graph.src < len(graph.paths))]
    defining = graph.pair_file[np.isin(graph.pair_name, chosen)]
    found, uses = np.unique(np.concatenate([using, defining]), return_counts=True)
    best = found[np.argsort(-uses, kind="stable")].tolist()
    kept = [graph.paths[f] for f in best if graph.languages[f] != "sql"]
    return frozenset(kept[:SQL_TOUCHING])


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def tables(files: Mapping[str, FileTags], graph: Graph) -> dict[str, str]:
    """CREATE TABLE/VIEW statements by name (lower case); a later file (migration) wins."""
    return table_definitions(files, graph)[0]


def table_definitions(
    files: Mapping[str, FileTags], graph: Graph
) -> tuple[dict[str, str], set[tuple[str, int]]]:
    """The statements `tables` gives, and which definitions (path, index) they come from."""
    sql = [p for p, lang in zip(graph.paths, graph.languages, strict=True) if lang == "sql"]
    found: dict[str, str] = {}
    where: set[tuple[str, int]] = set()
    for path in sql:
        tagged = files[path]
        if tagged.language != "sql" or tagged.note:
            continue
        for index, d in enumerate(tagged.definitions):
            if d.kind in ("table", "view", "column"):
                where.add((path, index))
            if d.kind in ("table", "view"):
                found.pop(d.name.lower(), None)
                found[d.name.lower()] = d.signature.rstrip(";") + ";"
    return found, where

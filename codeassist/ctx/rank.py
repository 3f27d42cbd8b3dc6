"""Rank definitions for one request: personalized PageRank over files and the names they use.

The graph has a node per file and per defined name. A file points at each defined name it
references (weight: square root of the count); a name points at the files defining it. The
random walk restarts at what the request is about: files and names it mentions, the current
directory, files changed in the working tree or in recent commits. A definition then scores
the rank of its name (shared among the files defining it) plus a share of its file's rank.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from codeassist.ctx.graph import Graph, build_graph
from codeassist.ctx.tags import FileTags

DAMPING = 0.85
ITERATIONS = 40
TOLERANCE = 1e-8
WEIGHT_MENTIONED = 10.0  # a reference to a name the request mentions
FILE_SHARE = 0.5  # part of a file's rank spread over its definitions

# Where the walk restarts: each signal present gets its share of the restart mass, split
# among the files and names it points at (so forty untracked files do not drown one name).
RESTART_SHARE = {
    "named": 6.0,  # files and names written like code in the request
    "words": 2.0,  # plain words equal to, or inside, names and file stems
    "changed": 1.5,  # modified or untracked in the working tree
    "recent": 0.5,  # touched by the last commits
    "cwd": 1.0,  # under the current directory
    "language": 0.3,  # files in the language asked for
}
WORD_INSIDE = 0.15  # a word inside a name counts this much of a word equal to a name
MIN_WORD = 4

STOPWORDS = frozenset(
    "that this with from into have which where what when than then them they there their "
    "should would could about also make write code function file files return returns "
    "using uses each every list take takes give gives show find print some more most".split()
)
LANGUAGE_FILES = {"python": {"python"}, "sql": {"sql"}, "shell": {"bash", "make"}}


@dataclass(frozen=True)
class Signals:
    """What the request points at, besides its words."""

    request: str
    cwd: str | None = None  # repository-relative folder, None at the root
    changed: frozenset[str] = frozenset()  # modified or untracked in the working tree
    recent: frozenset[str] = frozenset()  # touched by recent commits
    language: str | None = None


@dataclass(frozen=True)
class RankedTag:
    path: str
    index: int  # into the file's definitions
    score: float


@dataclass
class Ranking:
    tags: list[RankedTag]
    file_rank: dict[str, float]
    reasons: dict[str, str] = field(default_factory=dict)


def words_of(request: str) -> tuple[set[str], set[str]]:
    """Names written like code (snake_case, CamelCase, `quoted`, call()), and plain words."""
    names: set[str] = set(re.findall(r"`([^`\s]+)`", request))
    words: set[str] = set()
    for position, match in enumerate(re.finditer(r"[A-Za-z_][A-Za-z0-9_.]*(\()?", request)):
        token = match.group(0).rstrip("(.")
        for part in {token, *token.split(".")}:
            looks_like_code = (
                "_" in part
                or any(c.isupper() for c in part[1:])
                or any(c.isdigit() for c in part)
                or (part[:1].isupper() and position > 0)
                or match.group(1) is not None
            )
            if looks_like_code:
                names.add(part)
            elif len(part) >= MIN_WORD and part.lower() not in STOPWORDS:
                words.add(part.lower())
    return names, words


def rank(
    files: Mapping[str, FileTags],
    signals: Signals,
    limit: int | None = None,
    *,
    graph: Graph | None = None,
) -> Ranking:
    """Every definition's score for this request, best first (the best `limit` of them).

    `graph` is `files`' graph when the caller has it already (the index keeps one).
    """
    import numpy as np

    g = graph if graph is not None else build_graph(files)
    n_files = len(g.paths)
    tokens, words = words_of(signals.request)
    mentioned = [u for u in map(g.find, tokens) if u is not None]
    src, dst = g.src.astype(np.intp), g.dst.astype(np.intp)  # stored as int32: cast once
    weight = g.base.copy()
    if mentioned:
        targets = g.node_of[np.asarray(mentioned)]
        weight[np.isin(dst, targets[targets >= 0]) & (src < n_files)] *= WEIGHT_MENTIONED
    restart, reasons = _restart(g, tokens, words, signals)
    out = np.bincount(src, weights=weight, minlength=g.size)
    share = weight / np.where(out[src] > 0, out[src], 1.0)
    dangling = np.flatnonzero(out == 0)
    p = restart / restart.sum() if restart.sum() > 0 else np.full(g.size, 1.0 / max(g.size, 1))
    r = p.copy()
    for _ in range(ITERATIONS):
        spread = np.bincount(dst, weights=share * r[src], minlength=g.size)
        new = DAMPING * (spread + r[dangling].sum() * p) + (1 - DAMPING) * p
        done = float(np.abs(new - r).sum()) < TOLERANCE
        r = new
        if done:
            break

    # A definition: its name's rank, shared among the files defining it, plus a part of its
    # file's rank shared among the file's definitions.
    per_file = np.bincount(g.def_file, minlength=n_files).astype(np.float64)
    nodes = g.node_of[g.def_uid]
    from_name = np.where(nodes >= 0, r[np.maximum(nodes, 0)] / g.owners[g.def_uid], 0.0)
    from_file = FILE_SHARE * r[g.def_file] / np.maximum(per_file[g.def_file], 1.0)
    scores = (from_file + from_name) * g.def_weight
    order = np.argsort(-scores, kind="stable")
    if limit is not None:
        order = order[:limit]
    tags = [
        RankedTag(g.paths[f], int(k - g.def_offset[f]), float(scores[k]))
        for k, f in zip(order.tolist(), g.def_file[order].tolist(), strict=True)
    ]
    file_rank = dict(zip(g.paths, r[:n_files].tolist(), strict=True))
    return Ranking(tags, file_rank, reasons)


def _restart(
    g: Graph,
    tokens: set[str],
    words: set[str],
    signals: Signals,
) -> tuple[Any, dict[str, str]]:
    import numpy as np

    groups: dict[str, dict[int, float]] = {key: {} for key in RESTART_SHARE}
    ranked: dict[str, tuple[int, str]] = {}  # path → (priority, reason): the lowest wins
    paths = g.paths

    def point(group: str, node: int, weight: float = 1.0) -> None:
        if node >= 0:
            groups[group][node] = groups[group].get(node, 0.0) + weight

    def why(path: str, priority: int, reason: str) -> None:
        if path not in ranked or ranked[path][0] > priority:
            ranked[path] = (priority, reason)

    # Files: one pass each over sorted paths, stems and languages; none per file in Python.
    request, ends = signals.request, tuple(f"/{t}" for t in tokens)
    for f, path in enumerate(paths):
        if (len(path) > 3 and path in request) or path in tokens or path.endswith(ends):
            point("named", f)
            why(path, 0, "named in the request")
    for group, chosen, priority, reason in (
        ("changed", signals.changed, 4, "changed in the working tree"),
        ("recent", signals.recent, 6, "changed in a recent commit"),
    ):
        for path in chosen:
            f = bisect.bisect_left(paths, path)
            if f < len(paths) and paths[f] == path:
                point(group, f)
                why(path, priority, reason)
    if signals.cwd:
        start = bisect.bisect_left(paths, signals.cwd + "/")
        for f in range(start, bisect.bisect_left(paths, signals.cwd + "0", start)):
            point("cwd", f)
            why(paths[f], 5, "in the current directory")
    wanted = LANGUAGE_FILES.get(signals.language or "", set())
    for f in [f for f, lang in enumerate(g.languages) if lang in wanted] if wanted else []:
        point("language", f)
    stems = {t.lower() for t in tokens} | words
    by_stem: dict[str, list[int]] = {}
    for f, stem in enumerate(g.stems):
        if stem in stems:
            by_stem.setdefault(stem, []).append(f)
    for token in stems:
        matched = by_stem.get(token, [])
        for f in matched:
            point("words", f, 1.0 / len(matched))
            why(paths[f], 3, "its name is in the request")
    for name in sorted(tokens):
        if (u := g.find(name)) is not None:
            point("named", int(g.node_of[u]))
            for f in g.files_defining(u):
                why(paths[f], 1, f"defines {name}, named in the request")
    inside = np.zeros(g.size)  # the "words" group's many small points, added up in bulk
    if words:
        # One string of all names, one per line, searched in C rather than name by name.
        lowered, starts = g.low_text, g.low_starts
        lengths = np.diff(starts, append=len(lowered) + 1) - 1
        for word in sorted(words):
            hits = [m.start() for m in re.finditer(re.escape(word), lowered)]
            found = np.searchsorted(starts, hits, side="right") - 1
            lines = np.asarray(sorted(set(found.tolist())), dtype=np.intp)  # np.unique: +numpy.ma
            same = lengths[lines] == len(word)  # a line holding the word, as long as it
            for u in lines[same].tolist():
                point("words", int(g.node_of[u]))
                for f in g.files_defining(u):
                    why(paths[f], 2, f"defines {g.unique[u]}, a word of the request")
            part = lines[~same & (lengths[lines] > MIN_WORD)]
            nodes = g.node_of[part]
            np.add.at(inside, nodes[nodes >= 0], WORD_INSIDE / max(len(part), 1))
    restart = np.zeros(g.size)
    for group, pointed in groups.items():
        extra = inside if group == "words" else None
        total = sum(pointed.values()) + (float(extra.sum()) if extra is not None else 0.0)
        for node, weight in pointed.items():
            restart[node] += RESTART_SHARE[group] * weight / total
        if extra is not None and total > 0:
            restart += RESTART_SHARE[group] * extra / total
    return restart, {path: reason for path, (_, reason) in ranked.items()}

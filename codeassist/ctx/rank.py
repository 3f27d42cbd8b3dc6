"""Rank definitions for one request: personalized PageRank over files and the names they use.

The graph has a node per file and per defined name. A file points at each defined name it
references (weight: square root of the count); a name points at the files defining it. The
random walk restarts at what the request is about: files and names it mentions, the current
directory, files changed in the working tree or in recent commits. A definition then scores
the rank of its name (shared among the files defining it) plus a share of its file's rank.
Definitions in a file the request names (its path, or a dotted module path: `django.utils.
dateparse`), and a class the request names with its members (`Truncator`: its `words` and
`chars`), come before all others: the user pointed there. Before those still come the
definitions the request names one by one (`exact`): a name written like code, or the name
after a dotted module path (`slugify` of `django.utils.text.slugify`: the one in text.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from codeassist.ctx.graph import Graph, build_graph
from codeassist.ctx.signals import Module, Signals, modules_named, restart, words_of
from codeassist.ctx.tags import SCOPE_KINDS, FileTags

DAMPING = 0.85
ITERATIONS = 40
TOLERANCE = 1e-8
WEIGHT_MENTIONED = 10.0  # a reference to a name the request mentions
FILE_SHARE = 0.5  # part of a file's rank spread over its definitions
MEMBERS_OF = 3  # a scope named in the request brings its members when defined in so few files
# The reason given for a file the request does not point at (see signals.REASON_TEXT).
CENTRAL_TEXT = "used across the repository (graph rank {rank:.4f})"


@dataclass(frozen=True)
class RankedTag:
    """One definition and its score."""

    path: str
    index: int  # into the file's definitions
    score: float


@dataclass
class Ranking:
    """A request's ranking: definitions best first, files' ranks, and why files are there."""

    tags: list[RankedTag]  # best first
    file_rank: dict[str, float]  # path → the walk's rank of the file
    reasons: dict[str, str] = field(default_factory=dict)  # path → why the request points at it
    exact: frozenset[tuple[str, int]] = frozenset()  # (path, index): named one by one

    def why(self, path: str) -> str:
        """Why `path` is in the context: what the request points at, else its rank."""
        return self.reasons.get(path) or CENTRAL_TEXT.format(rank=self.file_rank.get(path, 0.0))


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
    tokens, words = words_of(signals.request)
    modules = modules_named(g, tokens)
    exact = _exact(g, files, {t for t in tokens if _spelled(t, signals.request)}, modules)
    tokens |= {m.attribute for m in modules if m.attribute}  # slugify of django.utils.text.slugify
    mentioned = [u for u in map(g.find, tokens) if u is not None]
    weight = g.base.copy()
    if mentioned:
        targets = g.node_of[np.asarray(mentioned)]
        hit = np.isin(g.dst, targets[targets >= 0]) & (g.src < len(g.paths))
        weight[hit] *= WEIGHT_MENTIONED
    start = restart(g, signals, tokens, words, modules)
    r = _walk(g, weight, start.weights)
    scores = _scores(g, r)
    # What the request points at itself comes first: what it names one by one, then a named
    # class's members in a named file, then either, then the rest; best first within each.
    tier = np.zeros(len(scores))
    if start.named:
        tier += np.isin(np.asarray(g.paths, dtype=object), list(start.named))[g.def_file]
    members = _members(g, files, mentioned)
    tier[members] += 1
    tier[exact] += 3
    made = [k for k in members + exact if g.unique[g.def_uid[k]] == "__init__"]
    tier[made] += 0.5  # how to make one: its constructor first
    scores = scores + tier * (scores.max(initial=0.0) + 1.0)
    order = np.argsort(-scores, kind="stable")
    if limit is not None:
        order = order[:limit]
    tags = [
        RankedTag(g.paths[f], int(k - g.def_offset[f]), float(scores[k]))
        for k, f in zip(order.tolist(), g.def_file[order].tolist(), strict=True)
    ]
    file_rank = dict(zip(g.paths, r[: len(g.paths)].tolist(), strict=True))
    return Ranking(tags, file_rank, start.reasons, frozenset(_where(g, k) for k in exact))


def _where(g: Graph, k: int) -> tuple[str, int]:
    """Definition `k`'s file and its index among that file's definitions (as RankedTag)."""
    f = int(g.def_file[k])
    return g.paths[f], int(k - g.def_offset[f])


def _members(g: Graph, files: Mapping[str, FileTags], mentioned: list[int]) -> list[int]:
    """The definitions of the classes (and other scopes) the request names, with their public
    members; names defined in more than MEMBERS_OF files are too common to say which."""
    found: list[int] = []
    for u in mentioned:
        owners = g.files_defining(u)
        if len(owners) <= MEMBERS_OF:
            found += _defined(g, files, u, owners, scopes_only=True)
    return found


def _exact(
    g: Graph, files: Mapping[str, FileTags], names: set[str], modules: list[Module]
) -> list[int]:
    """The definitions the request names one by one, a class with its public members: the name
    after a dotted module path, in that module's files (`slugify` of django.utils.text.slugify);
    else that name, or one written like code, where MEMBERS_OF files or fewer define it."""
    found: list[int] = []
    names = set(names)
    for m in modules:
        u = g.find(m.attribute) if m.attribute else None
        there = _defined(g, files, u, list(m.files), scopes_only=False) if u is not None else []
        found += there
        if m.attribute and not there:
            names.add(m.attribute)
    for name in sorted(names):
        u = g.find(name)
        owners = g.files_defining(u) if u is not None else []
        if u is not None and len(owners) <= MEMBERS_OF:
            found += _defined(g, files, u, owners, scopes_only=False)
    return found


def _spelled(name: str, request: str) -> bool:
    """Whether the request spells `name` as only code is spelled (`slug_field`, `JsonResponse`,
    `slugify`, slugify()), not as a word that may only be capitalized (`Order`)."""
    return (
        "_" in name
        or any(c.isupper() for c in name[1:])
        or f"`{name}`" in request
        or (f"{name}(" in request)
    )


def _defined(
    g: Graph, files: Mapping[str, FileTags], u: int, owners: list[int], scopes_only: bool
) -> list[int]:
    """Name `u`'s definitions in the files `owners` (`scopes_only`: its classes and other
    scopes alone), each scope with its public members."""
    found: list[int] = []
    for f in owners:
        tags = files.get(g.paths[f])
        defs = tags.definitions if tags is not None else ()
        offset = int(g.def_offset[f])
        for i, d in enumerate(defs):
            if d.name != g.unique[u] or (scopes_only and d.kind not in SCOPE_KINDS):
                continue
            found.append(offset + i)
            if d.kind in SCOPE_KINDS:
                found += [offset + j for j, m in enumerate(defs) if m.parent == i
                          and not _private(m.name)]  # fmt: skip
    return found


def _private(name: str) -> bool:
    """`_helper`, not `__init__`: a member the class's users do not call."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _walk(g: Graph, weight: Any, restart: Any) -> Any:
    """Personalized PageRank: each node's rank, restarting in proportion to `restart`."""
    import numpy as np

    src, dst = g.src.astype(np.intp), g.dst.astype(np.intp)  # stored as int32: cast once
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
    return r


def _scores(g: Graph, r: Any) -> Any:
    """Per definition: its name's rank, shared among the files defining it, plus a part of its
    file's rank shared among the file's definitions; times its kind's weight."""
    import numpy as np

    per_file = np.bincount(g.def_file, minlength=len(g.paths)).astype(np.float64)
    nodes = g.node_of[g.def_uid]
    from_name = np.where(nodes >= 0, r[np.maximum(nodes, 0)] / g.owners[g.def_uid], 0.0)
    from_file = FILE_SHARE * r[g.def_file] / np.maximum(per_file[g.def_file], 1.0)
    return (from_file + from_name) * g.def_weight

"""Shell candidates compared by their normalized parse trees and, where they are read-only,
by their output; the largest group of agreeing candidates wins.

Normalized means: the tree-sitter bash tree with comments, spacing and line continuations
dropped; a plain word is the same word quoted or not (`foo`, 'foo', "foo" when nothing in it
expands); the letters of one short-option cluster are a set (`-la` is `-al`). So `ls -la`,
`ls  -la` and `ls -al` agree, while `ls -l -a` (two words) and `ls -l` do not. Letters of a
cluster are not moved across words, so `find . -name x -type f` and `find . -name f -type x`
stay apart. Known limit: in `tar -xf a` vs `tar -fx a` the option that takes the argument
differs, yet the two agree here (a model rarely writes both).

Where the trees leave no majority, read-only candidates run in the sandbox on a copy of the
working directory (verify/shell_runs.py), and groups whose runs print the same join: so
`wc -l < f` and `cat f | wc -l` agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from codeassist.verify import Subject
from codeassist.verify.select import Candidate, Choice, alone, group, largest, passing, score

if TYPE_CHECKING:
    from tree_sitter import Node

Tree = tuple[object, ...]
_CLUSTER = re.compile(r"-[A-Za-z]{2,}")
_SKIPPED = frozenset({"comment", "line_continuation"})


def normalized(code: str) -> Tree:
    """The code's parse tree as nested tuples, normalized as the module says."""
    from codeassist import syntax

    return _node(syntax.parse("bash", code.strip()))


def _node(node: Node) -> Tree:
    from codeassist import syntax

    kind = node.type
    children = [c for c in node.children if c.type not in _SKIPPED]
    if kind == "raw_string":
        return ("word", syntax.text_of(node)[1:-1])
    if kind == "string" and all(c.type in ('"', "string_content") for c in children):
        return ("word", "".join(syntax.text_of(c) for c in children if c.type != '"'))
    if not children:
        text = syntax.text_of(node)
        if kind == "word" and _CLUSTER.fullmatch(text):
            text = "-" + "".join(sorted(set(text[1:])))
        return ("word" if kind == "word" else kind, text)
    return (kind, *(_node(c) for c in children))


def choose(subject: Subject, candidates: Sequence[Candidate]) -> Choice:
    """The largest group of candidates that pass the checks and agree (same tree, or the same
    output where no tree has a majority); ties: the group of the earlier candidate."""
    eligible = set(passing(candidates))
    if len(eligible) == 1:
        return alone(candidates, min(eligible))
    trees = [normalized(c.code) if i in eligible else None for i, c in enumerate(candidates)]
    groups = group(trees)
    members = largest(groups)
    scores = [score(c.checks) for c in candidates]
    if not members:
        return Choice(0, "no candidate parses", groups, scores)
    k, n = len(candidates), len(members)
    if n > 1 and groups.count(groups[members[0]]) * 2 > len(eligible):
        return Choice(members[0], f"majority parse tree {n}/{k}", groups, scores)
    merged = by_output(subject, candidates, groups)
    if merged != groups:
        members = largest(merged)
        return Choice(members[0], f"same output {len(members)}/{k}", merged, scores)
    reason = (
        f"majority parse tree {n}/{k}"
        if n > 1
        else f"no two of {k} parse alike: the first that passes"
    )
    return Choice(members[0], reason, groups, scores)


def by_output(
    subject: Subject, candidates: Sequence[Candidate], groups: list[int | None]
) -> list[int | None]:
    """The tree groups, with groups whose read-only runs print the same merged (the group of
    the earlier candidate keeps its id)."""
    from codeassist.verify import shell_runs

    codes = [c.code if g is not None else None for c, g in zip(candidates, groups, strict=True)]
    runs = shell_runs.outputs(codes, subject.cwd, subject.shell)
    into: dict[int, int] = {}  # a group id -> the id it joins
    first_by_output: dict[object, int] = {}
    for g, out in zip(groups, runs, strict=True):
        if g is None or out is None:
            continue
        keep = first_by_output.setdefault(out, g)
        if keep != g:
            into.setdefault(g, into.get(keep, keep))
    return [None if g is None else into.get(g, g) for g in groups]

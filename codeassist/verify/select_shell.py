"""Shell candidates compared by their normalized parse trees; the most common tree wins.

Normalized means: the tree-sitter bash tree with comments, spacing and line continuations
dropped; a plain word is the same word quoted or not (`foo`, 'foo', "foo" when nothing in it
expands); the letters of one short-option cluster are a set (`-la` is `-al`). So `ls -la`,
`ls  -la` and `ls -al` agree, while `ls -l -a` (two words) and `ls -l` do not. Letters of a
cluster are not moved across words, so `find . -name x -type f` and `find . -name f -type x`
stay apart. Known limit: in `tar -xf a` vs `tar -fx a` the option that takes the argument
differs, yet the two agree here (a model rarely writes both).
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
    """The most common normalized tree among those that pass the checks; ties: the earlier."""
    del subject  # the trees need only the code
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
    reason = (
        f"majority parse tree {n}/{k}"
        if n > 1
        else f"no two of {k} parse alike: the first that passes"
    )
    return Choice(members[0], reason, groups, scores)

"""`shell.flags`: every option of every program is one the installed program documents.

Each simple command (in pipelines, lists, `$( … )`, `sh -c` scripts, through sudo, xargs,
env and find's -exec) is split into words with codeassist/shell/words.py, and each option is
looked up in that program's `--help` (its man page when --help does not list it). An option
that trusted documentation does not list fails the check, and the detail names the real
options, for the repair round. No documentation (no man page, no usable --help, a builtin,
a missing program) means "cannot tell": the check passes.
"""

from __future__ import annotations

import re
from difflib import get_close_matches
from typing import TYPE_CHECKING

from codeassist import syntax
from codeassist.safety.argv import words_of
from codeassist.shell.docs import Program
from codeassist.shell.words import Word, classify, inline_script, lookup
from codeassist.terminal import one_line
from codeassist.verify import Check

if TYPE_CHECKING:
    from tree_sitter import Tree

NAME = "shell.flags"
MAX_DEPTH = 3  # nested `sh -c` scripts checked
MAX_LISTED = 40  # options named in a failure's detail
CLOSE = 3  # closest documented names shown first
_CLEAN = re.compile(r"-[A-Za-z0-9?]|--?[A-Za-z][\w-]*[A-Za-z0-9]")  # not `-f-`, `-removed-`


def check(code: str) -> Check:
    """The flags check of a shell command line."""
    tree = _parse(code)
    if tree.root_node.has_error:
        return Check(NAME, False, "not run: the command does not parse")
    words = _words(code, 0)
    bad = [w for w in words if w.kind == "option" and w.known is False]
    if bad:
        return Check(NAME, False, "; ".join(dict.fromkeys(_detail(w) for w in bad)))
    unchecked = sorted({w.program for w in words if w.kind == "option" and w.known is None})
    return Check(
        NAME, True, f"cannot tell for {one_line(', '.join(unchecked))}" if unchecked else ""
    )


def _words(code: str, depth: int) -> list[Word]:
    """The classified words of every simple command in the code, nested scripts included."""
    found: list[Word] = []
    stack = [_parse(code).root_node]
    while stack:
        node = stack.pop()
        if node.type == "command":
            words = words_of(node)
            found.extend(classify(words, describe=False))
            script = inline_script([value for _, value in words])
            if script is not None and depth < MAX_DEPTH:
                found.extend(_words(script, depth + 1))
        stack.extend(reversed(node.children))
    return found


def _detail(word: Word) -> str:
    """`du has no --max-depth; du --help lists: -d/--max-depth, -h, -s…` (closest first)."""
    missing = ", ".join(word.missing)
    name, _, sub = word.program.partition(" ")
    prog = lookup(name, describe=False)
    if prog is not None and sub:
        prog = Program(prog.path, sub, describe=False)
    docs = prog.trusted() if prog is not None else []
    if not docs:
        return f"{word.program} has no {missing}"
    options = list({id(o): o for d in docs for o in d.options.values()}.values())
    labels = {"/".join(n for n in o.names if _CLEAN.fullmatch(n)): o for o in options}
    labels.pop("", None)
    names = {n: label for label, o in labels.items() for n in o.names}
    close = [names[c] for m in word.missing for c in get_close_matches(m, names, CLOSE, 0.5)]
    ordered = sorted(labels, key=lambda label: (label.startswith("--"), label.lower()))
    listed = list(dict.fromkeys([*close, *ordered]))
    shown = ", ".join(listed[:MAX_LISTED]) + (", …" if len(listed) > MAX_LISTED else "")
    sources = " and ".join(doc.source for doc in docs)
    verb = "list" if len(docs) > 1 else "lists"
    return f"{word.program} has no {missing}; {sources} {verb}: {shown}"


def _parse(code: str) -> Tree:
    return syntax.parser("bash").parse(code.encode("utf-8"))

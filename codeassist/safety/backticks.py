"""Backquotes (and empty `$( )`) read as bash reads them, where tree-sitter-bash does not.

Its grammar takes an empty pair of backquotes for a joint between two parts of one word (the
`/`\\s*`/` of its concatenation rule), and the whitespace around it with it: `echo `` rm -rf /`
parses as the one word echo``rm, a program known only when the line runs, given `/`. Bash
reads `` as an empty command substitution, gone from an unquoted line. And inside backquotes a
\\` starts a nested substitution, which tree-sitter-bash reads as text: `echo `echo \\`rm -rf /\\``
runs rm -rf /. An empty `$( )` it reads as a substitution of a command with no name, an
error; bash as nothing, as ``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from codeassist import syntax

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

_EMPTY_PAIR = "``"  # the node type tree-sitter-bash gives `` (and ` `) between two parts of a word
_WORD_END = re.compile(rb"[\s;&|()<>]")  # what ends a word: an empty pair beside it stands alone
_COMMAND_START = frozenset({b"", b";", b"&", b"|", b"(", b"\n"})  # what may come before a command
_COMMAND_END = frozenset({b"", b";", b"&", b"|", b")", b"\n"})  # and after it
_EMPTY_DOLLAR = re.compile(rb"\$\(\s*\)")
_SCOPES = frozenset({"string", "command_substitution", "process_substitution"})
_MAX_REPAIRS = 8  # parses of one line, each with the empty ones it shows read as bash does


def parse(command: str) -> Tree:
    """The syntax tree of a command line, each empty substitution read as bash does."""
    data = command.encode("utf-8")
    tree = syntax.parser("bash").parse(data)
    for _ in range(_MAX_REPAIRS):  # a repair may show another pair (`` `` ``), or end an error
        repaired = _without_empty(data, tree)
        if repaired == data:
            break
        data = repaired
        tree = syntax.parser("bash").parse(data)
    return tree


def _without_empty(data: bytes, tree: Tree) -> bytes:
    """The line with each empty substitution (``, `$( )`) made what it is to bash: nothing."""
    fillers = _empty_pairs(data, tree)
    for start, end in _empty_dollars(data, tree):
        fillers.setdefault(start, (end, _filler(data, start, end)))
    out, at = bytearray(), 0
    for start in sorted(fillers):
        end, filler = fillers[start]
        out += data[at:start] + filler
        at = end
    return bytes(out + data[at:])


def _empty_dollars(data: bytes, tree: Tree) -> list[tuple[int, int]]:
    """Where each `$( )` is, nothing but blanks in it (`$()` too)."""
    if not _EMPTY_DOLLAR.search(data):
        return []
    nodes = (n for n in syntax.walk(tree.root_node) if n.type == "command_substitution")
    spans = [(n.start_byte, n.end_byte) for n in nodes]
    return [(start, end) for start, end in spans if _EMPTY_DOLLAR.fullmatch(data[start:end])]


def _empty_pairs(data: bytes, tree: Tree) -> dict[int, tuple[int, bytes]]:
    """Where each empty pair of backquotes is: (where it ends, what bash makes of it). Bash
    pairs backquotes from the left (each one it acts on opens or closes a substitution);
    tree-sitter-bash's tokens are those it acts on (not \\`, not in '…' or a comment)."""
    ticks: list[int] = []
    fillers: dict[int, tuple[int, bytes]] = {}  # where one starts: (where it ends, what it is)
    leaves = (n for n in syntax.walk(tree.root_node) if n.child_count == 0)  # in line order
    for leaf in leaves:  # a token may begin with the blanks before it
        first, last = data.find(b"`", leaf.start_byte, leaf.end_byte), leaf.end_byte - 1
        if first < 0 or leaf.is_missing or leaf.type not in ("`", _EMPTY_PAIR):
            continue
        if leaf.type == "`":
            ticks.append(first)
            continue
        closes = len(ticks) % 2 and data[ticks[-1] + 1 : first].strip()
        if closes and last == first + 1:  # `date``date`: one ends, the next begins
            fillers[first] = (last + 1, b'`""`')
        ticks += [first, last]
    pairs = [(start, end + 1) for start, end in zip(ticks[::2], ticks[1::2], strict=False)
             if not data[start + 1 : end].strip()]  # fmt: skip
    for run in _runs(pairs):  # side by side, ```` is as empty as ``
        start, end = run[0][0], run[-1][1]
        fillers[start] = (end, _filler(data, start, end))
    return fillers


def _filler(data: bytes, start: int, end: int) -> bytes:
    """What tree-sitter-bash must read for empty substitutions from start to end, to read what
    bash does: in a word or as a redirect's word (`<<< $( )`), nothing (""); alone, no word
    (blanks); a command alone (`` ; a), one that does nothing (:)."""
    before, after = data[:start].rstrip(b" \t")[-1:], data[end:].lstrip(b" \t")[:1]
    beside = (data[start - 1 : start], data[end:][:1])
    if before in (b"<", b">") or not all(not c or _WORD_END.match(c) for c in beside):
        return b'""'
    alone = before in _COMMAND_START and after in _COMMAND_END
    return (b":" if alone else b" ") + b" " * (end - start - 1)


def _runs(spans: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """The spans, in runs of those that touch (each starts where the one before ends)."""
    runs: list[list[tuple[int, int]]] = []
    for span in spans:
        if runs and runs[-1][-1][1] == span[0]:
            runs[-1].append(span)
        else:
            runs.append([span])
    return runs


def nested(node: Node) -> str | None:
    """The script of a backquoted substitution with backquotes nested in it (\\`), unquoted
    as bash does: \\` \\$ \\\\ lose their backslash (and \\" too, inside double quotes)."""
    raw = (node.text or b"").decode("utf-8", "replace")
    if node.type != "command_substitution" or not raw.startswith("`") or "\\`" not in raw:
        return None
    quoted = _quoted(node)
    escaped = r'\\([$`\\"])' if quoted else r"\\([$`\\])"
    return re.sub(escaped, r"\1", raw[1:-1] if raw.endswith("`") else raw[1:])


def _quoted(node: Node) -> bool:
    """Is the node inside double quotes (not in a substitution within them)?"""
    parent = node.parent
    while parent is not None and parent.type not in _SCOPES:
        parent = parent.parent
    return parent is not None and parent.type == "string"

"""Parse one file with tree-sitter and pull out its tags: definitions and references.

The queries live next to this module as package data, one `.scm` file per language:
`@definition.KIND` marks a whole definition, `@name` its name, `@reference` a name it uses.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any, NamedTuple

from codeassist import syntax
from codeassist.ctx.store import queries_folder

FORMAT = 2  # bump when the stored tag layout changes
PARSE_TIMEOUT_S = 2.0  # a file that takes longer is skipped with a note
SIG_MAX = 200  # characters of a signature line
LONG_SIGNATURE = 90  # characters: a longer Python signature is shown without its annotations
SQL_STATEMENT_MAX = 4000  # characters of a CREATE TABLE/VIEW kept for the schema
DOC_MAX = 120
SCOPE_KINDS = frozenset({"class", "interface", "impl", "trait", "struct", "namespace", "module"})

QUERY_FILE = {"tsx": "typescript"}  # grammars sharing another language's query
# Nodes that wrap a definition on its first line: their start and comments belong to it.
WRAPPERS = frozenset({"type_declaration", "export_statement", "statement", "lexical_declaration"})
COMMENT = {"python": "#", "bash": "#", "make": "#", "sql": "--"}  # others: //
# A definition pattern whose @name is the `name` field of the @definition node itself.
_NAME_FIELD = re.compile(r"\(\s*\w+\s+name:\s*\(\w+\)\s*@name\b")


class Definition(NamedTuple):
    """One definition: `parent` is the index of the enclosing definition in the file, or -1."""

    name: str
    kind: str
    line: int  # 1-based
    depth: int
    parent: int
    signature: str
    doc: str


@dataclass(frozen=True)
class FileTags:
    """Everything the ranker needs from one file; `note` says why it was skipped, if it was.

    `raw` holds the definitions as plain tuples (name, kind, line, depth, parent, signature,
    doc), as the cache stores them: the ranker reads names from thousands of files, and only
    the few files that get rendered pay for `definitions`.
    """

    language: str
    raw: tuple[tuple[Any, ...], ...] = ()
    references: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @cached_property
    def definitions(self) -> tuple[Definition, ...]:
        return tuple(map(Definition._make, self.raw))

    def dump(self) -> tuple[Any, ...]:
        """Plain tuples for the cache (marshal-able)."""
        return (FORMAT, self.language, tuple(map(tuple, self.raw)), self.references, self.note)

    @staticmethod
    def load(data: tuple[Any, ...]) -> FileTags:
        version, language, defs, refs, note = data
        if version != FORMAT or not isinstance(refs, dict):
            raise ValueError("not a tag record of this version")
        return FileTags(language, defs, refs, note)


@cache
def _query(language: str) -> tuple[Any, bool]:
    """The tags query, and whether every definition's @name is its node's `name` field."""
    import tree_sitter

    name = QUERY_FILE.get(language, language)
    text = queries_folder().joinpath(f"{name}.scm").read_bytes()
    query = tree_sitter.Query(syntax.language(language), text.decode("utf-8"))
    patterns = [
        text[query.start_byte_for_pattern(n) : query.end_byte_for_pattern(n)].decode("utf-8")
        for n in range(query.pattern_count)
    ]
    by_field = all(_NAME_FIELD.match(p) for p in patterns if "@definition." in p)
    return query, by_field


def _text(data: bytes, start: int, end: int) -> str:
    return data[start:end].decode("utf-8", errors="replace")


def _collapse(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _outer(node: Any) -> Any:
    """The node itself, or the wrapper (export, type declaration) starting on its line."""
    parent = node.parent
    while (
        parent is not None
        and parent.type in WRAPPERS
        and parent.start_point[0] == node.start_point[0]
    ):
        node, parent = parent, parent.parent
    return node


def _signature(node: Any, data: bytes, kind: str) -> str:
    if kind in ("table", "view"):
        return _collapse(_text(data, node.start_byte, node.end_byte), SQL_STATEMENT_MAX)
    start = _outer(node).start_byte
    body = node.child_by_field_name("body")
    if body is None and (value := node.child_by_field_name("value")) is not None:
        body = value.child_by_field_name("body")
    if body is not None and body.start_byte > start:
        end = _header_end(node, body)
        header = _collapse(_one_line(_text(data, start, end)), SIG_MAX)
        if len(header) > LONG_SIGNATURE and node.type == "function_definition":
            return _collapse(_one_line(_unannotated(node, data, start, end)), SIG_MAX)
        return header
    end = data.find(b"\n", start, node.end_byte)
    line = _text(data, start, node.end_byte if end < 0 else end).rstrip(" {")
    return _collapse(line, SIG_MAX)


def _unannotated(node: Any, data: bytes, start: int, end: int) -> str:
    """A Python function's header without its type annotations: `def secho(message=None,
    file=None, nl=True, err=False, color=None, **styles):`, a third of the tokens typed."""
    cuts: list[tuple[int, int, str]] = []
    params = node.child_by_field_name("parameters")
    for param in params.named_children if params is not None else ():
        kind, colon = param.type, next((c for c in param.children if c.type == ":"), None)
        typed = param.child_by_field_name("type")
        if colon is None or typed is None:
            continue
        if kind == "typed_default_parameter" and (value := param.child_by_field_name("value")):
            cuts.append((colon.start_byte, value.start_byte, "="))
        elif kind == "typed_parameter":
            cuts.append((colon.start_byte, typed.end_byte, ""))
    returns = node.child_by_field_name("return_type")
    if returns is not None and params is not None:
        cuts.append((params.end_byte, returns.end_byte, ""))
    out, at = [], start
    for cut_start, cut_end, new in sorted(cuts):
        if at <= cut_start and cut_end <= end:
            out += [_text(data, at, cut_start), new]
            at = cut_end
    return "".join(out) + _text(data, at, end)


def _one_line(header: str) -> str:
    """A header written over several lines, as one: `def f(a, b)`, not `def f( a, b, )`."""
    return re.sub(r",?[ \t]*\n\s*\)", ")", re.sub(r"\([ \t]*\n\s*", "(", header))


def _header_end(node: Any, body: Any) -> int:
    """Where a definition's header ends: before its body, and before the comments that open
    the body (`class Paginator:` then `# Translators: ...` is the header `class Paginator:`)."""
    end, children = body.start_byte, list(node.children)
    while children:
        child = children.pop(0)
        if child.start_byte >= body.start_byte:
            break
        if child.end_byte > body.start_byte:  # holds the body (`f = (a) => {...}`): go in
            children = list(child.children)
        elif "comment" not in child.type:
            end = child.end_byte
    return int(end)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().strip("/*#-!").strip()
        if line:
            return _collapse(line, DOC_MAX)
    return ""


def _docstring(node: Any, data: bytes, language: str) -> str:
    if language == "python":
        body = node.child_by_field_name("body")
        first = body.named_children[0] if body is not None and body.named_child_count else None
        if first is not None and first.type == "expression_statement" and first.named_child_count:
            first = first.named_children[0]
        if first is None or first.type != "string":
            return ""
        text = _text(data, first.start_byte, first.end_byte).lstrip("rRbBuUfF")
        return _first_line(text.strip("\"'"))
    lines: list[str] = []
    node = _outer(node)
    prev, row = node.prev_named_sibling, node.start_point[0]
    while prev is not None and "comment" in prev.type and prev.end_point[0] >= row - 1:
        lines.insert(0, _text(data, prev.start_byte, prev.end_byte))
        prev, row = prev.prev_named_sibling, prev.start_point[0]
        if len(lines) > 20:
            break
    return _first_line("\n".join(lines))


def parse(data: bytes, language: str) -> FileTags:
    """Tags of one file's bytes; a failed or too-slow parse gives a note instead of tags."""
    try:
        query, by_field = _query(language)
        parser = syntax.parser(language)
    except Exception as exc:  # noqa: BLE001 - a grammar that will not load skips files only
        return FileTags(language, note=f"no {language} grammar: {exc}")
    import tree_sitter

    deadline = time.monotonic() + PARSE_TIMEOUT_S
    view = memoryview(data)

    def read(offset: int, _point: Any) -> bytes:
        return bytes(view[offset : offset + 65536])

    def too_slow(*_: Any) -> bool:
        return time.monotonic() > deadline

    try:
        tree = parser.parse(read, progress_callback=too_slow)
        found: Found = {}
        used: list[bytes] = []
        if tree is not None and by_field:  # one captures() pass: cheaper than matches()
            found, used = _from_captures(
                tree_sitter.QueryCursor(query).captures(tree.root_node), data
            )
        elif tree is not None:
            found, used = _from_matches(
                tree_sitter.QueryCursor(query).matches(tree.root_node), data
            )
    except Exception as exc:  # noqa: BLE001 - never let one file stop the run
        parser.reset()  # a cancelled parse would otherwise resume on the next file
        if time.monotonic() <= deadline:
            return FileTags(language, note=f"parse failed: {exc}")
        tree = None  # cancelled by too_slow
    if tree is None or time.monotonic() > deadline:
        parser.reset()
        return FileTags(language, note=f"parse took over {PARSE_TIMEOUT_S:g} s")
    return _collect(found, used, data, language)


Found = dict[int, tuple[Any, Any, str]]  # start byte → (definition node, name node, kind)


def _from_matches(
    matches: list[tuple[int, dict[str, list[Any]]]], data: bytes
) -> tuple[Found, list[bytes]]:
    found: Found = {}
    used: list[bytes] = []
    for _, captures in matches:
        if nodes := captures.get("reference"):
            used.extend([data[node.start_byte : node.end_byte] for node in nodes])
        if names := captures.get("name"):
            for capture, nodes in captures.items():
                if capture.startswith("definition."):
                    found.setdefault(nodes[0].start_byte, (nodes[0], names[0], capture[11:]))
    return found, used


def _from_captures(captures: dict[str, list[Any]], data: bytes) -> tuple[Found, list[bytes]]:
    found: Found = {}
    for capture, nodes in captures.items():
        if capture.startswith("definition."):
            for node in nodes:
                if (name := node.child_by_field_name("name")) is not None:
                    found.setdefault(node.start_byte, (node, name, capture[11:]))
    # in source order: the order of a capture's nodes varies from run to run, and the order
    # of first use decides the graph's edge order, so the ranking's scores
    nodes = sorted(captures.get("reference", ()), key=lambda node: node.start_byte)
    used = [data[node.start_byte : node.end_byte] for node in nodes]
    return found, used


def _collect(found: Found, used: list[bytes], data: bytes, lang: str) -> FileTags:
    references: dict[str, int] = {}  # in order of first use; decoded once per distinct name
    for raw, count in Counter(used).items():
        name = raw.decode("utf-8", errors="replace")
        references[name] = references.get(name, 0) + count
    definitions: list[Definition] = []
    stack: list[tuple[int, int]] = []  # (end byte, index) of the open definitions
    for start in sorted(found):
        node, name_node, kind = found[start]
        while stack and stack[-1][0] <= start:
            stack.pop()
        parent = stack[-1][1] if stack else -1
        if kind == "function" and parent >= 0 and definitions[parent].kind in SCOPE_KINDS:
            kind = "method"
        definitions.append(
            Definition(
                name=_text(data, name_node.start_byte, name_node.end_byte),
                kind=kind,
                line=node.start_point[0] + 1,
                depth=len(stack),
                parent=parent,
                signature=_signature(node, data, kind),
                doc=_docstring(node, data, lang),
            )
        )
        stack.append((node.end_byte, len(definitions) - 1))
    return FileTags(lang, tuple(definitions), references)

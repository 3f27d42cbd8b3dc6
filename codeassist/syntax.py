"""Languages in one place: file names to languages, tree-sitter parsers, lexers, SQL dialects.

Importing this module is cheap: tree-sitter is imported when a parser or language is first
asked for.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Language, Node, Parser

EXTENSIONS = {
    ".py": "python", ".pyi": "python", ".sql": "sql",
    ".sh": "bash", ".bash": "bash", ".zsh": "bash",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".go": "go", ".rs": "rust", ".java": "java", ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
    ".mk": "make",
}  # fmt: skip
FILENAMES = {"Makefile": "make", "makefile": "make", "GNUmakefile": "make"}
# Pygments lexer of each language a request can be answered in.
LEXERS = {"python": "python", "sql": "sql", "shell": "bash"}
# Other names of a SQL dialect, to sqlglot's name (a name not listed is sqlglot's already).
SQL_DIALECTS = {
    "postgresql": "postgres", "psql": "postgres", "sqlite3": "sqlite", "mariadb": "mysql",
}  # fmt: skip

_local = threading.local()  # parsers: one per thread (a Parser is not safe to share)


def language_of(path: str) -> str | None:
    """The tree-sitter language of a file path, or None when we do not parse such files."""
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return FILENAMES.get(name) or (EXTENSIONS.get(name[dot:].lower()) if dot > 0 else None)


def sql_dialect(name: str) -> str:
    """sqlglot's name for a SQL dialect: `postgresql` and `psql` are postgres."""
    name = name.lower()
    return SQL_DIALECTS.get(name, name)


@cache
def quiet_sqlglot() -> None:
    """Keep sqlglot's warnings off stderr: they quote the SQL (a model's text, escape
    sequences and all) outside our one-line messages, and say nothing the checks do not."""
    import logging

    logging.getLogger("sqlglot").setLevel(logging.ERROR)


def parser(language: str) -> Parser:
    """The tree-sitter parser of a language, made once per thread."""
    parsers: dict[str, Parser] = _local.__dict__.setdefault("parsers", {})
    found = parsers.get(language)
    if found is None:
        from tree_sitter_language_pack import get_parser

        found = parsers[language] = get_parser(language)  # type: ignore[arg-type]
    return found


@cache
def language(name: str) -> Language:
    """The tree-sitter language object, for queries."""
    from tree_sitter_language_pack import get_language

    return get_language(name)  # type: ignore[arg-type]


def parse(language: str, text: str) -> Node:
    """The root node of `text` parsed as `language` (tree-sitter never fails: errors are nodes)."""
    return parser(language).parse(text.encode("utf-8", errors="replace")).root_node


def walk(node: Node) -> Iterator[Node]:
    """Every node below `node`, depth first, without recursion."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def text_of(node: Node | None) -> str:
    """The source text of a node ("" for no node)."""
    return bytes(node.text or b"").decode("utf-8", errors="replace") if node is not None else ""


def line_of(node: Node) -> int:
    """The 1-based line a node starts on."""
    return int(node.start_point[0]) + 1


def parse_python(code: str) -> ast.Module:
    """`ast.parse`, with code nested past the parser's limits raised as the SyntaxError it is
    (CPython raises MemoryError for a few thousand nested operators: `x = ----…1`)."""
    try:
        return ast.parse(code)
    except MemoryError:
        raise SyntaxError("the code is nested too deeply to parse") from None

"""Tree-sitter helpers shared by the checks: parsers per file suffix, node walking."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

LANGUAGE_OF_SUFFIX = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".tsx": "tsx",
    ".sh": "bash", ".bash": "bash", ".zsh": "bash",
    ".sql": "sql",
}  # fmt: skip


@lru_cache(maxsize=8)
def parser(language: str) -> Any:
    from tree_sitter_language_pack import get_parser

    return get_parser(language)  # type: ignore[arg-type]


def parse(language: str, text: str) -> Any:
    """The root node of `text` parsed as `language` (tree-sitter never fails: errors are nodes)."""
    return parser(language).parse(text.encode("utf-8", errors="replace")).root_node


def walk(node: Any) -> Iterator[Any]:
    """Every node below `node`, depth first, without recursion."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def text_of(node: Any) -> str:
    return bytes(node.text or b"").decode("utf-8", errors="replace")


def line_of(node: Any) -> int:
    return int(node.start_point[0]) + 1

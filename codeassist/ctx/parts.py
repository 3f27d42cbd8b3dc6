"""The stable part of a prompt for code (Python, SQL): overview and schema, kept in the cache.

It is computed from the tag cache's repository state, and stored in the tag cache under the
root, language, budget and token counter, with the state it was made from: a warm run reads
one row. See codeassist/context.py for what it is for.
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass
from typing import TYPE_CHECKING

from codeassist.ctx.counts import TokenCounter

if TYPE_CHECKING:
    from codeassist.ctx.graph import Graph
    from codeassist.ctx.index import Index
    from codeassist.ctx.overview import Overview

OWN_SHARE = 0.10  # of the context budget, for the request's own part; the rest: the overview
OWN_LEAST = 64  # tokens the request's own part gets at least (half the budget at most)
OVERVIEW_HEAD = "The most used definitions in the repository:"
SCHEMA_HEAD = "Database schema found in the repository:"
USES_HEAD = "Code that uses those tables, and the repository's most used definitions:"


@dataclass(frozen=True)
class Stable:
    """The stable part: its text (with headings), tokens, what it shows, the schema in it."""

    text: str
    tokens: int
    shown: frozenset[tuple[str, int]]  # (path, definition index) in the overview
    schema: str  # CREATE statements found in the repository (SQL only), "" if none
    paths: list[str]  # files in the overview, in order
    schema_tokens: int = 0  # of `tokens`: the schema's block (outside the budget, as needed)

    def dump(self, state_key: str) -> bytes:
        shown = sorted(self.shown)
        fields = (self.text, self.tokens, shown, self.schema, self.paths, self.schema_tokens)
        return marshal.dumps((state_key, *fields))

    @staticmethod
    def load(data: bytes | None, state_key: str) -> Stable | None:
        try:
            key, text, tokens, shown, schema, paths, schema_tokens = marshal.loads(data or b"")
        except (ValueError, TypeError, EOFError):
            return None
        if key != state_key:
            return None
        return Stable(
            str(text), int(tokens), frozenset(map(tuple, shown)), schema, list(paths), schema_tokens
        )


def stable_budget(budget: int) -> int:
    """Tokens of the overview out of a context `budget` (the request's own part: the rest)."""
    return budget - max(round(budget * OWN_SHARE), min(OWN_LEAST, budget // 2))


def code_stable(index: Index, language: str, budget: int, count: TokenCounter) -> Stable:
    """The stable part for `language` (python, sql) from `index`, read from the cache if there."""
    from codeassist.ctx.cache import TagCache
    from codeassist.ctx.index import rendering_version
    from codeassist.ctx.store import cache_path, cache_version

    key = f"stable|{index.root}|{language}|{budget}|{count.key}|{rendering_version()}"
    persist = count.store is not None and bool(index.state_key)
    if persist:
        cache = TagCache.open(cache_path(), cache_version())
        try:
            found = Stable.load(cache.recall(key), index.state_key)
            if found is None:
                found = _compute(index, language, budget, count)
                cache.remember({key: found.dump(index.state_key)})
        finally:
            cache.close()
        return found
    return _compute(index, language, budget, count)


def _compute(index: Index, language: str, budget: int, count: TokenCounter) -> Stable:
    from codeassist.ctx.overview import table_definitions

    if index.graph is None:
        return Stable("", 0, frozenset(), "", [])
    found, in_schema = (
        table_definitions(index.files, index.graph) if language == "sql" else ({}, set())
    )
    schema = "\n".join(found.values())
    block = f"{SCHEMA_HEAD}\n```sql\n{schema}\n```" if schema else ""
    room = stable_budget(budget)
    text, view = _fit_overview(index, index.graph, language, room, count, found, block)
    shown = view.shown | in_schema  # the request's part repeats neither
    return Stable(text, count(text), shown, schema, view.paths, count(block))


def _fit_overview(
    index: Index, graph: Graph, language: str, room: int, count: TokenCounter,
    tables: dict[str, str], block: str,
) -> tuple[str, Overview]:  # fmt: skip
    """The stable text (schema block, heading, overview) whose part outside the schema block
    is at most `room` tokens: the heading counts too. The overview gets `room` less the
    heading, then less what the joined text still exceeds (tokens do not simply add up),
    until it fits; the same repository always takes the same steps to the same bytes."""
    from codeassist.ctx.overview import overview

    head = USES_HEAD if block else OVERVIEW_HEAD
    size, block_tokens = room - count(f"\n\n{head}\n" if block else f"{head}\n"), count(block)
    while True:
        view = overview(index.files, graph, language, max(size, 0), count, tables)
        parts = [block] if block else []
        if view.text:
            parts.append(f"{head}\n{view.text.rstrip()}")
        text = "\n\n".join(parts)
        over = count(text) - block_tokens - room
        if over <= 0 or not view.text:
            return text, view
        size = min(size - over, view.tokens - 1)  # smaller every round: it ends

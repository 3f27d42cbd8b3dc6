"""Which tables of a big schema a request needs: ranked by its words, sent within a budget.

A table scores for the request's words found in its name (snake_case and camelCase split,
plural and singular alike: "orders" is "order"), in its column names (weighted by how rare
the word is among the tables, so `id` and `name` count for little), and in its stored values
(a word of the request that is a whole value of one of its text columns, looked up by the
caller). A table joined by a foreign key to a scoring one gets half the best neighbour's
score: the tables a query joins through come along. The tables that scored (MIN_SCORE) are
then taken, best first, while their CREATE statements fit the budget; when no table scored,
the most joined ones are. The text keeps the schema's own order, so the same request gets the same
bytes. Tokens are estimated from characters (CHARS_PER_TOKEN): no tokenizer is loaded yet.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

CHARS_PER_TOKEN = 3  # SQL DDL is 3-4 characters a token for the Qwen and SmolLM tokenizers
NAME_WEIGHT = 4.0  # the whole name of a table in the request
COLUMN_WEIGHT = 1.0  # a rare column word in the request
VALUE_WEIGHT = 2.0  # a word of the request stored as a value in the table
NEIGHBOUR_SHARE = 0.5  # of the best foreign-key neighbour's score
MIN_SCORE = 0.25  # less is a word every table has (`name`): no reason to send the table
MAX_VALUE_WORDS = 12

STOP_WORDS = frozenset(
    "a an the of in on at to for from by with without and or not no is are was were be been "
    "has have had do does did than then that this these those there their its it them they "
    "what which who whom whose where when how many much per each every all any some "
    "list show give get find return display select me my we our us i you your "
    "more most less least over under between after before into out up down "
    "number please want need query sql table tables column columns value values row rows".split()
)


@dataclass(frozen=True)
class Table:
    """What ranking reads of one table: its name, columns, foreign-key neighbours, size."""

    name: str
    columns: tuple[str, ...]
    neighbours: frozenset[str]  # tables joined to it by a foreign key, either way
    tokens: int  # estimated tokens of its CREATE statements in the prompt


def approx_tokens(text: str) -> int:
    """Tokens of `text`, estimated from its length (rounded up)."""
    return -(-len(text) // CHARS_PER_TOKEN)


def stem(word: str) -> str:
    """A word's singular, roughly: categories -> category, boxes -> box, orders -> order."""
    word = word.lower()
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def name_words(name: str) -> list[str]:
    """The words of an identifier, stemmed: OrderItems, order_items -> ["order", "item"]."""
    parts = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name.split(".")[-1])
    return [stem(p) for p in parts if not p.isdigit()]


def request_words(text: str) -> list[str]:
    """The request's words that can name something: stemmed, stop words left out."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9]*", text)
    found = [stem(w) for p in words for w in [p] + name_words(p) if w.lower() not in STOP_WORDS]
    return list(dict.fromkeys(w for w in found if len(w) > 1))


def value_words(text: str) -> list[str]:
    """Words and word pairs of the request that could be stored values ("Smith", "New York")."""
    quoted = re.findall(r"'([^']{1,60})'|\"([^\"]{1,60})\"", text)
    words = re.findall(r"[\w][\w.-]*", text)
    kept = [w for w in words if w.lower() not in STOP_WORDS and len(w) > 2]
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False) if a[:1].isupper()]
    found = [q for pair in quoted for q in pair if q] + pairs + kept
    return list(dict.fromkeys(w.lower() for w in found))[:MAX_VALUE_WORDS]


def scores(tables: list[Table], text: str, holding: Iterable[str] = ()) -> dict[str, float]:
    """Each table's score for the request: name, rare column words, values, neighbours."""
    asked = set(request_words(text))
    held = set(holding)
    column_words = {t.name: {w for c in t.columns for w in name_words(c)} for t in tables}
    spread: dict[str, int] = {}
    for words in column_words.values():
        for w in words:
            spread[w] = spread.get(w, 0) + 1
    total = max(len(tables), 2)

    def rarity(word: str) -> float:
        return math.log(total / spread[word]) / math.log(total)

    own: dict[str, float] = {}
    for t in tables:
        parts = name_words(t.name)
        named = sum(w in asked for w in parts) / len(parts) if parts else 0.0
        columns = sum(rarity(w) for w in column_words[t.name] & asked)
        own[t.name] = NAME_WEIGHT * named + COLUMN_WEIGHT * columns
        own[t.name] += VALUE_WEIGHT if t.name in held else 0.0
    return {
        t.name: own[t.name]
        + NEIGHBOUR_SHARE * max((own.get(n, 0.0) for n in t.neighbours), default=0.0)
        for t in tables
    }


def choose(tables: list[Table], text: str, budget: int, holding: Iterable[str] = ()) -> set[str]:
    """The tables to send: best first while they fit the budget (tokens)."""
    score = scores(tables, text, holding)
    order = sorted((t for t in tables if score[t.name] >= MIN_SCORE), key=lambda t: -score[t.name])
    if not order:  # nothing in the request names a table: the most joined ones
        order = sorted(tables, key=lambda t: -len(t.neighbours))
    kept: set[str] = set()
    used = 0
    for t in order:  # sorted() is stable: ties keep the schema's order
        if used + t.tokens <= budget:
            kept.add(t.name)
            used += t.tokens
    return kept

"""Rules written as data: a program, the words its arguments must contain, a level and a reason.

`"destroy"` matches the argument destroy (case ignored); `"--vacuum-*"` any argument it matches
(fnmatch; options keep their case, `--opt=value` included); `"-F|--flush"` either. Every word
of a rule must match some argument for it to apply. Tables: codeassist/safety/rules_*.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase

from codeassist.safety.risk import Finding

WordRule = tuple[str, str, str, str]  # program, words, level, reason
Rule = Callable[[list[str], bool], list[Finding]]


def matches(words: str, args: list[str]) -> bool:
    """Does every word of the rule match one of the arguments? (`-P` is not `-p`; FLUSHALL is.)"""
    return all(
        any(_matches(alt, arg) for arg in args for alt in word.split("|")) for word in words.split()
    )


def _matches(pattern: str, arg: str) -> bool:
    if not pattern.startswith("-"):
        pattern, arg = pattern.lower(), arg.lower()
    return fnmatchcase(arg, pattern) or fnmatchcase(arg.split("=", 1)[0], pattern)


def table_rules(table: Iterable[WordRule]) -> dict[str, list[Rule]]:
    """One rule per program from a table: the first row that matches wins."""
    rows: dict[str, list[tuple[str, str, str]]] = {}
    for program, words, level, reason in table:
        rows.setdefault(program, []).append((words, level, reason))

    def make(entries: list[tuple[str, str, str]]) -> Rule:
        def rule(argv: list[str], from_input: bool) -> list[Finding]:
            for words, level, reason in entries:
                if matches(words, argv[1:]):
                    return [Finding(level, reason, tuple(a for a in argv[1:][-1:] if a[:1] != "-"))]
            return []

        return rule

    return {program: [make(entries)] for program, entries in rows.items()}


def merge(*tables: dict[str, list[Rule]]) -> dict[str, list[Rule]]:
    merged: dict[str, list[Rule]] = {}
    for table in tables:
        for program, rules in table.items():
            merged.setdefault(program, []).extend(rules)
    return merged

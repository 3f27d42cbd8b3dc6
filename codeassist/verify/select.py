"""Best of k by execution: choose among candidate answers by what they do, not how they read.

Python (select_python): most of the request's examples passed, then agreement of outputs on
inputs the model proposes, run in the sandbox (CodeT's dual agreement). SQL (select_sql):
among the candidates that pass the checks, the result set most of them return, read-only and
capped; the shortest query breaks ties. Shell (select_shell): among those that pass the checks,
the most common normalized parse tree. Ties otherwise keep the earlier candidate (the first,
greedy answer is candidate 0).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from codeassist.verify import Check, Subject

Propose = Callable[[str], str]  # a short model call: the prompt's text in, the reply out
Rank = Callable[[int], tuple[int, ...]]  # orders candidates by index: least is best


@dataclass(frozen=True)
class Candidate:
    code: str
    checks: list[Check]


@dataclass(frozen=True)
class Choice:
    """The winner's index, why it won, and each candidate's group (None: in no group)."""

    winner: int
    reason: str
    groups: list[int | None]
    scores: list[int]  # checks passed minus checks failed, per candidate


def score(checks: list[Check]) -> int:
    """Checks passed minus checks failed (those not run count neither way)."""
    return sum(0 if not c.ran else 1 if c.passed else -1 for c in checks)


def failing(checks: list[Check]) -> bool:
    return any(c.ran and not c.passed for c in checks)


def passing(candidates: Sequence[Candidate]) -> list[int]:
    """Indices of the candidates that fail no check; else of those with the best score."""
    clean = [i for i, c in enumerate(candidates) if not failing(c.checks)]
    if clean:
        return clean
    scores = [score(c.checks) for c in candidates]
    return [i for i, s in enumerate(scores) if s == max(scores)]


def alone(candidates: Sequence[Candidate], i: int) -> Choice:
    """The choice of the only candidate that passes (the most) checks."""
    scores = [score(c.checks) for c in candidates]
    what = "most checks" if failing(candidates[i].checks) else "every check"
    reason = f"the only one of {len(candidates)} that passes {what}"
    return Choice(i, reason, [0 if j == i else None for j in range(len(candidates))], scores)


def group(signatures: Sequence[Hashable | None]) -> list[int | None]:
    """Group ids (0, 1, … in order of first appearance); None signatures join no group."""
    ids: dict[Hashable, int] = {}
    out: list[int | None] = []
    for sig in signatures:
        out.append(None if sig is None else ids.setdefault(sig, len(ids)))
    return out


def largest(groups: Sequence[int | None], better: Rank = lambda i: (i,)) -> list[int]:
    """The members of the biggest group (ties: the group holding the `better`-least member)."""
    members: dict[int, list[int]] = {}
    for i, g in enumerate(groups):
        if g is not None:
            members.setdefault(g, []).append(i)
    if not members:
        return []
    size = max(len(m) for m in members.values())
    tied = [m for m in members.values() if len(m) == size]
    return min(tied, key=lambda m: min(better(i) for i in m))


def choose(
    subject: Subject, candidates: Sequence[Candidate], propose: Propose | None = None
) -> Choice:
    """The best candidate for the subject's language (its code is each candidate's)."""
    if len(candidates) == 1:
        return Choice(0, "the only candidate", [0], [score(candidates[0].checks)])
    if subject.language == "python":
        from codeassist.verify import select_python

        return select_python.choose(subject, candidates, propose)
    if subject.language == "sql":
        from codeassist.verify import select_sql

        return select_sql.choose(subject, candidates)
    from codeassist.verify import select_shell

    return select_shell.choose(subject, candidates)


__all__ = [
    "Candidate",
    "Choice",
    "Propose",
    "alone",
    "choose",
    "group",
    "largest",
    "passing",
    "score",
]

"""What the repair loop needs: which findings to repair, how to say them, which answer is best."""

from __future__ import annotations

import dataclasses

from codeassist.backends.base import Message, Options
from codeassist.verify import Check

# Findings that another round cannot or should not change: risk is what the user asked for;
# a join the autofix could not drop is left to the user (the check is a heuristic); a failed
# trial run is reported, not repaired (measured: no repaired answer came back right).
NOT_REPAIRED = frozenset({"shell.risk", "sql.risk", "python.risk", "shell.run", "sql.joins"})
# Findings repaired at most once: a missing program gets one rewrite without it.
ONCE = frozenset({"shell.programs"})
DETAIL_CHARS = 600  # of each finding, in the repair message
RESAMPLE_TEMPERATURE = 0.7  # of repair rounds after the first


def to_repair(checks: list[Check], rounds: dict[str, int]) -> list[Check]:
    """The failed findings worth another round, given how often each was already tried."""
    return [
        c
        for c in checks
        if c.ran
        and not c.passed
        and c.name not in NOT_REPAIRED
        and not (c.name in ONCE and rounds.get(c.name, 0) >= 1)
        and not c.detail.startswith("not run:")
    ]


def score(checks: list[Check]) -> int:
    """How good an answer is: checks passed minus checks failed (ties keep the earlier one)."""
    return sum(0 if not c.ran else 1 if c.passed else -1 for c in checks)


def improved(after: list[Check], before: list[Check]) -> bool:
    """Is a mechanically fixed answer better: fewer checks failed, or as many and a higher
    score? (A fix can leave checks with nothing to judge: an INTERSECT has no joins to weigh.)"""
    failed_after, failed_before = (sum(c.ran and not c.passed for c in x) for x in (after, before))
    if failed_after != failed_before:
        return failed_after < failed_before
    return score(after) > score(before)


def feedback(code: str, failures: list[Check], language: str, hints: str = "") -> str:
    """What a repair round adds to the request: the answer tried, each finding, what to reply."""
    fence = {"shell": "bash"}.get(language, language)
    if language == "sql" and hints:
        return _sql_feedback(code, failures, hints)
    lines = [
        f"This answer was tried and is wrong:\n```{fence}\n{code}\n```",
        "Checking it found:",
    ]
    for c in failures:
        detail = c.detail.strip()[:DETAIL_CHARS] or "failed"
        lines.append(f"- {c.name}: {detail}")
        if c.name == "shell.programs":
            lines.append("  Rewrite the command without those programs, using standard tools only.")
        elif c.name == "shell.flags":
            lines.append("  Use only options that the installed programs list above.")
        elif c.name == "sql.schema":
            lines.append("  Use only the tables and columns of the schema.")
        elif c.name == "sql.result":
            lines.append("  Compare each value with the column that holds it, joining its table.")
    if hints:
        lines.append(hints)
    lines.append(
        f"Fix the problem. Reply with the complete corrected code in one ```{fence} block."
    )
    return "\n".join(lines)


def _sql_feedback(code: str, failures: list[Check], hints: str) -> str:
    """SQL with the schema restated: facts first, the wrong query on one line, a fresh answer.

    A 1.5B model shown its own query in a fenced block tends to copy it back unchanged.
    """
    lines = [hints, "Facts found by checking a wrong attempt (its aliases T1, T2 may differ):"]
    lines += [f"- {c.detail.strip()[:DETAIL_CHARS] or c.name}" for c in failures]
    lines.append(
        "Write a new query that answers the question, using the columns each table has and "
        "the join keys above. Reply with it in one ```sql block."
    )
    return "\n".join(lines)


def messages(
    asked: list[Message], code: str, failures: list[Check], language: str, hints: str = ""
) -> list[Message]:
    """The original request with the tried answer and its findings added to the user's turn.

    One fresh turn, not a conversation: small models tend to repeat themselves in one.
    """
    *head, last = asked
    return [
        *head,
        Message(last.role, last.content + "\n\n" + feedback(code, failures, language, hints)),
    ]


def options(base: Options, round_: int) -> Options:
    """Round 1 decodes as asked; later rounds sample (seeded), so they can leave a fixed point."""
    if round_ <= 1:
        return base
    return dataclasses.replace(
        base, temperature=max(base.temperature, RESAMPLE_TEMPERATURE), seed=base.seed + round_
    )


def checker_shell() -> str:
    """The shell that checks shell commands: the user's when it is a known one, else bash."""
    from codeassist.shell.user import shell_name

    name = shell_name()
    return name if name in ("bash", "zsh", "sh", "dash") else "bash"

"""What a request asks for, and what the pipeline returns for it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codeassist.backends.base import Options
from codeassist.verify import Check

if TYPE_CHECKING:
    from codeassist.db.schema import SchemaSent


@dataclass(frozen=True)
class Request:
    text: str
    language: str = "auto"  # python | sql | shell | auto
    explain: bool = False
    stable: str = ""  # the repository part that does not depend on the request (first)
    context: str = ""  # rendered repository context that matches the request
    facts: str = ""  # what changes with every edit (shell: the git working tree)
    schema: str = ""  # CREATE statements, for SQL
    dialect: str = "sqlite"
    cwd: Path | None = None
    options: Options = field(default_factory=Options)
    db: str | None = None  # SQLite path or postgresql:// URL: EXPLAIN checks run against it
    tests: str = ""  # Python test code the answer must pass (run in the sandbox)
    verify: bool = True  # run the checks (and repair on failure)
    max_repairs: int = 2  # extra rounds asked of the model at most
    repair_budget_s: float = 120.0  # no new round starts after this much time
    schema_sent: SchemaSent | None = None  # of a database: the tables shown, those left out
    samples: int = 1  # best of k: candidates at most, when the checks do not confirm the first


@dataclass(frozen=True)
class Timings:
    ttft_s: float | None
    total_s: float | None
    tokens: int


@dataclass(frozen=True)
class Sampled:
    """One candidate of best-of-k: how its checks went and the group it agreed with."""

    checks_passed: int
    checks_failed: int
    group: int | None  # candidates of one group agree (None: it ran with no other, or not at all)


@dataclass(frozen=True)
class Samples:
    """Best of k: how many candidates were drawn, which one won and why."""

    drawn: int
    winner: int  # candidate 0 is the first, greedy answer
    reason: str  # "3 of 5 candidates agree on the result rows"
    candidates: list[Sampled]


@dataclass(frozen=True)
class Result:
    language: str
    code: str
    explanation: str
    model: str
    timings: Timings
    reply: str  # the model's whole reply, unedited
    checks: list[Check] = field(default_factory=list)  # of the returned code
    repairs: int = 0  # extra rounds asked of the model
    schema_sent: SchemaSent | None = None  # the request's: which tables the prompt showed
    samples: Samples | None = None  # best of k; None when the request asked for one answer
    # The first round's prompt: tokens reused from the KV cache (of them, restored from the
    # server's saved prefixes) and evaluated; None when the backend does not say (OpenAI).
    prompt_tokens: dict[str, int] | None = None
    # The checks the model's own code failed and a mechanical fix (verify.autofix) made pass:
    # the code returned is not the code the model wrote.
    fixed: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        del data["reply"]
        if data["samples"] is None:
            del data["samples"]
        if not data["fixed"]:
            del data["fixed"]
        sent = data.pop("schema_sent")
        if sent is not None:
            data["schema"] = {"tables": list(sent["tables"]), "omitted": list(sent["omitted"])}
        return data


def prompt_tokens(last: object) -> dict[str, int] | None:
    """A backend's last prompt accounting (a llama.cpp Stats, or a server's stats dict)."""
    stats = asdict(last) if is_dataclass(last) and not isinstance(last, type) else last
    if not isinstance(stats, dict) or "reused" not in stats or "evaluated" not in stats:
        return None
    keys = ("reused", "evaluated", "restored")
    return {k: int(stats.get(k, 0)) for k in keys}

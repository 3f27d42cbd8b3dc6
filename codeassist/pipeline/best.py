"""Best of k: when the checks do not confirm the first answer, draw more and choose by execution.

Confirmed means the checks are evidence enough to stop at one answer:
- Python: the request's examples (or given tests) ran, and every check passed;
- shell: every check passed (it parses, its programs and options exist, its risk is not high):
  the shell widget waits for the answer, and the checks are all a command line can show
  without running it;
- SQL: never from the checks alone: a query that parses, names real columns and runs can still
  answer another question, and only agreement of results speaks to that.
Otherwise k-1 more candidates are sampled from the same prompt (backends/sampling.py), checked
like the first (mechanical fixes included), and verify/select.py chooses among all k; the repair
rounds then work on the winner, as they would have on the first answer.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from codeassist.backends.base import Backend, Message, Options, Response, estimate_tokens
from codeassist.errors import BackendError
from codeassist.pipeline import opening
from codeassist.pipeline.extract import extract
from codeassist.pipeline.request import Request, Result, Sampled, Samples, Timings
from codeassist.verify import Check, Subject

if TYPE_CHECKING:
    from codeassist.verify.select import Choice

PROPOSE_OPTIONS = Options(max_tokens=200, temperature=0.0)  # the model's edge-case inputs


def confirmed(language: str, checks: list[Check]) -> bool:
    """The checks confirm this answer: no other candidate is worth drawing (see the module)."""
    if language == "sql" or any(c.ran and not c.passed for c in checks):
        return False
    if language == "python":
        return any(c.ran and c.name in ("python.examples", "python.tests") for c in checks)
    return bool(checks)


def widen(
    request: Request, backend: Backend, lang: str, messages: list[Message], first: Result,
    checked: Callable[[Result], Result], subject: Subject,
) -> tuple[Result, Samples, list[Timings]]:  # fmt: skip
    """The chosen result, how it was chosen, and the timings of the extra model calls."""
    from codeassist.backends import sampling
    from codeassist.verify import select

    if confirmed(lang, first.checks):
        why = "passes its examples" if lang == "python" else "passes every check"
        return first, _samples([first], select.Choice(0, f"the first answer {why}", [0], [0])), []
    started = time.perf_counter()
    options = sampling.sampled(dataclasses.replace(request.options, seed=request.options.seed + 1))

    start = opening.opening(backend, lang, options)

    def done(text: str) -> bool:
        return not request.explain and extract(opening.completed(start, text), lang).closed_block

    try:
        begun = opening.begun(messages, start)
        replies = [
            opening.completed(start, reply)
            for reply in sampling.draw(backend, begun, options, request.samples - 1, done)
        ]
    except BackendError as exc:  # more candidates are a bonus: the first answer stands
        why = f"no more candidates could be drawn ({exc.message})"
        return first, _samples([first], select.Choice(0, why, [0], [0])), []
    each = (time.perf_counter() - started) / max(1, len(replies))
    known = {first.code: first}  # a candidate drawn twice is checked once
    drawn = []
    for reply in replies:
        result = _result(first, reply, lang, request.explain, each)
        same = known.get(result.code)
        if same is None:
            same = known[result.code] = checked(result)
        drawn.append(dataclasses.replace(same, reply=reply, timings=result.timings))
    results = [first, *drawn]
    spent = [r.timings for r in drawn]

    def propose(text: str) -> str:
        response = Response(backend.stream([Message("user", text)], PROPOSE_OPTIONS))
        text = response.drain()
        spent.append(Timings(response.first_token_s, response.total_s, response.tokens))
        return text

    candidates = [select.Candidate(r.code, r.checks) for r in results]
    choice = select.choose(subject, candidates, propose)
    return results[choice.winner], _samples(results, choice), spent


def _result(first: Result, reply: str, lang: str, explain: bool, seconds: float) -> Result:
    """A sampled reply as a result like the first (its time: an equal share of the draw; its
    tokens estimated, since a draw returns whole replies)."""
    found = extract(reply, lang)
    return dataclasses.replace(
        first, code=found.code, explanation=found.prose if explain else "", reply=reply,
        timings=Timings(None, seconds, estimate_tokens(reply)), checks=[],
    )  # fmt: skip


def _samples(results: Sequence[Result], choice: Choice) -> Samples:
    tallies = [
        Sampled(
            checks_passed=sum(c.ran and c.passed for c in r.checks),
            checks_failed=sum(c.ran and not c.passed for c in r.checks),
            group=choice.groups[i] if i < len(choice.groups) else None,
        )
        for i, r in enumerate(results)
    ]
    return Samples(len(results), choice.winner, choice.reason, tallies)

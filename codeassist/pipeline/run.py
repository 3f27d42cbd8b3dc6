"""The request pipeline: request → prompt → backend stream → extract → result.

Independent of the CLI: takes data and a backend, returns data, never prints.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from codeassist.backends.base import Backend, Message, Response
from codeassist.errors import UsageError
from codeassist.pipeline import language, opening, prompts
from codeassist.pipeline.extract import extract
from codeassist.pipeline.request import Request, Result, Timings, prompt_tokens
from codeassist.verify import Check, Subject, loops

OnPiece = Callable[[str], None]
OnRound = Callable[[list[Check]], None]


def resolve_language(request: Request) -> str:
    if not _visible(request.text):
        raise UsageError(
            "the request is empty",
            hint='say what you want, e.g. codeassist gen "list files by size"',
        )
    if request.language == "auto":
        return language.detect(request.text, database=bool(request.db or request.schema))
    if request.language not in language.LANGUAGES:
        raise UsageError(
            f"unknown language {request.language!r}",
            hint="use --lang python, sql, shell or auto",
        )
    return request.language


def _visible(text: str) -> bool:
    """Has the text a character one can see? (Not only spaces, controls, zero-width ones.)"""
    import unicodedata

    return any(not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf") for c in text)


def messages_for(request: Request, lang: str) -> list[Message]:
    env = prompts.Environment.current(request.cwd) if lang == "shell" else None
    return prompts.build(
        request.text, lang, explain=request.explain, stable=request.stable,
        context=request.context, facts=request.facts, schema=request.schema,
        dialect=request.dialect, env=env,
        whole_schema=request.schema_sent is None or not request.schema_sent.omitted,
    )  # fmt: skip


def run(
    request: Request,
    backend: Backend,
    on_piece: OnPiece | None = None,
    on_round: OnRound | None = None,
) -> Result:
    """Generate code for one request, streaming each piece of the reply to `on_piece`.

    `on_round` hears of each repair round before its reply streams (the failed checks it is
    meant to fix), so a display can start the code over.

    With `request.verify`, the code is checked; on a failed check the model is asked again,
    shown the best answer so far and its findings (at most `max_repairs` rounds, within
    `repair_budget_s`; rounds after the first sample, to get out of a repeated answer), and
    the answer that passes the most checks is returned. With `request.samples` k > 1 and a
    first answer the checks do not confirm, k-1 more are sampled and the best by execution is
    chosen before the repair rounds (pipeline/best.py).
    """
    from codeassist import verify
    from codeassist.pipeline import repair

    started = time.perf_counter()
    lang = resolve_language(request)
    messages = messages_for(request, lang)
    result = _generate(request, backend, lang, messages, on_piece)
    if not request.verify:
        return result
    best = _checked(request, lang, result)
    samples, drawn = None, list[Timings]()
    if request.samples > 1:  # best of k, unless the checks confirm the first answer
        from codeassist.pipeline import best as best_of

        best, samples, drawn = best_of.widen(
            request, backend, lang, messages, best, lambda r: _checked(request, lang, r),
            _subject(request, lang, best.code),
        )  # fmt: skip
    rounds, spent = dict[str, int](), [result.timings]
    while len(spent) <= request.max_repairs:
        failures = repair.to_repair(best.checks, rounds)
        if not failures or time.perf_counter() - started > request.repair_budget_s:
            break
        for c in failures:
            rounds[c.name] = rounds.get(c.name, 0) + 1
        again = dataclasses.replace(request, options=repair.options(request.options, len(spent)))
        hints = verify.hints(_subject(request, lang, best.code), failures)
        asked = repair.messages(messages, best.code, failures, lang, hints)
        if on_round:
            on_round(failures)
        latest = _generate(again, backend, lang, asked, on_piece)
        spent.append(latest.timings)
        latest = _checked(request, lang, latest)
        if repair.score(latest.checks) > repair.score(best.checks):
            best = latest
    timings = Timings(
        spent[0].ttft_s,
        sum(t.total_s or 0.0 for t in spent + drawn),
        sum(t.tokens for t in spent + drawn),
    )
    first = result.prompt_tokens
    return dataclasses.replace(
        best, timings=timings, repairs=len(spent) - 1, samples=samples, prompt_tokens=first
    )


def _checked(request: Request, lang: str, result: Result) -> Result:
    """The result with its checks; mechanically fixed first where a fix is certain."""
    from codeassist.pipeline import repair
    from codeassist.verify import autofix, failed, run_checks

    subject = _subject(request, lang, result.code)
    checks = run_checks(subject)
    fixed = autofix(subject, checks)
    if fixed is not None:
        fixed_checks = run_checks(_subject(request, lang, fixed))
        if repair.improved(fixed_checks, checks):
            still = {c.name for c in failed(fixed_checks)}  # a check may have nothing left
            made = [c.name for c in failed(checks) if c.name not in still]
            return dataclasses.replace(result, code=fixed, checks=fixed_checks, fixed=made)
    return dataclasses.replace(result, checks=checks)


def _subject(request: Request, lang: str, code: str) -> Subject:
    from codeassist.pipeline.repair import checker_shell

    return Subject(
        language=lang, code=code, request=request.text, tests=request.tests,
        schema=request.schema, dialect=request.dialect, db=request.db, cwd=request.cwd,
        shell=checker_shell(),
    )  # fmt: skip


def _generate(
    request: Request,
    backend: Backend,
    lang: str,
    messages: list[Message],
    on_piece: OnPiece | None,
) -> Result:
    """One round: stream the model's reply and extract the code from it."""
    before = getattr(backend, "last", None)
    start = opening.opening(backend, lang, request.options)
    stream = backend.stream(opening.begun(messages, start), request.options)
    response = Response(opening.prefixed(start, stream))
    for piece in response:
        if on_piece:
            on_piece(piece)
        if not request.explain and "```" in piece and extract(response.text, lang).closed_block:
            break  # the code is complete: prose after it would only cost time
        if lang == "shell" and loops.looping(response.text):
            break  # the model repeats itself: the rest would be more of it (the check says so)
    response.finish()
    found = extract(response.text, lang)
    return Result(
        language=lang,
        code=found.code,
        explanation=found.prose if request.explain else "",
        model=backend.name,
        timings=Timings(response.first_token_s, response.total_s, response.tokens),
        reply=response.text,
        schema_sent=request.schema_sent,
        prompt_tokens=_last_prompt(backend, before),
    )


def _last_prompt(backend: Backend, before: object) -> dict[str, int] | None:
    """The round's prompt accounting, when the backend recorded one for it."""
    last = getattr(backend, "last", None)
    return None if last is before else prompt_tokens(last)

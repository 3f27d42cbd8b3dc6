"""Ground a request in its surroundings: the database schema and the repository's code.

Reads only; `preview` is what `codeassist context` shows of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codeassist.backends.base import Backend
from codeassist.db.schema import dialect_of, fit_database_schema, read_schema_file
from codeassist.pipeline.request import Request

if TYPE_CHECKING:
    from codeassist.context import RequestContext
    from codeassist.ctx.counts import TokenCounter


def with_schema(
    request: Request, schema_file: Path | None, db: str | None, budget: int | None = None,
    rows: int | None = None,
) -> Request:  # fmt: skip
    """Add CREATE statements from `--schema` and `--db` (read-only) to the request.

    Of a database, the tables the request's words point at, within `budget` tokens
    (config `schema_budget`); a schema that fits is sent whole. Each sent table shows up to
    `rows` of its rows (config `schema_rows`) where the budget holds them.
    """
    parts, sent = [], None
    if schema_file:
        parts.append(read_schema_file(schema_file).strip())
    if db:
        from codeassist.config import Config

        budget = Config.schema_budget if budget is None else budget
        rows = Config.schema_rows if rows is None else rows
        text, sent = fit_database_schema(db, request.text, budget, rows)
        parts.append(text)
    if not parts and not db:
        return request
    return dataclasses.replace(
        request, schema="\n".join(p for p in parts if p), db=db, dialect=dialect_of(db),
        schema_sent=sent,
    )  # fmt: skip


def wants_context(cwd: Path, forced: bool | None) -> bool:
    """Context by default inside a git repository; elsewhere only when asked for.

    Outside a repository the folder could be a home directory: walking it unasked would cost
    seconds and read files the user never meant to share with a prompt.
    """
    if forced is not None:
        return forced
    from codeassist.ctx.files import find_git_root

    return find_git_root(cwd.resolve()) is not None


def context_off(enabled: bool, cwd: Path, forced: bool | None = None) -> str:
    """Why requests from `cwd` carry no repository context ("" when they carry it): the one
    decision gen, the REPL, the server's warm-up and `codeassist context` share.

    `enabled`: the config's `context`; `forced`: `--context` (True) or `--no-context` (False).
    """
    if not enabled:
        return "context = false in the config"
    if forced is False:
        return "--no-context"
    if not wants_context(cwd, forced):
        return "not inside a git repository (--context adds it, here as in gen)"
    return ""


def with_context(request: Request, backend: Backend, language: str, budget: int) -> Request:
    """Add the repository's stable part for `language` and the part that matches the request,
    within `budget` tokens (counted with the backend's tokenizer, counts kept in the cache)."""
    from codeassist.context import find_root, request_context

    cwd = request.cwd or Path.cwd()
    found = request_context(
        find_root(cwd), request.text, language, budget=budget,
        count_tokens=backend_counter(backend), cwd=cwd,
    )  # fmt: skip
    schema = request.schema or (found.schema if language == "sql" else "")
    return dataclasses.replace(
        request, stable=found.stable, context=found.specific.text, facts=found.facts,
        schema=schema,
    )  # fmt: skip


def backend_counter(backend: Backend) -> TokenCounter:
    """The backend's token counts, kept in the cache under its tokenizer's key: the counter
    every prompt's context is measured with, so the stable part ends where it always does."""
    from codeassist.ctx.counts import backend_key, counter

    return counter(backend.count_tokens, backend_key(backend.name, backend.count_tokens))


def stable_part(backend: Backend, cwd: Path, language: str, budget: int) -> str:
    """The repository's stable part for `language` from `cwd`, exactly as `with_context` puts
    it in a request: same root, budget and token counter."""
    from codeassist.context import find_root
    from codeassist.context import stable_part as part

    return part(find_root(cwd), language, budget, count_tokens=backend_counter(backend), cwd=cwd)


@dataclass(frozen=True)
class Preview:
    """The context a request would carry, and how it was counted (`codeassist context`)."""

    root: Path
    budget: int
    language: str
    counted_with: str  # the tokenizer (counts from the cache, where they were), or the estimate
    found: RequestContext
    off: str = ""  # why a request here carries no repository context (`context_off`), or ""

    def to_json(self) -> dict[str, object]:
        found, pack = self.found, self.found.specific
        return {
            "root": str(self.root), "language": self.language, "budget": self.budget,
            "context": not self.off, "context_off": self.off,
            "tokens": found.tokens, "counted_with": self.counted_with,
            "stable": found.stable, "stable_tokens": found.stable_tokens,
            "overview": found.overview, "files": [f._asdict() for f in pack.files],
            "notes": pack.notes, "schema": found.schema or pack.schema, "text": pack.text,
            "facts": found.facts,
        }  # fmt: skip


def preview(
    cwd: Path, text: str, budget: int, model: str, language: str = "auto", *,
    enabled: bool = True, forced: bool | None = None,
) -> Preview:  # fmt: skip
    """The context for `text` (none: the stable part alone), counted with `model`'s tokenizer
    where it is installed; counts already in the cache need no tokenizer at all.

    None, and no folder read, where a request would carry none (`context_off`: `enabled` is
    the config's `context`, `forced` the `--context` option).
    """
    from codeassist.context import ContextPack, RequestContext, find_root, request_context
    from codeassist.pipeline.run import resolve_language

    lang = resolve_language(Request(text or "the repository", language=language))
    off = context_off(enabled, cwd, forced)
    root = find_root(cwd)  # a stat for each folder up to /: nothing is read
    if off:
        none = RequestContext("", 0, ContextPack("", 0, [], [], ""), "", "", [])
        return Preview(root, budget, lang, "", none, off)
    count, counted_with = counter(model)
    found = request_context(root, text, lang, budget=budget, count_tokens=count, cwd=cwd)
    if getattr(count, "loads", 1) == 0:
        counted_with += " (counts from the cache)"
    return Preview(root, budget, lang, counted_with, found)


def counter(model: str) -> tuple[Callable[[str], int], str]:
    """The model's token counts (kept in the cache) when it is installed, else the byte
    estimate. The tokenizer itself is loaded only for texts not counted before."""
    from codeassist.backends.base import estimate_tokens
    from codeassist.errors import CodeassistError

    try:
        from codeassist import models
        from codeassist.ctx.counts import model_counter

        ref = models.resolve(model)

        def load() -> Any:
            from codeassist.backends.llamacpp import tokenizer

            return tokenizer(ref.path)

        return model_counter(ref.name or ref.path.stem, ref.path, load), f"the {ref.name} tokenizer"
    except (CodeassistError, ImportError, AttributeError, OSError, ValueError):
        return estimate_tokens, f"an estimate (about 4 bytes a token; model {model} not installed)"

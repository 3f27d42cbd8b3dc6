"""Ground a request in its surroundings: the database schema and the repository's code."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from codeassist.backends.base import Backend
from codeassist.db.schema import dialect_of, fit_database_schema, read_schema_file
from codeassist.pipeline.request import Request


def with_schema(
    request: Request, schema_file: Path | None, db: str | None, budget: int | None = None
) -> Request:
    """Add CREATE statements from `--schema` and `--db` (read-only) to the request.

    Of a database, the tables the request's words point at, within `budget` tokens
    (config `schema_budget`); a schema that fits is sent whole.
    """
    parts, sent = [], None
    if schema_file:
        parts.append(read_schema_file(schema_file).strip())
    if db:
        from codeassist.config import Config

        budget = Config.schema_budget if budget is None else budget
        text, sent = fit_database_schema(db, request.text, budget)
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


def with_context(request: Request, backend: Backend, language: str, budget: int) -> Request:
    """Add the repository definitions that matter for this request, within `budget` tokens."""
    from codeassist.context import build_context, find_root

    cwd = request.cwd or Path.cwd()
    pack = build_context(
        find_root(cwd), request.text, budget=budget, count_tokens=backend.count_tokens,
        cwd=cwd, language=language,
    )  # fmt: skip
    schema = request.schema or (pack.schema if language == "sql" else "")
    return dataclasses.replace(request, context=pack.text, schema=schema)

"""Ground a request in its surroundings: the database schema and the repository's code."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from codeassist.backends.base import Backend
from codeassist.db.schema import dialect_of, read_database_schema, read_schema_file
from codeassist.pipeline.request import Request


def with_schema(request: Request, schema_file: Path | None, db: str | None) -> Request:
    """Add CREATE statements from `--schema` and `--db` (read-only) to the request."""
    parts = []
    if schema_file:
        parts.append(read_schema_file(schema_file).strip())
    if db:
        parts.append(read_database_schema(db))
    if not parts and not db:
        return request
    return dataclasses.replace(
        request, schema="\n".join(p for p in parts if p), db=db, dialect=dialect_of(db)
    )


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
    """Add the repository's stable part for `language` and the part that matches the request,
    within `budget` tokens (counted with the backend's tokenizer, counts kept in the cache)."""
    from codeassist.context import find_root, request_context
    from codeassist.ctx.counts import backend_key, counter

    cwd = request.cwd or Path.cwd()
    count = counter(backend.count_tokens, backend_key(backend.name, backend.count_tokens))
    found = request_context(
        find_root(cwd), request.text, language, budget=budget, count_tokens=count, cwd=cwd
    )
    schema = request.schema or (found.schema if language == "sql" else "")
    return dataclasses.replace(
        request, stable=found.stable, context=found.specific.text, facts=found.facts,
        schema=schema,
    )  # fmt: skip

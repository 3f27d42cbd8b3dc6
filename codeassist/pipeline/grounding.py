"""Ground a request in its surroundings: the database schema and the repository's code."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from codeassist.backends.base import Backend
from codeassist.db.schema import dialect_of, read_database_schema, read_schema_file
from codeassist.pipeline.request import Request

if TYPE_CHECKING:
    from codeassist.context import ContextPack


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


def context_pack(
    cwd: Path, text: str, count_tokens: Callable[[str], int], budget: int,
    language: str | None = None,
) -> ContextPack:  # fmt: skip
    """The repository definitions that matter for `text`, within `budget` tokens."""
    from codeassist.context import build_context, find_root

    return build_context(find_root(cwd), text, budget=budget, count_tokens=count_tokens,
                         cwd=cwd, language=language)  # fmt: skip


def with_context(request: Request, backend: Backend, language: str, budget: int) -> Request:
    """Add the repository definitions that matter for this request, within `budget` tokens."""
    cwd = request.cwd or Path.cwd()
    pack = context_pack(cwd, request.text, backend.count_tokens, budget, language)
    schema = request.schema or (pack.schema if language == "sql" else "")
    return dataclasses.replace(request, context=pack.text, schema=schema)

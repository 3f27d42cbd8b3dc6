"""Ground a request in its surroundings: the database schema and the repository's code.

Reads only; `preview` is what `codeassist context` shows of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codeassist.backends.base import Backend
from codeassist.db.schema import dialect_of, fit_database_schema, read_schema_file
from codeassist.pipeline.request import Request

if TYPE_CHECKING:
    from codeassist.context import ContextPack


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


@dataclass(frozen=True)
class Preview:
    """The context a request would carry, and how it was counted (`codeassist context`)."""

    root: Path
    budget: int
    language: str
    counted_with: str  # the tokenizer, or the estimate
    pack: ContextPack

    def to_json(self) -> dict[str, object]:
        pack = self.pack
        return {
            "root": str(self.root), "budget": self.budget, "tokens": pack.tokens,
            "counted_with": self.counted_with, "files": [f._asdict() for f in pack.files],
            "notes": pack.notes, "schema": pack.schema, "text": pack.text,
        }  # fmt: skip


def preview(cwd: Path, text: str, budget: int, model: str) -> Preview:
    """The context for `text`, counted with `model`'s tokenizer where it is installed."""
    from codeassist.context import build_context, find_root
    from codeassist.pipeline.language import detect

    count, counted_with = counter(model)
    root = find_root(cwd)
    lang = detect(text)
    pack = build_context(root, text, budget=budget, count_tokens=count, cwd=cwd, language=lang)
    return Preview(root, budget, lang, counted_with, pack)


def counter(model: str) -> tuple[Callable[[str], int], str]:
    """The model's tokenizer when it is installed (no weights loaded), else the byte estimate."""
    from codeassist.backends.base import estimate_tokens
    from codeassist.errors import CodeassistError

    try:
        from codeassist import models
        from codeassist.backends.llamacpp import tokenizer

        ref = models.resolve(model)
        return tokenizer(ref.path), f"the {ref.name} tokenizer"
    except (CodeassistError, ImportError, AttributeError, OSError, ValueError):
        return estimate_tokens, f"an estimate (about 4 bytes a token; model {model} not installed)"

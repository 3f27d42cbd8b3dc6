"""The request pipeline: request → prompt → backend stream → extract → result.

Independent of the CLI: takes data and a backend, returns data, never prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from codeassist import language, prompts
from codeassist.backends.base import Backend, Options, Response
from codeassist.errors import UsageError
from codeassist.extract import extract

OnPiece = Callable[[str], None]


@dataclass(frozen=True)
class Request:
    text: str
    language: str = "auto"  # python | sql | shell | auto
    explain: bool = False
    context: str = ""  # rendered repository context
    schema: str = ""  # CREATE statements, for SQL
    dialect: str = "sqlite"
    cwd: Path | None = None
    options: Options = field(default_factory=Options)


@dataclass(frozen=True)
class Timings:
    ttft_s: float | None
    total_s: float | None
    tokens: int


@dataclass(frozen=True)
class Result:
    language: str
    code: str
    explanation: str
    model: str
    timings: Timings
    reply: str  # the model's whole reply, unedited

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        del data["reply"]
        return data


def resolve_language(request: Request) -> str:
    if not request.text.strip():
        raise UsageError(
            "the request is empty",
            hint='say what you want, e.g. codeassist gen "list files by size"',
        )
    if request.language == "auto":
        return language.detect(request.text)
    if request.language not in language.LANGUAGES:
        raise UsageError(
            f"unknown language {request.language!r}",
            hint="use --lang python, sql, shell or auto",
        )
    return request.language


def messages_for(request: Request, lang: str) -> list[prompts.Message]:
    env = prompts.Environment.current(request.cwd) if lang == "shell" else None
    return prompts.build(
        request.text, lang, explain=request.explain, context=request.context,
        schema=request.schema, dialect=request.dialect, env=env,
    )  # fmt: skip


def run(request: Request, backend: Backend, on_piece: OnPiece | None = None) -> Result:
    """Generate code for one request, streaming each piece of the reply to `on_piece`."""
    lang = resolve_language(request)
    response = Response(backend.stream(messages_for(request, lang), request.options))
    for piece in response:
        if on_piece:
            on_piece(piece)
        if not request.explain and "```" in piece and extract(response.text, lang).closed_block:
            break  # the code is complete: prose after it would only cost time
    response.finish()
    found = extract(response.text, lang)
    return Result(
        language=lang,
        code=found.code,
        explanation=found.prose if request.explain else "",
        model=backend.name,
        timings=Timings(response.first_token_s, response.total_s, response.tokens),
        reply=response.text,
    )

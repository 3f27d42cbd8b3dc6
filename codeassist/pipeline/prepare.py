"""From what a front door was given to a ready request and backend: one assembly for all.

`codeassist gen` and the REPL both come here: options checked like config keys and filled
from the config, the language resolved (bad input fails before any model loads), the schema
read, the backend opened, the repository context added. Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from codeassist.backends.base import Backend, Message, Options
from codeassist.config import Config, check_option
from codeassist.pipeline import grounding
from codeassist.pipeline.request import Request
from codeassist.pipeline.run import resolve_language


@dataclass(frozen=True)
class Ask:
    """A front door's inputs, before the config fills the gaps (None: not given)."""

    text: str
    language: str = "auto"  # python | sql | shell | auto
    cwd: Path = field(default_factory=Path.cwd)
    explain: bool = False
    verify: bool = True
    model: str | None = None  # a manifest name or a path to a .gguf
    endpoint: str | None = None  # an OpenAI-compatible server
    schema_file: Path | None = None
    db: str | None = None  # SQLite path or URL, opened read-only
    context: bool | None = None  # None: context inside a git repository only
    max_tokens: int | None = None
    temperature: float | None = None
    samples: str | None = None  # best of k: "1" to "16" or "auto" (None: the config's)


@dataclass(frozen=True)
class Prepared:
    request: Request
    backend: Backend
    language: str  # what the request's language resolved to


def options(
    cfg: Config, max_tokens: int | None = None, temperature: float | None = None
) -> Options:
    """Generation options: the command line's where given (checked like config), else config's."""
    check_option("--max-tokens", "max_tokens", max_tokens, cfg.n_ctx)
    check_option("--temperature", "temperature", temperature)
    return Options(
        max_tokens=cfg.max_tokens if max_tokens is None else max_tokens,
        temperature=cfg.temperature if temperature is None else temperature,
    )


def request(
    text: str, *, language: str, cwd: Path, options: Options, explain: bool = False,
    verify: bool = True,
) -> tuple[Request, str]:  # fmt: skip
    """The request and the language it resolves to; empty text or a bad language fail here."""
    req = Request(text, language=language, explain=explain, cwd=cwd, options=options,
                  verify=verify)  # fmt: skip
    return req, resolve_language(req)


def samples(cfg: Config, given: str | None = None) -> int | str:
    """Best of k as asked (`--samples`, checked like the config key), else the config's."""
    if given is None:
        return cfg.samples
    value: int | str = int(given) if given.strip().isdigit() else given
    check_option("--samples", "samples", value)
    return value


def use_context(cfg: Config, cwd: Path, forced: bool | None = None) -> bool:
    """Ground requests in the repository? The config allows it, and the option or git say so
    (`codeassist context` asks the same `context_off`)."""
    return not grounding.context_off(cfg.context, cwd, forced)


def with_context(cfg: Config, req: Request, backend: Backend, target: str) -> Request:
    """The repository's stable part for `target` first, then the request's own part, within
    the config's budget: what gen sends, and the REPL for each of its requests."""
    return grounding.with_context(req, backend, target, cfg.context_budget)


def open_backend(cfg: Config, model: str | None = None, endpoint: str | None = None) -> Backend:
    """The backend for `model`: the endpoint, the resident server, else loaded in-process."""
    from codeassist.backends.select import open_backend as select

    return select(cfg, model=model, endpoint=endpoint)


def prepare(cfg: Config, ask: Ask) -> Prepared:
    """Check the inputs, read the schema, open the backend, add the repository's context."""
    from codeassist.backends.sampling import default_samples

    opts = options(cfg, ask.max_tokens, ask.temperature)
    k = samples(cfg, ask.samples)
    req, target = request(ask.text, language=ask.language, cwd=ask.cwd, options=opts,
                          explain=ask.explain, verify=ask.verify)  # fmt: skip
    req = grounding.with_schema(req, ask.schema_file, ask.db, budget=cfg.schema_budget,
                                rows=cfg.schema_rows)  # fmt: skip
    target = resolve_language(req)  # a database given: SQL, unless the words name another
    backend = open_backend(cfg, ask.model, ask.endpoint)
    req = replace(req, samples=default_samples(backend) if k == "auto" else int(k))
    if use_context(cfg, ask.cwd, ask.context):
        req = with_context(cfg, req, backend, target)
    return Prepared(req, backend, target)


def stable_messages(
    cfg: Config, backend: Backend, cwd: Path, language: str,
    schema_file: Path | None = None, db: str | None = None,
) -> list[Message]:  # fmt: skip
    """The messages every `language` request that `prepare` makes from `cwd` (with this
    `--schema` or `--db`) starts with (its system message): what a resident server can
    evaluate before the first request."""
    from codeassist.pipeline.prompts import Environment
    from codeassist.pipeline.prompts import stable_messages as messages

    stable = ""
    if use_context(cfg, cwd):
        stable = grounding.stable_part(backend, cwd, language, cfg.context_budget)
    if language == "shell":
        return messages(language, stable, env=Environment.current(cwd))
    if language != "sql" or not (schema_file or db):
        return messages(language, stable)
    given = grounding.with_schema(Request("", language="sql"), schema_file, db,
                                  budget=cfg.schema_budget, rows=cfg.schema_rows)  # fmt: skip
    sent = given.schema_sent
    whole = (sent is None or not sent.omitted) and given.schema.strip() not in stable
    return messages(language, stable, given.schema if whole else "", given.dialect)


def warm_messages(
    cfg: Config, backend: Backend, cwd: Path, language: str,
    schema_file: Path | None = None, db: str | None = None,
) -> list[Message]:  # fmt: skip
    """`stable_messages`, and for shell the start of the user message a request from `cwd`
    would have now (the working tree's state, up to the request's words): a warm server
    evaluates both, so the first request evaluates little more than its own words."""
    from codeassist.pipeline.prompts import Environment, user_head

    system = stable_messages(cfg, backend, cwd, language, schema_file, db)
    if language != "shell":
        return system
    facts = ""
    if use_context(cfg, cwd):
        from codeassist.context import find_root
        from codeassist.ctx.workspace import git_state

        facts = git_state(find_root(cwd).resolve())
    stable = system[0].content
    return [*system, Message("user", user_head(language, stable, facts, Environment.current(cwd)))]

"""Warm the resident server: evaluate a directory's stable prompt part before any request.

The shell widget runs `codeassist warm --lang shell --quiet` in the background when it loads
and whenever the working directory changes, so the first Ctrl-G there finds the system
message (fixed text + the repository's stable part) already in the server's KV cache, and
for shell the start of the user message (the working tree's state) after it. The messages are
the ones `prepare` would start a request from the same directory with
(`prepare.warm_messages`): byte for byte, or the server would evaluate them for nothing.
Nothing here prints; no server (or one too old for the op) is "nothing to do", not an error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codeassist.config import Config
from codeassist.errors import BackendError, CodeassistError, UsageError

if TYPE_CHECKING:
    from codeassist.backends.client import ClientBackend

LANGUAGES = ("shell", "python", "sql")
TIMEOUT_S = 300.0  # a warm waits behind a running request, then evaluates up to n_ctx tokens
UNSUPPORTED = "unknown op"  # what a server without the op answers (serve/validate.py)


@dataclass(frozen=True)
class Warmed:
    """What one warm did: `skipped` says why nothing was sent ("" when it was)."""

    language: str
    path: Path  # the repository root (the directory itself outside one)
    skipped: str = ""  # "no_server" | "endpoint" | "unsupported"
    note: str = ""  # the sentence for a person, when skipped
    stats: dict[str, Any] = field(default_factory=dict)  # the server's answer

    def to_json(self) -> dict[str, Any]:
        return {
            "warmed": not self.skipped, "language": self.language, "path": str(self.path),
            "skipped": self.skipped or None, "stats": self.stats or None,
        }  # fmt: skip


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise UsageError(f"unknown language {language!r}", hint="use --lang shell, python or sql")
    return language


def warm(
    cfg: Config, cwd: Path, language: str = "shell", start: bool = False,
    schema_file: Path | None = None, db: str | None = None,
) -> Warmed:  # fmt: skip
    """Send the stable messages of `language` from `cwd` (SQL: with the schema of this
    `--schema` or `--db`, when it is sent whole) to the server of the config's model; with
    `start`, start that server first when none runs (`codeassist serve --detach`)."""
    from codeassist.backends import client
    from codeassist.backends.select import NO_SERVER
    from codeassist.context import find_root
    from codeassist.pipeline.prepare import use_context, warm_messages
    from codeassist.serve import protocol

    language = check_language(language)
    root = find_root(cwd) if use_context(cfg, cwd) else cwd.resolve()
    if cfg.endpoint:
        from codeassist.backends.openai import shown_url

        said = f"requests go to {shown_url(cfg.endpoint)}, not a server"
        return Warmed(language, root, "endpoint", said)
    if os.environ.get(NO_SERVER):
        return Warmed(language, root, "no_server", f"{NO_SERVER} is set")
    server = client.find(cfg.model)
    if server is None and start:
        server = _started(cfg)
    if server is None:
        return Warmed(language, root, "no_server", f"no server runs for {cfg.model}")
    messages = warm_messages(cfg, server, cwd, language, schema_file, db)
    payload = {"op": "warm", "messages": protocol.messages_to_json(messages)}
    try:
        stats = protocol.call(server.path, payload, timeout=TIMEOUT_S, key="stats", kind=dict)
    except BackendError as exc:
        if UNSUPPORTED in exc.message:
            note = f"the server on {server.path} cannot warm (an older codeassist)"
            return Warmed(language, root, "unsupported", note)
        raise
    except OSError as exc:  # the server went away or took too long mid-answer
        raise BackendError(
            f"warming the server on {server.path} failed: {exc}",
            hint="see `codeassist serve --status`",
        ) from None
    return Warmed(language, root, stats=dict(stats))


def _started(cfg: Config) -> ClientBackend | None:
    """The server of the config's model, started in its own session (None: another start won)."""
    from codeassist.backends import client
    from codeassist.serve import control

    where = control.Target(cfg, cfg.model, control.default_socket(cfg.model),
                           cfg.serve_idle_timeout)  # fmt: skip
    try:
        control.detach(where)
    except CodeassistError:
        if not control.status(where.path):  # else a server started meanwhile: use it
            raise
    return client.find(cfg.model)


def summary(warmed: Warmed) -> str:
    """One line: "warmed 1234 tokens (812 reused) for /path (shell)"."""
    stats = warmed.stats
    return (
        f"warmed {stats.get('tokens', '?')} tokens ({stats.get('reused', 0)} reused) "
        f"for {warmed.path} ({warmed.language})"
    )

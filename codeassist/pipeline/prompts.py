"""Prompt templates, per language and task, shaped for the server's prefix cache.

The system message is the fixed text of the language, then the repository's stable part
(see codeassist/context.py), then, for SQL, a database schema sent whole: it is the same for
every request of a language in a repository (and on one database), and `stable_messages` gives
it alone, for a server to evaluate ahead of time. The user message holds everything about the
request: its own context, facts, a schema cut down to the request's tables, the question.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path

from codeassist.backends.base import Message
from codeassist.context import OWN_HEAD

# The working directory is context, not a prefix: shown it, models wrote `cat /abs/cwd/f`
# for "show f", and once `ls -l /abs/cwd/grep` for `ls -l $(which grep)`.
_PATHS = (
    "The command runs in the working directory: name files and folders relative to it "
    "(`cat notes.txt`, `find . -name '*.py'`), never by the working directory's absolute "
    "path; write an absolute path only where the request names one. Program names stay "
    "program names (`grep`, `$(which grep)`), never paths in the working directory."
)
# The fence each language's answer opens with (pipeline/opening.py begins it in the prompt).
FENCES = {"python": "python", "sql": "sql", "shell": "bash"}
_RULES = {
    "python": (
        f"You write Python 3 code. Reply with one ```{FENCES['python']} fenced block holding "
        "complete, runnable code: imports included, no placeholders, no example usage unless "
        "asked."
    ),
    "sql": (
        f"You write SQL. Reply with one ```{FENCES['sql']} fenced block holding a single statement "
        "unless more are asked for. Use only the tables and columns of the schema when one "
        "is given, and the given SQL dialect."
    ),
    "shell": (
        f"You write shell commands. Reply with one ```{FENCES['shell']} fenced block holding a "
        "command line the user can run as is, for their operating system and shell. Prefer one "
        "line; use only standard tools; never add commands the user did not ask for. " + _PATHS
    ),
}

_EXPLAIN = " After the block, explain in one or two short sentences what it does."
_TERSE = " Do not explain."


@dataclass(frozen=True)
class Environment:
    """Where a shell command will run."""

    os: str
    shell: str
    cwd: str

    @classmethod
    def current(cls, cwd: Path | None = None) -> Environment:
        system = platform.system()
        if system == "Linux":
            try:
                release = platform.freedesktop_os_release()
                system = f"Linux ({release.get('PRETTY_NAME', 'unknown distribution')}, GNU tools)"
            except OSError:
                system = "Linux (GNU tools)"
        elif system == "Darwin":
            system = f"macOS {platform.mac_ver()[0]} (BSD tools)"
        from codeassist.ctx.files import shown
        from codeassist.shell.user import shell_name

        shell = shell_name()  # the folder as text: bytes that are not UTF-8 written as \xNN
        return cls(os=system, shell=shell, cwd=shown(str(cwd or Path.cwd())))


def system_prompt(language: str) -> str:
    """The fixed text of a language's prompt (what the stable part follows)."""
    return "You are codeassist, a precise coding assistant. " + _RULES[language]


def stable_messages(
    language: str, stable: str = "", schema: str = "", dialect: str = "sqlite",
    env: Environment | None = None,
) -> list[Message]:  # fmt: skip
    """The messages every request of `language` with this stable part (for SQL, this whole
    schema; for shell, this operating system and shell) starts with."""
    parts = [system_prompt(language)]
    if language == "shell" and env:  # the same in every folder: before the repository's part
        parts.append(f"Operating system: {env.os}. Shell: {env.shell}.")
    parts.append(stable.strip())
    if language == "sql" and schema.strip():
        parts.append(schema_block(schema, dialect))
    return [Message("system", "\n\n".join(p for p in parts if p))]


def schema_block(schema: str, dialect: str) -> str:
    return f"Database schema ({dialect}):\n```sql\n{schema.strip()}\n```"


def build(
    request: str,
    language: str,
    *,
    explain: bool = False,
    stable: str = "",
    context: str = "",
    facts: str = "",
    schema: str = "",
    dialect: str = "sqlite",
    whole_schema: bool = True,
    env: Environment | None = None,
) -> list[Message]:
    """The chat messages for one request: `stable_messages`, then one user message.

    `stable` is the repository part that does not depend on the request; `context` the
    definitions that match it; `facts` what changes with every edit (the git working tree).
    A schema already in `stable` (found in the repository) is not repeated; one sent whole
    joins the system message, one cut down to the request's tables goes with the request.
    """
    shared = schema if language == "sql" and schema.strip() not in stable and whole_schema else ""
    parts = _before_request(language, stable, context, facts, schema, dialect, env, shared)
    parts.append(f"Request: {request.strip()}")
    parts.append(_EXPLAIN.strip() if explain else _TERSE.strip())
    system = stable_messages(language, stable, shared, dialect, env)
    return [*system, Message("user", "\n\n".join(parts))]


def user_head(
    language: str, stable: str = "", facts: str = "", env: Environment | None = None
) -> str:
    """How the user message of every request without a request part (shell, as a rule)
    starts, up to the request's words: what a warm server can evaluate ahead of them."""
    parts = _before_request(language, stable, "", facts, "", "sqlite", env, "")
    return "\n\n".join([*parts, "Request:"])


def _before_request(
    language: str, stable: str, context: str, facts: str, schema: str, dialect: str,
    env: Environment | None, shared: str,
) -> list[str]:  # fmt: skip
    """The parts of the user message before the request: its own context, what of the schema
    is not `shared` (in the system message), the working directory, the facts."""
    parts = []
    if context:
        parts.append(f"{OWN_HEAD}\n{context.strip()}")
    if language == "sql" and schema and schema.strip() in stable:
        parts.append(f"SQL dialect: {dialect}.")
    elif language == "sql" and schema and not shared:
        parts.append(schema_block(schema, dialect))
    if language == "shell" and env and "Working directory:" not in stable:
        parts.append(
            f"Working directory: {env.cwd} (where the command runs; paths are relative to it)."
        )
    if facts:
        parts.append(facts.strip())
    return parts

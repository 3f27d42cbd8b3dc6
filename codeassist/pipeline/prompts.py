"""Prompt templates, per language and task."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path

from codeassist.backends.base import Message

_RULES = {
    "python": (
        "You write Python 3 code. Reply with one ```python fenced block holding complete, "
        "runnable code: imports included, no placeholders, no example usage unless asked."
    ),
    "sql": (
        "You write SQL. Reply with one ```sql fenced block holding a single statement "
        "unless more are asked for. Use only the tables and columns of the schema when one "
        "is given, and the given SQL dialect."
    ),
    "shell": (
        "You write shell commands. Reply with one ```bash fenced block holding a command "
        "line the user can run as is, for their operating system and shell. Prefer one line; "
        "use only standard tools; never add commands the user did not ask for."
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
        from codeassist.shell.user import shell_name

        shell = shell_name()
        return cls(os=system, shell=shell, cwd=str(cwd or Path.cwd()))


def system_prompt(language: str, explain: bool) -> str:
    return (
        "You are codeassist, a precise coding assistant. "
        + _RULES[language]
        + (_EXPLAIN if explain else _TERSE)
    )


def build(
    request: str,
    language: str,
    *,
    explain: bool = False,
    context: str = "",
    schema: str = "",
    dialect: str = "sqlite",
    env: Environment | None = None,
) -> list[Message]:
    """The chat messages for one request. Stable parts first, so a server can reuse them."""
    parts = []
    if context:
        parts.append(f"Relevant code from the user's repository:\n{context.strip()}")
    if language == "sql" and schema:
        parts.append(f"Database schema ({dialect}):\n```sql\n{schema.strip()}\n```")
    if language == "shell" and env:
        parts.append(
            f"Operating system: {env.os}. Shell: {env.shell}. Working directory: {env.cwd}."
        )
    parts.append(f"Request: {request.strip()}")
    return [
        Message("system", system_prompt(language, explain)),
        Message("user", "\n\n".join(parts)),
    ]

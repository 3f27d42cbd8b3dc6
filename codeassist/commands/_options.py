"""Checks shared by the commands' options."""

from __future__ import annotations

from pathlib import Path

import typer


def not_empty(value: str | None) -> str | None:
    """An option given as "" (an unset variable, `--db "$DB"`) is an error, not the default."""
    if value is not None and not value.strip():
        raise typer.BadParameter("must not be empty (leave the option out for the default)")
    return value


def one_schema(schema: Path | None, db: str | None) -> None:
    """--schema with --db is refused: the checks run on the database, so its own schema is the
    one they judge by, and a table only in the file would fail them with no word why."""
    from codeassist.errors import UsageError

    if schema is not None and db is not None:
        raise UsageError(
            "--schema and --db cannot go together: the SQL is checked on the database",
            hint="leave out --schema: --db reads the CREATE statements from the database",
        )

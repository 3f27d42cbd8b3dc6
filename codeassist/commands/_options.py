"""Checks shared by the commands' options."""

from __future__ import annotations

import typer


def not_empty(value: str | None) -> str | None:
    """An option given as "" (an unset variable, `--db "$DB"`) is an error, not the default."""
    if value is not None and not value.strip():
        raise typer.BadParameter("must not be empty (leave the option out for the default)")
    return value

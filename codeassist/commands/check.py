"""`codeassist check "CODE"`: the checks gen runs on generated code, on code you wrote."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from codeassist.commands._options import not_empty, one_schema

MARKS = {"passed": ("ok", "green"), "failed": ("FAILED", "bold red"), "not run": ("--", "dim")}


def check(
    code: str = typer.Argument(
        "-", help="The code, or a file (deploy.sh, ./build); '-' or nothing reads stdin."
    ),
    lang: str = typer.Option("auto", "--lang", "-l", help="Language: python|sql|shell|auto."),
    db: str = typer.Option(
        None, "--db", callback=not_empty, help="Database (SQLite path or URL), opened read-only."
    ),
    schema: Path = typer.Option(
        None, "--schema", readable=False, help="A .sql file with the database schema."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the checks as one JSON object."),
) -> None:
    """Check code as gen checks its answers: parse, names, schema, ShellCheck, risk. Nothing
    runs but in the sandbox, where a shell command is tried once on a throw-away copy of this
    folder. A file is checked as the language its name says (.py, .sql, .sh).

    Exit code 1 when a check fails, 0 when none does (2 for bad input, 5 for an unreadable
    --db or --schema).
    """
    from codeassist.terminal import sanitize
    from codeassist.verify.standalone import check_code, named_file, read_file, status

    one_schema(schema, db)
    text = sys.stdin.read() if code == "-" and not sys.stdin.isatty() else code
    path = named_file(code)
    if path is not None:
        text, named = read_file(path)
        lang = named if lang == "auto" else lang
    verdict = check_code("" if text == "-" else text, lang, db=db, schema_file=schema)
    if as_json:
        typer.echo(json.dumps(verdict.to_json()))
    else:
        from rich.console import Console
        from rich.text import Text

        console = Console(highlight=False, soft_wrap=True, file=sys.stdout)
        console.print(f"language: {verdict.language}", markup=False)
        for c in verdict.checks:
            mark, style = MARKS[status(c)]
            detail = sanitize(f" {c.name}" + (f": {c.detail}" if c.detail else ""))
            console.print(Text.assemble((f"{mark:>6}", style), detail))
    raise typer.Exit(1 if verdict.failed else 0)

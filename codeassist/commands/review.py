"""`codeassist review`: findings on the staged change, a commit or a range."""

from __future__ import annotations

import json

import typer

from codeassist.commands._options import not_empty


def review(
    staged: bool = typer.Option(False, "--staged", help="Review the staged change (default)."),
    commit: str = typer.Option(None, "--commit", help="Review one commit against its parent."),
    rev_range: str = typer.Option(None, "--range", help="Review a range A..B."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    timeout: float = typer.Option(
        None, "--timeout", help="Seconds for the whole review (config hook_timeout)."
    ),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when there is an error finding."),
    no_model: bool = typer.Option(False, "--no-model", help="Only the rules; no model."),
    model: str = typer.Option(
        None, "--model", "-m", callback=not_empty, help="Model name or path to a .gguf."
    ),
    endpoint: str = typer.Option(
        None, "--endpoint", callback=not_empty, help="OpenAI-compatible server URL."
    ),
) -> None:
    """Report likely bugs, leftover debugging, risky shell/SQL, secrets and broken callers.

    Findings go to stderr as `path:line: severity: message`. Exit 0 whatever is found,
    1 with --strict and an error finding.
    """
    from codeassist import config as configuration
    from codeassist.errors import Exit, UsageError
    from codeassist.review import findings, session
    from codeassist.terminal import sanitize

    configuration.check_option("--timeout", "hook_timeout", timeout)
    if sum(bool(x) for x in (staged, commit, rev_range)) > 1:
        raise UsageError(
            "choose one of --staged, --commit and --range",
            hint="e.g. codeassist review --commit HEAD, or --range main..HEAD",
        )
    report = session.run(
        configuration.load(), commit=commit, rev_range=rev_range, timeout=timeout,
        use_model=not no_model, model=model, endpoint=endpoint,
    )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(report.to_json()))
    elif text := findings.render(report):
        typer.echo(sanitize(text), err=True)  # paths and messages from the diff and the model
    elif report.files == 0:  # silence would read as "reviewed, all good"
        what = f"range {rev_range}" if rev_range else "staged change"
        what = f"commit {commit}" if commit else what
        typer.echo(sanitize(f"codeassist: nothing to review: the {what} changes no file"), err=True)
    else:
        typer.echo(f"codeassist: {report.files} file(s) reviewed, no findings", err=True)
    if strict and report.errors:
        raise typer.Exit(int(Exit.FAILURE))

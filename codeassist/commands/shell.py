"""`codeassist shell-init bash|zsh|fish`: the key-binding widget, and installing it."""

from __future__ import annotations

import typer


def shell_init(
    shell: str = typer.Argument(None, help="bash, zsh or fish (default: your $SHELL)."),
    key: str = typer.Option(
        None, "--key", help="Key for the widget: ctrl-g (default, or config shell_key), alt-x…"
    ),
    explain_key: str = typer.Option(
        None, "--explain-key", help="Key to explain the line: alt-e (default, or explain_key)."
    ),
    install: bool = typer.Option(False, "--install", help="Add the widget to the shell's rc file."),
    uninstall: bool = typer.Option(False, "--uninstall", help="Remove it from the rc file."),
    completion: bool = typer.Option(
        True, "--completion/--no-completion", help="Also set up Tab completion of codeassist."
    ),
) -> None:
    """Print a widget to load in your shell: type a request, press Ctrl-G, get a command.

    The line you typed is replaced by the command; nothing runs until you press Enter.
    Load it with `eval "$(codeassist shell-init bash)"` (zsh alike) or
    `codeassist shell-init fish | source`, or let --install add that line to your rc file
    (idempotent, with a backup; again with other keys, it replaces the line; --uninstall
    removes it, and only it). On an empty line right after a
    failed command, the key puts that command, corrected, on the line (codeassist fix).
    Alt-E (--explain-key) prints what the command on the line does (codeassist explain)
    below it, and leaves the line as it was.
    """
    import click

    from codeassist.shell import setup

    mode = setup.edit_mode(install, uninstall)  # a usage error before any guess at the shell
    name = setup.shell_name(shell)
    if mode is not None:
        typer.echo(setup.edit_rc(name, mode, key, explain_key).note, err=True)
        return
    root = click.get_current_context().find_root().command if completion else None
    typer.echo(setup.script(name, key, explain_key, root), nl=False)

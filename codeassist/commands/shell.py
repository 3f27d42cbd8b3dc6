"""`codeassist shell-init bash|zsh|fish`: the key-binding widget, and installing it."""

from __future__ import annotations

import typer


def shell_init(
    shell: str = typer.Argument(None, help="bash, zsh or fish (default: your $SHELL)."),
    key: str = typer.Option(
        None, "--key", help="Key for the widget: ctrl-g (default, or config shell_key), alt-x…"
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
    (idempotent, with a backup; --uninstall removes it). On an empty line right after a
    failed command, the key puts that command, corrected, on the line (codeassist fix).
    """
    from codeassist.errors import UsageError
    from codeassist.shell import widgets

    name = widgets.check_shell(shell) if shell else widgets.current_shell()
    if install and uninstall:
        raise UsageError("--install and --uninstall cannot go together")
    if install or uninstall:
        rc = widgets.rc_file(name)
        if install:
            done = widgets.install(rc, widgets.block(name, key))
            note = f"added the widget to {rc}" if done else f"the widget is already in {rc}"
            typer.echo(note + ("; open a new shell to use it" if done else ""), err=True)
        else:
            done = widgets.uninstall(rc)
            typer.echo(f"removed the widget from {rc}" if done else f"no widget in {rc}", err=True)
        return
    if key is None:
        from codeassist import config

        key = config.load().shell_key
    typer.echo(widgets.widget(name, key), nl=False)
    if completion:
        import click

        from codeassist.shell.completion import script

        typer.echo(script(name, click.get_current_context().find_root().command), nl=False)

"""What `codeassist shell-init` does: the widget script for a shell, or its line in the rc file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codeassist.errors import CodeassistError, InputError, UsageError
from codeassist.shell import rcfile, widgets

if TYPE_CHECKING:
    import click

    from codeassist.config import Config


def shell_name(shell: str | None) -> str:
    """The shell named, checked; else the user's own from $SHELL."""
    return widgets.check_shell(shell) if shell else widgets.current_shell()


def edit_rc(
    shell: str, install: bool, key: str | None = None, explain_key: str | None = None
) -> rcfile.Edit:
    """Install (or uninstall) the line that loads the widget; keys are checked before writing.

    Installing again with other keys replaces the line, where it is.
    """
    rc = widgets.rc_file(shell)
    if not install:
        return rcfile.uninstall(rc)
    script(shell, key, explain_key, None)  # what each new shell will run: its errors now
    return rcfile.install(rc, widgets.eval_line(shell, key, explain_key=explain_key))


def edit_mode(install: bool, uninstall: bool) -> bool | None:
    """True to install, False to uninstall, None to print the script; both is an error."""
    if install and uninstall:
        raise UsageError(
            "--install and --uninstall cannot go together",
            hint="run `codeassist shell-init --install` or `--uninstall`, one at a time",
        )
    return True if install else False if uninstall else None


def script(
    shell: str, key: str | None, explain_key: str | None, completion: click.Command | None
) -> str:
    """The widget bound to the keys given (else the config's), then Tab completion if asked."""
    from codeassist import config

    cfg = config.load()
    key, explain_key = keys(cfg, key, explain_key)
    text = widgets.widget(
        shell, key, explain_key, socket=server_socket(cfg), autostart=cfg.shell_autostart
    )
    if completion is not None:
        from codeassist.shell.completion import script as completion_script

        text += completion_script(shell, completion)
    return text


def keys(cfg: Config, key: str | None, explain_key: str | None) -> tuple[str, str]:
    """The options' keys, else the config's: a config key that cannot be bound (alone, or as
    the other key too) is an error naming the config file and the key, as config.py's are."""
    from codeassist import paths

    path = paths.config_file()
    chosen, chords = [], []
    sources = [("shell_key", key, cfg.shell_key, "widget key"),
               ("explain_key", explain_key, cfg.explain_key, "explain key")]  # fmt: skip
    for name, given, value, role in sources:
        chosen.append(value if given is None else given)
        try:
            chords.append(widgets.Key.parse(chosen[-1], role))
        except UsageError as exc:
            if given is not None:
                raise
            raise InputError(
                f"config file {path}: {name}: {exc.message}",
                hint=f"edit {name} in {path}: {exc.hint}",
            ) from exc
    if (key is None or explain_key is None) and chords[0] == chords[1]:
        if key is None and explain_key is None:
            raise InputError(
                f"config file {path}: shell_key and explain_key are both {chords[0].name}",
                hint=f"edit one of them in {path}",
            )
        flag, other = ("--key", "explain_key") if key else ("--explain-key", "shell_key")
        raise UsageError(
            f"{chords[0].name} cannot be both the widget key and the explain key",
            hint=f"pick another {flag}, or another {other} in {path}",
        )
    return chosen[0], chosen[1]


def server_socket(cfg: Config) -> str:
    """Where the widget finds the resident server to warm: "" when requests do not go to one."""
    from codeassist.serve import protocol

    if cfg.endpoint:
        return ""
    try:
        return str(protocol.socket_path(cfg.model))
    except (CodeassistError, OSError):  # no runtime dir: the widget still works, unwarmed
        return ""

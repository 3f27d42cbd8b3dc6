"""What `codeassist shell-init` does: the widget script for a shell, or its line in the rc file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codeassist.errors import CodeassistError, UsageError
from codeassist.shell import widgets

if TYPE_CHECKING:
    import click

    from codeassist.config import Config


@dataclass(frozen=True)
class RcEdit:
    """The widget's line added to (or removed from) a shell's rc file, or found already so."""

    rc: Path
    install: bool
    changed: bool

    @property
    def note(self) -> str:
        if self.install:
            if self.changed:
                return f"added the widget to {self.rc}; open a new shell to use it"
            return f"the widget is already in {self.rc}"
        return f"removed the widget from {self.rc}" if self.changed else f"no widget in {self.rc}"


def shell_name(shell: str | None) -> str:
    """The shell named, checked; else the user's own from $SHELL."""
    return widgets.check_shell(shell) if shell else widgets.current_shell()


def edit_rc(
    shell: str, install: bool, key: str | None = None, explain_key: str | None = None
) -> RcEdit:
    """Install (or uninstall) the line that loads the widget; keys are checked before writing."""
    rc = widgets.rc_file(shell)
    if not install:
        return RcEdit(rc, False, widgets.uninstall(rc))
    script(shell, key, explain_key, None)  # what each new shell will run: its errors now
    block = widgets.block(shell, key, explain_key=explain_key)
    return RcEdit(rc, True, widgets.install(rc, block))


def edit_mode(install: bool, uninstall: bool) -> bool | None:
    """True to install, False to uninstall, None to print the script; both is an error."""
    if install and uninstall:
        raise UsageError("--install and --uninstall cannot go together")
    return True if install else False if uninstall else None


def script(
    shell: str, key: str | None, explain_key: str | None, completion: click.Command | None
) -> str:
    """The widget bound to the keys given (else the config's), then Tab completion if asked."""
    from codeassist import config

    cfg = config.load()
    key = cfg.shell_key if key is None else key
    explain_key = cfg.explain_key if explain_key is None else explain_key
    text = widgets.widget(
        shell, key, explain_key, socket=server_socket(cfg), autostart=cfg.shell_autostart
    )
    if completion is not None:
        from codeassist.shell.completion import script as completion_script

        text += completion_script(shell, completion)
    return text


def server_socket(cfg: Config) -> str:
    """Where the widget finds the resident server to warm: "" when requests do not go to one."""
    from codeassist.serve import protocol

    if cfg.endpoint:
        return ""
    try:
        return str(protocol.socket_path(cfg.model))
    except (CodeassistError, OSError):  # no runtime dir: the widget still works, unwarmed
        return ""

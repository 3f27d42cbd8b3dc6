"""Shell widgets (bash, zsh, fish) and their install line in the shell's rc file.

The widget scripts are package data next to this module; `widget()` fills in the key and
the codeassist executable. One key turns the line into a command (or fixes the last
failure); the other prints `codeassist explain` of the line and leaves it as it was.
`eval_line()` is what loads the widget from the shell's rc file (`rc_file()`); rcfile.py puts
it there between two marker lines.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from codeassist.errors import UsageError

SHELLS = ("bash", "zsh", "fish")
EXPLAIN_KEY = "alt-e"  # the config's explain_key default
_KEY = re.compile(
    r"^(?:\\?(?P<mod>C|M|ctrl|alt|control|meta)[-+]|(?P<esc>\\e|\^\[))(?P<key>[a-z])$", re.I
)


# Ctrl letters a terminal or line editor needs for itself (the widget would take them away).
RESERVED = {
    "m": "Enter", "j": "Enter (newline)", "i": "Tab", "h": "Backspace", "c": "interrupt",
    "d": "end of input", "z": "suspend", "s": "stop output", "q": "resume output",
}  # fmt: skip


@dataclass(frozen=True)
class Key:
    """One key chord: Ctrl or Alt plus a letter."""

    alt: bool
    letter: str

    @classmethod
    def parse(cls, text: str, role: str = "widget key") -> Key:
        """Accepts readline (`\\C-g`, `\\M-g`, `\\eg`), `ctrl-g`, `alt+g`, caret (`^G`, `^[g`).

        Not the Ctrl letters that are the terminal's or the line editor's own: bound to the
        widget, Ctrl-M would take Enter away from the user (the line could no longer be run).
        """
        spec = text.strip()
        if len(spec) == 2 and spec[0] == "^" and spec[1].isascii() and spec[1].isalpha():
            key = cls(False, spec[1].lower())
        elif (match := _KEY.match(spec)) and match["key"].isascii():
            alt = bool(match["esc"]) or match["mod"].lower() in ("m", "alt", "meta")
            key = cls(alt, match["key"].lower())
        else:
            raise UsageError(
                f"cannot use {text!r} as the {role}",
                hint="use Ctrl or Alt plus a letter: ctrl-g, alt-g, \\C-g or ^G",
            )
        if not key.alt and key.letter in RESERVED:
            raise UsageError(
                f"cannot use {key.name} as the {role}: it is {RESERVED[key.letter]}",
                hint="pick another, e.g. ctrl-g or alt-g",
            )
        return key

    def for_shell(self, shell: str) -> str:
        if shell == "bash":
            return f"\\e{self.letter}" if self.alt else f"\\C-{self.letter}"
        if shell == "zsh":
            return f"^[{self.letter}" if self.alt else f"^{self.letter.upper()}"
        return f"\\e{self.letter}" if self.alt else f"\\c{self.letter}"

    @property
    def name(self) -> str:
        return f"{'Alt' if self.alt else 'Ctrl'}-{self.letter.upper()}"


def check_shell(shell: str) -> str:
    if shell not in SHELLS:
        raise UsageError(f"unknown shell {shell!r}", hint="use bash, zsh or fish")
    return shell


def current_shell(environ: dict[str, str] | None = None) -> str:
    """The user's login shell from $SHELL, if it is one we support."""
    name = Path((environ if environ is not None else os.environ).get("SHELL", "")).name
    if name not in SHELLS:
        raise UsageError("cannot tell which shell you use", hint="name it: bash, zsh or fish")
    return name


def executable() -> str:
    """How the widget calls codeassist: by name when it is on PATH, else by full path."""
    if shutil.which("codeassist"):
        return "codeassist"
    found = shutil.which("codeassist", path=str(Path(sys.executable).parent))
    return found or "codeassist"


def _quote(shell: str, word: str) -> str:
    if shell == "fish" and shlex.quote(word) != word:
        return "'" + word.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return shlex.quote(word)


def widget(
    shell: str, key: str, explain_key: str = EXPLAIN_KEY, exe: str | None = None,
    socket: str = "", autostart: bool = False,
) -> str:  # fmt: skip
    """The script to source in the shell: binds `key` to the widget, `explain_key` to explain;
    warms the server on `socket` (none: never) at load and on each change of directory, and
    with `autostart` starts it after a request that found none."""
    chord, explain = Key.parse(key), Key.parse(explain_key, "explain key")
    if chord == explain:
        raise UsageError(
            f"{chord.name} cannot be both the widget key and the explain key",
            hint="pick another --explain-key (or explain_key in the config)",
        )
    template = (Path(__file__).parent / f"widget.{check_shell(shell)}").read_text("utf-8")
    return (
        template.replace("@KEY_NAME@", chord.name)
        .replace("@KEY@", chord.for_shell(shell))
        .replace("@EXPLAIN_KEY_NAME@", explain.name)
        .replace("@EXPLAIN_KEY@", explain.for_shell(shell))
        .replace("@EXE@", _quote(shell, exe or executable()))
        .replace("@SOCKET@", _quote(shell, socket))
        .replace("@AUTOSTART@", "1" if autostart else "0")
    )


def rc_file(shell: str, home: Path | None = None, environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    home = home or Path.home()
    if check_shell(shell) == "bash":
        return home / ".bashrc"
    if shell == "zsh":
        return Path(env.get("ZDOTDIR") or home) / ".zshrc"
    return Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "fish" / "config.fish"


def eval_line(
    shell: str, key: str | None = None, exe: str | None = None, explain_key: str | None = None
) -> str:
    """The rc-file line that loads the widget at each shell start."""
    cmd = _quote(shell, exe or executable())
    args = f"shell-init {shell}" + (f" --key {_quote(shell, key)}" if key else "")
    args += f" --explain-key {_quote(shell, explain_key)}" if explain_key else ""
    if shell == "fish":
        return f"{cmd} {args} | source"
    return f'eval "$({cmd} {args})"'

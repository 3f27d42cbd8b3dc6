"""Real bash, zsh and fish in tmux with codeassist's shell script loaded from their rc file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from codeassist.shell import widgets
from tests.helpers.cli import codeassist_exe
from tests.helpers.tmux import Tmux

PROMPT = "PROMPT>"  # followed by a space, which the screen capture drops at line ends
HISTORY = {"bash": "history", "zsh": "fc -ln 1", "fish": "history"}


def start_shell(
    tmux: Tmux,
    shell: str,
    tmp: Path,
    model: str,
    extra: dict[str, str] | None = None,
    script: str | None = None,
) -> Path:
    """Start `shell` loading `script` from its rc file (default: the Ctrl-G widget), with
    `extra` in its environment; returns its working dir."""
    user, work = tmp / "user", tmp / "work"
    user.mkdir()
    work.mkdir()
    widget = user / f"widget.{shell}"
    widget.write_text(script or widgets.widget(shell, "ctrl-g", exe=codeassist_exe()))
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(user),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "CODEASSIST_HOME": os.environ["CODEASSIST_HOME"],
        "CODEASSIST_MODEL": model,
        "XDG_CONFIG_HOME": str(user / ".config"),
        "XDG_DATA_HOME": str(user / ".local" / "share"),
        **(extra or {}),
    }
    if "PYTHONPATH" in os.environ:  # a checkout under test, ahead of the installed package
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    if shell == "bash":
        rc = user / ".bashrc"
        rc.write_text(f"PS1='{PROMPT} '\nHISTFILE={user}/.bash_history\nsource {widget}\n")
        command = ["bash", "--noprofile", "--rcfile", str(rc), "-i"]
    elif shell == "zsh":
        env["ZDOTDIR"] = str(user)
        (user / ".zshrc").write_text(
            f"PS1='{PROMPT} '\nHISTFILE={user}/.zsh_history\nSAVEHIST=100\nHISTSIZE=100\n"
            f"source {widget}\n"
        )
        command = ["zsh", "-i"]
    else:
        config = user / ".config" / "fish" / "config.fish"
        config.parent.mkdir(parents=True)
        config.write_text(
            "set -g fish_greeting\n"
            f"function fish_prompt; printf '{PROMPT} '; end\nsource {widget}\n"
        )
        command = ["fish", "-i"]
    tmux.start(command, env, cwd=str(work))
    tmux.wait_for(lambda s: s.endswith(PROMPT), 30, "the first prompt")
    return work


def line_after_prompt(screen: str) -> str:
    """What is being edited: everything after the last prompt."""
    return screen.rsplit(PROMPT, 1)[-1].strip()


def abandon_line(tmux: Tmux, tries: int = 3) -> str:
    """Ctrl-C until the prompt is empty: fish now and then keeps the line after one (a Ctrl-C
    that lands while it still redraws after a key binding), and gives a new prompt on the next."""
    for attempt in range(tries):
        tmux.keys("C-c")
        try:
            return tmux.wait_for(lambda s: s.endswith(PROMPT), 4, "an empty prompt")
        except AssertionError:
            if attempt == tries - 1:
                raise
    raise AssertionError("unreachable")

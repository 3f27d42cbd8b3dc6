"""The widget in real bash, zsh and fish, driven through tmux with the real small model.

Type a request, press Ctrl-G: the line becomes a command, nothing runs, and neither the
request nor the command enters the history until the user runs it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from codeassist.shell import widgets
from tests.helpers.cli import codeassist_exe
from tests.helpers.tmux import Tmux, need

PROMPT = "PROMPT>"  # followed by a space, which the screen capture drops at line ends
REQUEST = "create an empty file named proof.txt"
HISTORY = {"bash": "history", "zsh": "fc -ln 1", "fish": "history"}


def start_shell(
    tmux: Tmux, shell: str, tmp: Path, model: str, extra: dict[str, str] | None = None
) -> Path:
    """Start `shell` with the widget loaded from its rc file (and `extra` in its environment);
    returns its working dir."""
    user, work = tmp / "user", tmp / "work"
    user.mkdir()
    work.mkdir()
    widget = user / f"widget.{shell}"
    widget.write_text(widgets.widget(shell, "ctrl-g", exe=codeassist_exe()))
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


@pytest.fixture
def tmux() -> object:
    session = Tmux()
    yield session
    session.close()


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_ctrl_g_replaces_the_line_with_a_command_and_runs_nothing(
    shell: str, tmux: Tmux, tmp_path: Path, small_model: Path
) -> None:
    need(shell)
    work = start_shell(tmux, shell, tmp_path, "smollm2-135m")
    tmux.type(REQUEST)
    tmux.wait_for(lambda s: line_after_prompt(s) == REQUEST, 10, "the request on the line")
    tmux.keys("C-g")
    screen = tmux.wait_for(
        lambda s: "[codeassist" not in s and line_after_prompt(s) not in ("", REQUEST),
        240, "the widget to replace the line", steady=1.5,
    )  # fmt: skip
    command = line_after_prompt(screen)
    assert command and command != REQUEST
    assert "codeassist:" not in screen, "no error was reported"
    assert not (work / "proof.txt").exists(), "the command must not have run"
    assert list(work.iterdir()) == []

    tmux.keys("C-c")  # abandon the line: it must leave no trace in the history
    tmux.wait_for(lambda s: s.endswith(PROMPT), 10, "an empty prompt")
    tmux.type(f'clear; {HISTORY[shell]}; echo END-OF-""HISTORY')
    tmux.keys("Enter")
    history = tmux.wait_for(lambda s: "END-OF-HISTORY" in s.splitlines(), 20, "the history listing")
    assert "proof.txt" not in history
    assert command.splitlines()[0] not in history.split("END-OF-HISTORY")[0]


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_on_error_the_request_comes_back_with_the_reason(
    shell: str, tmux: Tmux, tmp_path: Path
) -> None:
    need(shell)
    start_shell(tmux, shell, tmp_path, "no-such-model")
    tmux.type(REQUEST)
    tmux.wait_for(lambda s: line_after_prompt(s) == REQUEST, 10, "the request on the line")
    tmux.keys("C-g")
    screen = tmux.wait_for(lambda s: "codeassist: error" in s, 60, "the error message")
    assert "unknown model 'no-such-model'" in screen
    restored = tmux.wait_for(lambda s: f"{PROMPT} {REQUEST}" in s, 10, "the request restored")
    assert restored.rsplit(PROMPT, 1)[-1].splitlines()[0].strip() == REQUEST

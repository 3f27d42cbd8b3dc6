"""The widget in real bash, zsh and fish, driven through tmux with the real small model.

Type a request, press Ctrl-G: the line becomes a command, nothing runs, and neither the
request nor the command enters the history until the user runs it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from codeassist.shell import widgets
from codeassist.verify import sandbox
from tests.helpers.shells import HISTORY, PROMPT, line_after_prompt, start_shell
from tests.helpers.tmux import Tmux, need
from tests.scripted_endpoint import scripted_endpoint

REQUEST = "create an empty file named proof.txt"
NO_CODE = "codeassist: no command came back, only a comment"


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
        lambda s: "[codeassist" not in s
        and (line_after_prompt(s) not in ("", REQUEST) or NO_CODE in s),
        240, "the widget to replace the line", steady=1.5,
    )  # fmt: skip
    command = line_after_prompt(screen)
    if NO_CODE in screen:  # the 135M model wrote only a comment: the request stays, said so
        assert edited(screen) == REQUEST
        assert screen.count("codeassist:") == 1
        command = ""
    else:
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
    assert not command or command.splitlines()[0] not in history.split("END-OF-HISTORY")[0]


def edited(screen: str) -> str:
    """The line being edited: the first after the last prompt (a message may follow it)."""
    return (line_after_prompt(screen).splitlines() or [""])[0]


@pytest.mark.skipif(sandbox.unavailable() is not None, reason="no sandbox here")
@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_a_check_the_command_fails_is_said_and_the_command_is_still_on_the_line(
    shell: str, tmux: Tmux, tmp_path: Path
) -> None:
    """A real `gen` behind a scripted endpoint: shell.run tries the command in the sandbox,
    and ls's own complaint reaches the prompt, on one line however long it is."""
    need(shell)
    command = "ls --time=modified notes.txt"
    with scripted_endpoint(f"```bash\n{command}\n```") as url:
        work = start_shell(tmux, shell, tmp_path, "no-such-model",
                           extra={"CODEASSIST_ENDPOINT": url, "COLUMNS": "60"})  # fmt: skip
        (work / "notes.txt").write_text("one\n")
        tmux.type("list notes.txt with its modification time")
        tmux.wait_for(lambda s: line_after_prompt(s).startswith("list notes"), 10, "the request")
        tmux.keys("C-g")
        # zsh says it below the line, bash and fish above it
        screen = tmux.wait_for(lambda s: edited(s) == command, 60, "the command", steady=1.0)
    said = [line for line in screen.splitlines() if line.startswith("codeassist: ")]
    assert said, screen
    assert said[0].startswith("codeassist: check failed shell.run: ")
    assert "ls: invalid argument" in said[0] and "--time" in said[0]  # the detail, joined
    assert (work / "notes.txt").read_text() == "one\n"


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_an_answer_of_comments_alone_leaves_the_request_on_the_line(
    shell: str, tmux: Tmux, tmp_path: Path
) -> None:
    # `# find the 5 biggest files here` took the request's place, said to have passed every
    # check (widget audit); blank lines and a leading space do not make it a command
    need(shell)
    with scripted_endpoint("```bash\n# find the 5 biggest files here\n\n  # du | sort\n```") as url:
        start_shell(tmux, shell, tmp_path, "no-such-model", extra={"CODEASSIST_ENDPOINT": url})
        tmux.type(REQUEST)
        tmux.wait_for(lambda s: line_after_prompt(s) == REQUEST, 10, "the request on the line")
        tmux.keys("C-g")
        screen = tmux.wait_for(lambda s: NO_CODE in s and edited(s) == REQUEST, 60, "the message")
    assert "[codeassist" not in screen and "# find" not in screen.rsplit(PROMPT, 1)[-1]


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


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_ctrl_c_during_a_request_leaves_no_temp_file(
    shell: str, tmux: Tmux, tmp_path: Path
) -> None:
    need(shell)
    temp = tmp_path / "temp"
    temp.mkdir()
    slow = tmp_path / "slow-codeassist"
    slow.write_text("#!/bin/sh\necho thinking >&2\nsleep 30\necho ls\n")
    slow.chmod(0o755)
    start_shell(tmux, shell, tmp_path, "no-such-model",
                extra={"TMPDIR": str(temp), "CODEASSIST_BIN": str(slow)})  # fmt: skip
    tmux.type(REQUEST)
    tmux.wait_for(lambda s: line_after_prompt(s) == REQUEST, 10, "the request on the line")
    tmux.keys("C-g")
    tmux.wait_for(lambda s: "[codeassist" in s, 10, "the widget at work")
    assert [p.name for p in temp.iterdir()], "the widget keeps stderr in a temp file"
    tmux.keys("C-c")
    time.sleep(1)  # the interrupted widget ends
    tmux.keys("C-c")  # fish keeps the line after the first: the second gives a new prompt
    tmux.wait_for(lambda s: s.endswith(PROMPT), 10, "an empty prompt")
    left = [p.name for p in temp.iterdir() if not p.is_dir()]  # fish keeps a folder of its own
    assert left == []

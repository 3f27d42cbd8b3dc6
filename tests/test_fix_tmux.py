"""`codeassist fix` from the widget key in real bash, zsh and fish (tmux), with a scripted
OpenAI-compatible server: after a failure the key on an empty line puts the fixed command on
the line, runs nothing and leaves the history as it was; with no failure it asks nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.shell import widgets
from tests.helpers.shells import HISTORY, PROMPT, line_after_prompt, start_shell
from tests.helpers.tmux import Tmux, need
from tests.scripted_endpoint import recording_endpoint

FIXED = "echo fixed-$((40+2))"  # on the line as written; run, it would print fixed-42
USER_HOOK = {
    "bash": "PROMPT_COMMAND='echo user-hook-saw-$?'; source {widget}",
    "zsh": "precmd() { echo user-hook-saw-$? }",
    "fish": "function user_hook --on-event fish_postexec; echo user-hook-saw-$status; end",
}


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    session = Tmux()
    yield session
    session.close()


def run(tmux: Tmux, line: str, done: str) -> str:
    tmux.type(line)
    tmux.keys("Enter")
    return tmux.wait_for(lambda s: done in s and s.endswith(PROMPT), 20, f"{line!r} to finish")


def history(tmux: Tmux, shell: str, mark: str) -> list[str]:
    """The shell's history (numbers dropped), without the commands that list it."""
    screen = run(tmux, f"clear; {HISTORY[shell]}; echo END-OF-{mark}", f"\nEND-OF-{mark}")
    lines = screen.split(f"\nEND-OF-{mark}")[0].splitlines()
    kept = [line.strip().lstrip("0123456789*").strip() for line in lines]
    return sorted(line for line in kept if line and "END-OF-" not in line)


def press_and_see_nothing(tmux: Tmux) -> None:
    tmux.keys("C-g")
    screen = tmux.wait_for(lambda s: s.endswith(PROMPT), 10, "the empty prompt", steady=1.5)
    assert "codeassist" not in screen.splitlines()[-1]


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_after_a_failure_the_key_on_an_empty_line_puts_the_fix_there_and_runs_nothing(
    shell: str, tmux: Tmux, tmp_path: Path
) -> None:
    need(shell)
    with recording_endpoint(f"```bash\n{FIXED}\n```") as (url, requests):
        start_shell(tmux, shell, tmp_path, "unused", {"CODEASSIST_ENDPOINT": url})
        press_and_see_nothing(tmux)  # nothing ran yet
        run(tmux, "true", "true")
        press_and_see_nothing(tmux)  # the last command succeeded
        assert requests == [], "no failure, no request"

        run(tmux, "ls /nonexistent-dir", "No such file")
        before = history(tmux, shell, "ONE")
        run(tmux, "ls /nonexistent-dir", "No such file")
        tmux.keys("C-g")
        screen = tmux.wait_for(
            lambda s: line_after_prompt(s) == FIXED, 60, "the fixed command", steady=1.0
        )
        assert "fixed-42" not in screen, "the fix must not run"
        assert len(requests) == 1
        prompt = requests[0]["messages"][-1]["content"]
        assert "Command: ls /nonexistent-dir" in prompt and "Exit status: 2" in prompt

        tmux.keys("C-c")  # abandon the line: no trace in the history
        tmux.wait_for(lambda s: s.endswith(PROMPT), 10, "an empty prompt")
        after = history(tmux, shell, "TWO")
        assert set(after) == set(before) and FIXED not in after  # fish keeps no duplicates
        if shell != "fish":
            assert after == sorted([*before, "ls /nonexistent-dir"])  # the second run, only
        assert "fixed-42" not in tmux.screen()


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_typos_need_no_model_hooks_are_kept_and_a_failed_pipe_element_counts(
    shell: str, tmux: Tmux, tmp_path: Path
) -> None:
    need(shell, "git")
    with recording_endpoint(f"```bash\n{FIXED}\n```") as (url, requests):
        start_shell(tmux, shell, tmp_path, "unused", {"CODEASSIST_ENDPOINT": url})
        widget = tmp_path / "user" / f"widget.{shell}"
        tmux.type(USER_HOOK[shell].replace("{widget}", str(widget)))
        tmux.keys("Enter")
        run(tmux, "gti status", "gti")
        tmux.keys("C-g")
        screen = tmux.wait_for(
            lambda s: line_after_prompt(s) == "git status", 20, "the fix", steady=1.0
        )  # steady: the widget has returned, so Ctrl-C goes to the line
        assert requests == [], "a typo costs no model call"
        assert "user-hook-saw-127" in screen, "the user's own hook still runs and sees $?"

        tmux.keys("C-c")
        tmux.wait_for(lambda s: s.endswith(PROMPT), 10, "an empty prompt")
        run(tmux, "ls /nonexistent-dir | cat", "No such file")  # $? is 0: cat succeeded
        tmux.keys("C-g")
        tmux.wait_for(lambda s: line_after_prompt(s) == FIXED, 60, "the fixed pipeline")
        prompt = requests[0]["messages"][-1]["content"]
        assert "Command: ls /nonexistent-dir | cat" in prompt and "Exit status: 2" in prompt

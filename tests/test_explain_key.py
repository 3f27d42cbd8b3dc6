"""The widget's explain key (Alt-E) in real bash, zsh and fish, driven through tmux.

With a command on the line, the key prints `codeassist explain` of it below the prompt and
gives the line back exactly as it was, cursor included: nothing runs, the history is untouched.
On an empty line it does nothing; on an error it says so in one line and keeps the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.shell import widgets
from tests.helpers.shells import HISTORY, PROMPT, abandon_line, line_after_prompt, start_shell
from tests.helpers.tmux import Tmux, need

LINE = "touch MARKER; du -sh /tmp"  # run, it would leave MARKER in the working dir
EDITED = LINE.replace("/tmp", "X/tmp")  # X typed where the cursor was: before /tmp
QUIET = {"fish_autosuggestion_enabled": "0"}  # fish would show `/tmp/` after the line
BROKEN = "#!/bin/sh\necho 'error: the docs are broken' >&2\necho 'hint: not shown' >&2\nexit 5\n"


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    session = Tmux()
    yield session
    session.close()


def type_line(tmux: Tmux) -> None:
    tmux.type(LINE)
    tmux.keys("Left", "Left", "Left", "Left")
    tmux.wait_for(lambda s: line_after_prompt(s) == LINE, 10, "the line typed")


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_the_key_explains_the_line_and_gives_it_back_unrun(
    shell: str, tmux: Tmux, tmp_path: Path
) -> None:
    need(shell)
    work = start_shell(tmux, shell, tmp_path, "unused", QUIET)
    type_line(tmux)
    tmux.keys("M-e")
    screen = tmux.wait_for(
        lambda s: "risk:" in s and line_after_prompt(s) == LINE, 60, "the explanation", steady=1.0
    )
    assert "man du" in screen or "du --help" in screen
    assert "risk: low" in screen and "codeassist:" not in screen
    above = screen.rsplit(PROMPT, 1)[0]
    assert f"{PROMPT} {LINE}" in above, "the explained line stays in the scrollback"
    assert above.index("risk: low") > above.index(f"{PROMPT} {LINE}"), "printed below the line"
    tmux.type("X")  # the cursor is where it was
    tmux.wait_for(lambda s: line_after_prompt(s) == EDITED, 10, "X")
    assert not (work / "MARKER").exists(), "the line must not run"

    abandon_line(tmux)
    tmux.type(f'clear; {HISTORY[shell]}; echo END-OF-""HISTORY')
    tmux.keys("Enter")
    listing = tmux.wait_for(lambda s: "END-OF-HISTORY" in s.splitlines(), 20, "the history")
    assert "MARKER" not in listing
    assert not (work / "MARKER").exists()


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_on_an_empty_line_the_key_prints_nothing(shell: str, tmux: Tmux, tmp_path: Path) -> None:
    need(shell)
    start_shell(tmux, shell, tmp_path, "unused", QUIET)
    tmux.keys("M-e")
    screen = tmux.wait_for(lambda s: s.endswith(PROMPT), 10, "the prompt", steady=2.0)
    assert screen.strip() == PROMPT


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_a_failing_explain_is_one_line_and_the_line_stays(
    shell: str, tmux: Tmux, tmp_path: Path
) -> None:
    need(shell)
    broken = tmp_path / "broken-codeassist"
    broken.write_text(BROKEN)
    broken.chmod(0o755)
    work = start_shell(tmux, shell, tmp_path, "unused", {**QUIET, "CODEASSIST_BIN": str(broken)})
    type_line(tmux)
    tmux.keys("M-e")
    screen = tmux.wait_for(
        lambda s: "codeassist: error: the docs are broken" in s, 30, "the error", steady=1.0
    )
    assert "not shown" not in screen, "one line, not the whole output"
    assert line_after_prompt(screen) == LINE
    tmux.type("X")
    tmux.wait_for(lambda s: line_after_prompt(s) == EDITED, 10, "X")
    assert not (work / "MARKER").exists()


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_without_codeassist_the_key_says_so_in_one_line(
    shell: str, tmux: Tmux, tmp_path: Path
) -> None:
    need(shell)
    missing = str(tmp_path / "no-such-codeassist")
    start_shell(tmux, shell, tmp_path, "unused", {**QUIET, "CODEASSIST_BIN": missing})
    type_line(tmux)
    tmux.keys("M-e")
    screen = tmux.wait_for(lambda s: "codeassist: " in s, 30, "the error", steady=1.0)
    errors = [line for line in screen.splitlines() if line.startswith("codeassist: ")]
    assert len(errors) == 1 and "no-such-codeassist" in errors[0], screen
    assert line_after_prompt(screen) == LINE


def test_a_line_holding_an_escape_sequence_is_shown_not_sent_to_the_terminal(
    tmux: Tmux, tmp_path: Path
) -> None:
    # bash prints the explained line into the scrollback: raw, an OSC sequence on it set the
    # terminal's title (widget audit); zsh and fish do not print the line
    need("bash")
    start_shell(tmux, "bash", tmp_path, "unused", QUIET)
    before = tmux._tmux("display-message", "-p", "#{pane_title}")
    tmux.type("echo ")
    tmux.keys("C-v", "Escape")
    tmux.type("]2;PWNED")
    tmux.keys("C-v", "C-g")
    tmux.type(" x")
    tmux.keys("M-e")
    screen = tmux.wait_for(lambda s: "risk:" in s, 60, "the explanation", steady=1.0)
    assert "PWNED" in screen  # shown, its controls as ?
    assert tmux._tmux("display-message", "-p", "#{pane_title}") == before
    assert "PWNED" not in tmux._tmux("display-message", "-p", "#{pane_title}")

"""`codeassist repl` in a real terminal (tmux) with the real small model."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import codeassist_exe
from tests.helpers.tmux import Tmux


@pytest.fixture
def repl(tmp_path: Path, small_model: Path) -> object:
    tmux = Tmux(width=120, height=50)
    work = tmp_path / "work"
    work.mkdir()
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "SHELL": "/bin/bash",
        "CODEASSIST_HOME": os.environ["CODEASSIST_HOME"],
        "CODEASSIST_MODEL": "smollm2-135m",
    }
    if "PYTHONPATH" in os.environ:  # a checkout's code first, as in the other subprocess tests
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    tmux.start([codeassist_exe(), "repl", "--lang", "shell"], env, cwd=str(work))
    tmux.wait_for(lambda s: s.endswith("shell>"), 60, "the REPL prompt")
    yield tmux, work
    tmux.close()


@pytest.mark.slow
@pytest.mark.model
def test_a_session_completes_answers_asks_before_running_and_keeps_history(
    repl: tuple[Tmux, Path], home: Path
) -> None:
    tmux, work = repl
    tmux.type("/he")
    tmux.keys("Tab")
    tmux.wait_for(lambda s: "shell> /help" in s.splitlines(), 10, "completion")
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "/context" in s and s.endswith("shell>"), 10, "the command list")

    tmux.type("create an empty file")
    tmux.keys("Escape", "Enter")  # Alt-Enter: a second line, not a send
    tmux.type("named proof.txt")
    tmux.wait_for(lambda s: "... named proof.txt" in s, 10, "the continuation line")
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "/run  /explain" in s and s.endswith("shell>"), 240, "the answer")
    assert not (work / "proof.txt").exists(), "nothing runs unasked"

    tmux.type("/run")
    tmux.keys("Enter")
    screen = tmux.wait_for(lambda s: "Run it? [y/N]" in s or '"yes"' in s, 20, "the question")
    assert "risk: " in screen
    tmux.type("n")
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "not run" in s and s.endswith("shell>"), 10, "the refusal")
    assert not (work / "proof.txt").exists()

    tmux.type("/quit")
    tmux.keys("Enter")
    history = (home / "state" / "repl_history").read_text()
    assert "named proof.txt" in history and "/help" in history


def test_the_repl_starts_in_auto_like_gen(tmp_path: Path, home: Path) -> None:
    tmux = Tmux(width=120, height=20)
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "CODEASSIST_HOME": os.environ["CODEASSIST_HOME"],
    }
    if "PYTHONPATH" in os.environ:  # a checkout under test, ahead of the installed package
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    try:
        tmux.start([codeassist_exe(), "repl"], env, cwd=str(tmp_path))
        tmux.wait_for(lambda s: s.endswith("auto>"), 30, "the REPL prompt in auto")
        tmux.type("/quit")
        tmux.keys("Enter")
    finally:
        tmux.close()

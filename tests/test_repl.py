"""The REPL session's logic (FakeBackend) and the confirm-and-run helper (real shells)."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from codeassist.backends.base import Backend
from codeassist.backends.fake import FakeBackend
from codeassist.commands._ui import ReplView, confirm_and_run
from codeassist.errors import ModelError
from codeassist.repl.clipboard import copy_to_clipboard
from codeassist.repl.session import Session
from codeassist.repl.slash import COMMANDS
from codeassist.safety.execute import DECLINED


class Harness:
    """A session writing to a string, answering confirmations from a list."""

    def __init__(self, *replies: str) -> None:
        self.out = io.StringIO()
        self.answers: list[str] = []
        self.loads: list[str | None] = []
        self.backend = FakeBackend.scripted(*replies)
        self.session = Session(
            view=ReplView(Console(file=self.out, width=100, color_system=None)),
            ask=self.answer,
            open_backend=self.open,
        )

    def open(self, model: str | None) -> Backend:
        if model == "missing":
            raise ModelError("unknown model 'missing'", hint="codeassist model list")
        self.loads.append(model)
        return self.backend

    def answer(self, question: str) -> str:
        self.out.write(question)
        if not self.answers:
            raise EOFError
        return self.answers.pop(0)

    def type(self, *lines: str) -> str:
        start = self.out.tell()
        for line in lines:
            assert self.session.handle(line)
        return self.out.getvalue()[start:]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.setenv("SHELL", "/bin/bash")
    yield tmp_path


def test_a_request_shows_the_code_and_the_actions() -> None:
    h = Harness("```bash\nls -la\n```")
    out = h.type("list all files")
    assert "ls -la" in out
    assert "/run" in out and "/explain" in out and "/copy" in out


def test_a_failed_check_is_said_under_the_answer_as_gen_says_it(in_tmp: Path) -> None:
    # the REPL showed `rm -rf ~` with only the actions under it (second new-user audit)
    h = Harness("```bash\nrm -rf ~\n```")
    out = h.type("/lang shell", "free some space")
    code_at, warned_at = out.index("rm -rf ~"), out.index("check failed shell.risk: high")
    assert code_at < warned_at < out.index("/run")


def test_the_model_is_loaded_once_per_session() -> None:
    h = Harness("```bash\nls\n```")
    h.type("list files", "list files again", "and again")
    assert h.loads == [None]
    assert len(h.backend.history) == 3


def test_model_switches_reload_and_a_bad_name_keeps_the_old_model() -> None:
    h = Harness("```bash\nls\n```")
    out = h.type("/model missing", "list files", "/model smollm2-135m", "list files")
    assert "error: unknown model 'missing'" in out
    assert h.loads == [None, "smollm2-135m"]


def test_the_session_starts_in_auto_and_each_request_picks_its_language() -> None:
    h = Harness("```bash\nls -la\n```", "```python\ndef add(a, b):\n    return a + b\n```")
    assert h.session.language == "auto"
    h.type("list all files")
    assert h.session.last is not None and h.session.last.result.language == "shell"
    h.type("a python function that adds two numbers")
    assert h.session.last.result.language == "python"
    assert h.session.language == "auto"


def test_the_repl_command_defaults_to_auto() -> None:
    import click
    import typer.main

    from codeassist.cli import app

    command = typer.main.get_command(app)
    assert isinstance(command, click.Group)
    lang = next(p for p in command.commands["repl"].params if p.name == "lang")
    assert lang.default == "auto"


def test_lang_switches_the_language_of_the_next_request() -> None:
    h = Harness("```python\nprint(1)\n```")
    out = h.type("/lang python", "print one", "/lang cobol")
    assert "language: python" in out
    messages, _ = h.backend.history[-1]
    assert "Python" in messages[0].content
    assert "use /lang python|sql|shell|auto" in out


def test_revise_sends_the_last_code_and_the_change() -> None:
    h = Harness("```bash\nls\n```", "```bash\nls -R\n```")
    out = h.type("list files", "/revise make it recursive")
    messages, _ = h.backend.history[-1]
    assert "ls" in messages[-1].content and "make it recursive" in messages[-1].content
    assert "ls -R" in out
    assert h.session.last is not None and h.session.last.result.code == "ls -R"


def test_explain_prints_the_models_explanation() -> None:
    # Shell answers are explained from the man pages (tests/test_explain.py); code by the model.
    h = Harness("```python\nprint(2)\n```", "```python\nprint(2)\n```\nPrints two.")
    out = h.type("/lang python", "print two", "/explain")
    assert "Prints two." in out
    assert h.session.last is not None and h.session.last.result.code == "print(2)"


def test_actions_need_an_answer_first_and_unknown_commands_are_named() -> None:
    h = Harness()
    assert "no answer yet" in h.type("/run")
    assert "unknown command /frobnicate" in h.type("/frobnicate")


def test_help_lists_every_command_and_quit_ends_the_session() -> None:
    h = Harness()
    out = h.type("/help")
    assert all(command in out for command in COMMANDS)
    assert h.session.handle("/quit") is False


def test_run_asks_and_runs_only_after_yes(in_tmp: Path) -> None:
    h = Harness("```bash\ntouch made.txt\n```")
    h.type("create an empty file made.txt")
    h.answers = ["n"]
    out = h.type("/run")
    assert "risk: low" in out and "Run it? [y/N]" in out and "not run" in out
    assert not (in_tmp / "made.txt").exists()
    h.answers = ["y"]
    assert "exit status 0" in h.type("/run")
    assert (in_tmp / "made.txt").exists()


def test_high_risk_needs_the_word_yes_typed_out(in_tmp: Path) -> None:
    # harmless here (no repository, so the push fails), but high risk by its syntax
    code = "git push --force origin main; touch ran.txt"
    console = Console(file=io.StringIO(), width=100, color_system=None)
    assert confirm_and_run(code, "shell", console, lambda q: "y") == DECLINED
    assert not (in_tmp / "ran.txt").exists()
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "risk: high" in shown and "force-pushes" in shown
    confirm_and_run(code, "shell", console, lambda q: "yes")
    assert (in_tmp / "ran.txt").exists()


def test_end_of_input_at_the_question_means_no(in_tmp: Path) -> None:
    def eof(question: str) -> str:
        raise EOFError

    console = Console(file=io.StringIO(), color_system=None)
    assert confirm_and_run("touch x", "shell", console, eof) == DECLINED
    assert not (in_tmp / "x").exists()


def test_the_exit_code_of_the_command_comes_back(in_tmp: Path) -> None:
    console = Console(file=io.StringIO(), color_system=None)
    assert confirm_and_run("exit 7", "shell", console, lambda q: "y") == 7


def test_sql_is_not_run_here() -> None:
    h = Harness("```sql\nSELECT 1\n```")
    h.type("/lang sql", "select one")
    out = h.type("/run")
    assert "does not run sql code" in out


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_copy_puts_what_was_shown_on_the_clipboard_not_raw_escapes() -> None:
    terminal = Tty()
    answer = "echo ok\x1b[201~\nrm -rf ~\x07\n"  # ends a bracketed paste: the rest is typed
    message = copy_to_clipboard(answer, environ={}, terminal=terminal)
    assert message.startswith("copied through the terminal")
    sent = terminal.getvalue()
    assert sent.startswith("\x1b]52;c;") and sent.endswith("\x07")
    copied = base64.b64decode(sent[len("\x1b]52;c;") : -1]).decode()
    assert copied == "echo ok\\x1b[201~\nrm -rf ~\\x07\n"


def test_copy_says_when_there_is_no_way_to_copy() -> None:
    message = copy_to_clipboard("ls", environ={})
    assert message.startswith("cannot copy here")


def test_a_command_hidden_past_the_screen_edge_is_shown_before_run(in_tmp: Path) -> None:
    """A reply that pads a second command 200 columns to the right: all of it is on screen
    (the view is 100 wide) before /run asks, and the file it writes appears only after yes."""
    hidden = "echo pwned > proof.txt"
    h = Harness(f"```bash\nls{' ' * 200}; {hidden}\n```")
    out = h.type("list files")
    assert hidden in out
    h.answers = ["n"]
    h.type("/run")
    assert not (in_tmp / "proof.txt").exists()


class Interrupted(FakeBackend):
    """A backend the user stops with Ctrl-C while it writes."""

    def stream(self, messages: object, options: object) -> Iterator[str]:
        raise KeyboardInterrupt
        yield ""


def test_ctrl_c_while_writing_stops_the_request_not_the_session() -> None:
    h = Harness("```bash\nls -la\n```")
    h.type("list all files")
    h.session._backend = Interrupted.scripted("never")
    out = h.type("list them again")  # handle() returns True: the session goes on
    assert "interrupted" in out
    assert h.session.last is not None and h.session.last.result.code == "ls -la"


def test_a_history_file_that_cannot_be_used_keeps_history_in_memory(home: Path) -> None:
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    from codeassist import paths
    from codeassist.repl.loop import _history

    out = io.StringIO()
    view = ReplView(Console(file=out, width=200, color_system=None))
    assert isinstance(_history(view), FileHistory) and out.getvalue() == ""
    path = paths.state_dir() / "repl_history"
    path.unlink()
    path.mkdir()  # what a stray `mkdir` or a broken sync leaves
    assert isinstance(_history(view), InMemoryHistory)
    assert f"history kept for this session only: cannot use {path}" in out.getvalue()

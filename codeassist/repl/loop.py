"""The REPL's read loop on prompt-toolkit: history, completion, Enter sends, Alt-Enter a line.

prompt_toolkit is imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codeassist.errors import UsageError
from codeassist.pipeline.language import LANGUAGES
from codeassist.repl.session import InputFn, Session, View
from codeassist.repl.slash import COMMANDS

BANNER = "codeassist repl: type a request, /help for commands"


def run(view: View, *, language: str, model: str | None, endpoint: str | None, cwd: Path) -> None:
    """Check the language, then read and handle lines until /quit or Ctrl-D."""
    from prompt_toolkit import PromptSession

    if language not in (*LANGUAGES, "auto"):
        raise UsageError(
            f"unknown language {language!r}", hint="use --lang python, sql, shell or auto"
        )
    session = open_session(view, lambda question: confirm.prompt(question), language=language,
                           model=model, endpoint=endpoint, cwd=cwd)  # fmt: skip
    prompt: PromptSession[str] = PromptSession(
        history=_history(view),
        completer=_completer(),
        complete_while_typing=True,
        multiline=True,
        key_bindings=_keys(),
        prompt_continuation="... ",
    )
    confirm: PromptSession[str] = PromptSession()
    view.line(BANNER, "dim")
    while True:
        try:
            line = prompt.prompt(f"{session.language}> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        if not session.handle(line):
            break


def _history(view: View) -> Any:
    """The history file, or (when it cannot be read and written: a folder in its place, a file
    left by `sudo`) a history kept in memory for this session, with one dim line saying so."""
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    from codeassist import paths

    path = paths.state_dir() / "repl_history"
    try:
        paths.make(path.parent)
        with path.open("a", encoding="utf-8"), path.open("rb"):
            pass
    except OSError as exc:
        view.line(f"history kept for this session only: cannot use {path}: {exc.strerror}", "dim")
        return InMemoryHistory()
    return FileHistory(str(path))


def open_session(
    view: View, ask: InputFn, *, language: str, model: str | None, endpoint: str | None, cwd: Path
) -> Session:
    """A session with the config's options and context, opening backends the way gen does."""
    from codeassist import config as configuration
    from codeassist.pipeline import Request, prepare

    cfg = configuration.load()

    def ground(request: Request, language: str) -> Request:
        return prepare.with_context(cfg, request, session.backend, language)

    session = Session(
        view=view,
        ask=ask,
        open_backend=lambda name: prepare.open_backend(cfg, name, endpoint),
        language=language,
        model=model,
        options=prepare.options(cfg),
        cwd=cwd,
        ground=ground,
        use_context=prepare.use_context(cfg, cwd),
    )
    return session


def _completer() -> Any:
    """Slash commands at the start of the line, then their arguments."""
    from prompt_toolkit.completion import Completer, Completion

    from codeassist import models

    try:
        names = sorted(models.manifests())
    except Exception:  # completion is a nicety: never fail the REPL over it
        names = []
    arguments = {"/lang": ["python", "sql", "shell", "auto"], "/model": names,
                 "/context": ["on", "off"]}  # fmt: skip

    class Slash(Completer):
        def get_completions(self, document: Any, complete_event: Any) -> Any:
            text = document.text_before_cursor.lstrip()
            if not text.startswith("/") or "\n" in text:
                return
            command, space, arg = text.partition(" ")
            choices = arguments.get(command, []) if space else list(COMMANDS)
            word = arg if space else command
            for choice in choices:
                if choice.startswith(word):
                    yield Completion(choice, start_position=-len(word))

    return Slash()


def _keys() -> Any:
    """Enter sends the request; Alt-Enter inserts a new line."""
    from prompt_toolkit.key_binding import KeyBindings

    keys = KeyBindings()

    @keys.add("enter")
    def _send(event: Any) -> None:
        event.current_buffer.validate_and_handle()

    @keys.add("escape", "enter")
    def _newline(event: Any) -> None:
        event.current_buffer.insert_text("\n")

    return keys

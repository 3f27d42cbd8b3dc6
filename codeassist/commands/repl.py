"""`codeassist repl`: an interactive session (prompt-toolkit) around one loaded model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def repl(
    lang: str = typer.Option("auto", "--lang", "-l", help="Language: python|sql|shell|auto."),
    model: str = typer.Option(None, "--model", "-m", help="Model name or path to a .gguf."),
    endpoint: str = typer.Option(None, "--endpoint", help="OpenAI-compatible server URL."),
) -> None:
    """Ask for code again and again with one loaded model; /help lists the commands.

    Enter sends, Alt-Enter (or Esc then Enter) starts a new line. After each answer:
    /run (shows the risk and asks), /explain, /revise TEXT, /copy. History is kept.
    """
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from rich.console import Console

    from codeassist import config as configuration
    from codeassist import paths
    from codeassist.backends.base import Options
    from codeassist.backends.select import open_backend
    from codeassist.errors import UsageError
    from codeassist.pipeline.grounding import wants_context
    from codeassist.pipeline.language import LANGUAGES
    from codeassist.repl.session import Session

    if lang not in (*LANGUAGES, "auto"):
        raise UsageError(f"unknown language {lang!r}", hint="use --lang python, sql, shell or auto")
    cfg = configuration.load()
    paths.state_dir().mkdir(parents=True, exist_ok=True)
    prompt: PromptSession[str] = PromptSession(
        history=FileHistory(str(paths.state_dir() / "repl_history")),
        completer=_completer(),
        complete_while_typing=True,
        multiline=True,
        key_bindings=_keys(),
        prompt_continuation="... ",
    )
    confirm: PromptSession[str] = PromptSession()
    cwd = Path.cwd()

    def context_of(text: str) -> str:
        from codeassist.context import build_context, find_root

        count = session.backend.count_tokens
        return build_context(find_root(cwd), text, budget=cfg.context_budget,
                             count_tokens=count, cwd=cwd).text  # fmt: skip

    session = Session(
        console=Console(highlight=False),
        ask=lambda question: confirm.prompt(question),
        open_backend=lambda name: open_backend(cfg, model=name, endpoint=endpoint),
        language=lang,
        model=model,
        options=Options(max_tokens=cfg.max_tokens, temperature=cfg.temperature),
        cwd=cwd,
        context_fn=context_of,
        use_context=cfg.context and wants_context(cwd, None),
    )
    session.console.print("codeassist repl: type a request, /help for commands", style="dim")
    while True:
        try:
            line = prompt.prompt(f"{session.language}> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        if not session.handle(line):
            break


def _completer() -> Any:
    """Slash commands at the start of the line, then their arguments."""
    from prompt_toolkit.completion import Completer, Completion

    from codeassist import models
    from codeassist.repl.session import COMMANDS

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

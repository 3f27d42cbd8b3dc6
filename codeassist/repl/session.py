"""The REPL session: requests, slash commands, and actions on the last answer.

No terminal code here: the session reads answers through a function and writes through a
rich Console it is given, so tests drive it with scripted input and the FakeBackend.
codeassist/commands/repl.py wires it to prompt-toolkit (history, completion, multi-line).
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from codeassist import pipeline
from codeassist.backends.base import Backend, Options
from codeassist.errors import CodeassistError
from codeassist.pipeline.language import LANGUAGES
from codeassist.syntax import LEXERS
from codeassist.terminal import sanitize

if TYPE_CHECKING:
    from rich.console import Console

InputFn = Callable[[str], str]
OpenBackend = Callable[[str | None], Backend]  # model name (None: the configured one)
ContextFn = Callable[[str], str]  # request -> rendered repository context

COMMANDS = {
    "/lang": "LANG   python, sql, shell or auto: the language of the next answers",
    "/model": "NAME  use another model (loaded once, kept for the session)",
    "/explain": "[CMD]  explain a shell command from its man pages (else the last answer)",
    "/run": "       run the last answer (shows its risk and asks first)",
    "/revise": "TEXT  change the last answer as TEXT says",
    "/copy": "       copy the last answer to the clipboard",
    "/context": "[on|off]  ground requests in the repository around you",
    "/help": "       this list",
    "/quit": "       leave (Ctrl-D works too)",
}
HINT = "/run  /explain  /revise …  /copy"


@dataclass
class Answer:
    request: str
    result: pipeline.Result


@dataclass
class Session:
    console: Console
    ask: InputFn  # for confirmations
    open_backend: OpenBackend
    language: str = "shell"
    model: str | None = None
    options: Options = field(default_factory=Options)
    cwd: Path = field(default_factory=Path.cwd)
    context_fn: ContextFn | None = None
    use_context: bool = False
    last: Answer | None = None
    _backend: Backend | None = None

    @property
    def backend(self) -> Backend:
        """Loaded on first use, then kept: one model load per session (and per /model)."""
        if self._backend is None:
            with self._status("loading the model…"):
                self._backend = self.open_backend(self.model)
        return self._backend

    def handle(self, line: str) -> bool:
        """One line of input; False when the session should end."""
        text = line.strip()
        if not text:
            return True
        try:
            if text.startswith("/"):
                return self._command(text)
            self.generate(text)
        except CodeassistError as error:
            self._said("error:", error.message, "red")
            if error.hint:
                self._said("hint:", error.hint, "dim")
        return True

    def generate(self, text: str, explain: bool = False, show: bool = True) -> Answer:
        context = self.context_fn(text) if self.use_context and self.context_fn else ""
        request = pipeline.Request(
            # Explaining is about code already checked: no checks, no repair rounds.
            text=text, language=self.language, explain=explain, context=context, verify=not explain,
            cwd=self.cwd, options=self.options,
        )  # fmt: skip
        pipeline.resolve_language(request)
        with self._status("writing…"):
            result = pipeline.run(request, self.backend)
        answer = Answer(text, result)
        if show:
            self._show(answer)
            self.last = answer
        return answer

    def _show(self, answer: Answer) -> None:
        from rich.syntax import Syntax

        code = sanitize(answer.result.code) or "(no code in the answer)"
        lexer = LEXERS.get(answer.result.language, "text")
        self.console.print(Syntax(code, lexer, theme="ansi_dark", background_color="default"))
        self.console.print(HINT, style="dim", highlight=False)

    def _command(self, text: str) -> bool:
        name, _, arg = text.partition(" ")
        arg = arg.strip()
        if name in ("/quit", "/exit", "/q"):
            return False
        if name == "/help":
            for command, what in COMMANDS.items():
                self.console.print(f"{command:<9} {what}", highlight=False, markup=False)
        elif name == "/lang":
            self._set_language(arg)
        elif name == "/model":
            self._set_model(arg)
        elif name == "/context":
            self._set_context(arg)
        elif name == "/explain" and (shell := arg or self._last_shell()):
            from codeassist.commands.explain import render
            from codeassist.shell.explain import explain

            render(explain(shell), self.console)  # from the docs installed here, not the model
        elif name in ("/run", "/explain", "/copy", "/revise"):
            self._act(name, arg)
        else:
            self._said("unknown command", f"{name}: /help lists them")
        return True

    def _last_shell(self) -> str:
        last = self.last.result if self.last else None
        return last.code if last and last.language == "shell" else ""

    def _set_language(self, lang: str) -> None:
        if lang not in (*LANGUAGES, "auto"):
            self.console.print(f"language is {self.language}: use /lang python|sql|shell|auto")
            return
        self.language = lang
        self.console.print(f"language: {lang}")

    def _set_model(self, model: str) -> None:
        if not model:
            self._said("model:", str(self._backend.name if self._backend else self.model))
            return
        backend = self.open_backend(model)  # fails (and keeps the old one) on a bad name
        self.model, self._backend = model, backend
        self._said("model:", backend.name)

    def _set_context(self, arg: str) -> None:
        if arg in ("on", "off"):
            self.use_context = arg == "on"
        available = "" if self.context_fn else " (not available in this build)"
        self.console.print(f"repository context: {'on' if self.use_context else 'off'}{available}")
        if self.use_context and self.context_fn and self.last:
            self._said("", self.context_fn(self.last.request))

    def _act(self, name: str, arg: str) -> None:
        if self.last is None:
            self.console.print("no answer yet: type a request first")
            return
        code, lang = self.last.result.code, self.last.result.language
        if name == "/run":
            from codeassist.safety.execute import confirm_and_run

            status = confirm_and_run(code, lang, self.console, self.ask)
            self.console.print(f"exit status {status}", style="dim")
        elif name == "/copy":
            self.console.print(copy_to_clipboard(code))
        elif name == "/explain":
            prompt = f"Explain what this {lang} code does:\n```\n{code}\n```"
            saved, self.language = self.language, lang
            try:
                answer = self.generate(prompt, explain=True, show=False)
            finally:
                self.language = saved
            self._said("", answer.result.explanation or answer.result.reply)
        elif not arg:
            self.console.print("say how to change it: /revise make it recursive")
        else:
            text = f"{self.last.request}\nCurrent {lang} code:\n```\n{code}\n```\nChange: {arg}"
            saved, self.language = self.language, lang
            try:
                answer = self.generate(text, show=False)
            finally:
                self.language = saved
            self.last = Answer(self.last.request + f" ({arg})", answer.result)
            self._show(self.last)

    def _said(self, label: str, data: str, style: str = "") -> None:
        """A label of ours, then data from a model, a file or the user: sanitized, never markup."""
        from rich.text import Text

        text = Text.assemble((label, style), " " if label else "", sanitize(data))
        self.console.print(text, highlight=False)

    def _status(self, message: str) -> AbstractContextManager[object]:

        if self.console.is_terminal:
            return self.console.status(message)
        return nullcontext()


def copy_to_clipboard(text: str, environ: dict[str, str] | None = None) -> str:
    """Copy with wl-copy or xclip when they can reach a display, else OSC 52; says how."""
    env = os.environ if environ is None else environ
    tools = [("WAYLAND_DISPLAY", ["wl-copy"]), ("DISPLAY", ["xclip", "-selection", "clipboard"])]
    for var, argv in tools:
        if env.get(var) and shutil.which(argv[0]):
            proc = subprocess.run(argv, input=text, text=True, capture_output=True, timeout=5)
            if proc.returncode == 0:
                return f"copied with {argv[0]}"
    if sys.stdout.isatty():
        payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
        sys.stdout.write(f"\x1b]52;c;{payload}\x07")
        sys.stdout.flush()
        return "copied through the terminal (OSC 52; your terminal must allow it)"
    return "cannot copy here: no wl-copy or xclip with a display, and no terminal"

"""The REPL session's state: language, model, options, context, and the last answer.

No terminal code here: the session asks through a function and shows everything through a
View it is given (commands/_ui.ReplView renders on a rich Console), so tests drive it with
scripted input and the FakeBackend. Slash commands are in repl/slash.py; repl/loop.py wires
the session to prompt-toolkit (history, completion, multi-line).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from codeassist import pipeline
from codeassist.backends.base import Backend, Options
from codeassist.errors import CodeassistError, not_utf8, too_deep
from codeassist.pipeline import prepare
from codeassist.repl import slash

if TYPE_CHECKING:
    from codeassist.safety.risk import Risk
    from codeassist.shell.explain import Explanation

InputFn = Callable[[str], str]
OpenBackend = Callable[[str | None], Backend]  # model name (None: the configured one)
# (request, its resolved language) -> the request with the repository's stable and own parts
Ground = Callable[[pipeline.Request, str], pipeline.Request]


class View(Protocol):
    """Where the session shows things: our own lines, data from elsewhere, answers, risks."""

    def answer(self, result: pipeline.Result) -> None: ...  # the code, highlighted
    def line(self, text: str, style: str = "") -> None: ...  # our own words, as written
    def said(self, label: str, data: str, style: str = "") -> None: ...  # data: sanitized
    def error(self, error: CodeassistError) -> None: ...
    def risk(self, risk: Risk) -> None: ...
    def explanation(self, found: Explanation) -> None: ...  # a shell command, part by part
    def status(self, message: str) -> AbstractContextManager[object]: ...


@dataclass
class Answer:
    request: str
    result: pipeline.Result


@dataclass
class Session:
    view: View
    ask: InputFn  # for confirmations
    open_backend: OpenBackend
    language: str = "auto"  # like `gen`: each request picks its language from its words
    model: str | None = None
    options: Options = field(default_factory=Options)
    cwd: Path = field(default_factory=Path.cwd)
    ground: Ground | None = None
    use_context: bool = False
    last: Answer | None = None
    _backend: Backend | None = None

    @property
    def backend(self) -> Backend:
        """Loaded on first use, then kept: one model load per session (and per /model)."""
        if self._backend is None:
            with self.view.status("loading the model…"):
                self._backend = self.open_backend(self.model)
        return self._backend

    @property
    def model_name(self) -> str:
        """The loaded model's name, else the one asked for (None: the configured one)."""
        return str(self._backend.name if self._backend else self.model)

    def switch_model(self, model: str) -> Backend:
        """Load `model` and keep it; on failure the old one stays."""
        backend = self.open_backend(model)
        self.model, self._backend = model, backend
        return backend

    def handle(self, line: str) -> bool:
        """One line of input; False when the session should end."""
        text = line.strip()
        if not text:
            return True
        try:
            if text.startswith("/"):
                return slash.run(self, text)
            self.generate(text)
        except CodeassistError as error:
            self.view.error(error)
        except RecursionError:
            self.view.error(too_deep())
        except UnicodeError as exc:  # bytes that are not UTF-8, pasted: this line, not the session
            self.view.error(not_utf8(exc))
        except KeyboardInterrupt:  # Ctrl-C stops this request or run, not the session
            self.view.line("interrupted", "dim")
        return True

    def generate(self, text: str, explain: bool = False, show: bool = True) -> Answer:
        """Ask the model; with `show`, display the answer and keep it as the last one."""
        # Explaining is about code already checked: no checks, no repair rounds.
        request = self.request(text, explain=explain, verify=not explain)
        with self.view.status("writing…"):
            result = pipeline.run(request, self.backend)
        answer = Answer(text, result)
        if show:
            self.show(answer)
            self.last = answer
        return answer

    def request(self, text: str, explain: bool = False, verify: bool = True) -> pipeline.Request:
        """The request as `gen` would send it: the language resolved, then (when on) the
        repository's stable part first and the request's own part after it."""
        request, target = prepare.request(text, language=self.language, cwd=self.cwd,
                                          options=self.options, explain=explain,
                                          verify=verify)  # fmt: skip
        if self.use_context and self.ground:
            request = self.ground(request, target)
        return request

    def show(self, answer: Answer) -> None:
        """The answer's code, then what can be done with it."""
        self.view.answer(answer.result)
        self.view.line(slash.HINT, "dim")

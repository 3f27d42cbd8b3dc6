"""A scripted backend for logic tests: a queue of replies and a history of requests."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from codeassist.backends.base import Message, Options, estimate_tokens
from codeassist.errors import UsageError


@dataclass
class FakeBackend:
    """Replies in order; the last reply repeats once the queue is down to one.

    `complete_many` takes its k candidates from the same queue, so scripted candidates are
    just replies: `FakeBackend.scripted("a", "b", "c").complete_many(msgs, opts, 3)`.
    """

    replies: list[str] = field(default_factory=lambda: ["print('hello')"])
    name: str = "fake"
    history: list[tuple[list[Message], Options]] = field(default_factory=list)
    many: list[int] = field(default_factory=list)  # the k of each complete_many call

    @classmethod
    def scripted(cls, *replies: str) -> FakeBackend:
        return cls(replies=list(replies))

    def stream(self, messages: Sequence[Message], options: Options) -> Iterator[str]:
        self.history.append((list(messages), options))
        yield from _words(self._next())

    def complete_many(self, messages: Sequence[Message], options: Options, k: int) -> list[str]:
        """The next k replies, in order, as k candidates; each is in `history` at its seed."""
        if k < 1:
            raise UsageError(f"{k} candidates asked", hint="ask for at least one")
        self.many.append(k)
        answers = []
        for i in range(k):
            self.history.append(
                (list(messages), dataclasses.replace(options, seed=options.seed + i))
            )
            answers.append(self._next())
        return answers

    def _next(self) -> str:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)


def _words(text: str) -> Iterable[str]:
    """Split text into word-sized pieces, keeping every character (like tokens would)."""
    piece = ""
    for ch in text:
        piece += ch
        if ch in " \n":
            yield piece
            piece = ""
    if piece:
        yield piece

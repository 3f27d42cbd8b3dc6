"""A scripted backend for logic tests: a queue of replies and a history of requests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from codeassist.backends.base import Message, Options, estimate_tokens


@dataclass
class FakeBackend:
    """Replies in order; the last reply repeats once the queue is down to one."""

    replies: list[str] = field(default_factory=lambda: ["print('hello')"])
    name: str = "fake"
    history: list[tuple[list[Message], Options]] = field(default_factory=list)

    @classmethod
    def scripted(cls, *replies: str) -> FakeBackend:
        return cls(replies=list(replies))

    def stream(self, messages: Sequence[Message], options: Options) -> Iterator[str]:
        self.history.append((list(messages), options))
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        yield from _words(reply)

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

"""What every backend is: a generator of text pieces, with a Response buffering above it."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class Options:
    max_tokens: int = 512
    temperature: float = 0.0
    seed: int = 0
    stop: tuple[str, ...] = ()
    grammar: str | None = None  # GBNF, where the backend supports it


@runtime_checkable
class Backend(Protocol):
    """Streams a chat completion as text pieces (one token's text each, where it can).

    A backend whose `continues` is True takes a final assistant message as the answer begun
    and streams only what follows it (pipeline/opening.py); to any other, it is a finished turn.
    """

    name: str

    def stream(self, messages: Sequence[Message], options: Options) -> Iterator[str]: ...

    def count_tokens(self, text: str) -> int: ...


@runtime_checkable
class CompletesMany(Protocol):
    """A backend that draws several whole answers to one prompt at once, cheaper than k streams.

    Candidate i samples with seed `options.seed + i` at `options.temperature` (the caller sets
    a temperature above 0 for k > 1); a k the backend cannot draw is a UsageError with a hint.
    """

    def complete_many(self, messages: Sequence[Message], options: Options, k: int) -> list[str]: ...


@dataclass
class Response:
    """Buffers a backend's stream: the text, the token count, time to first token."""

    pieces: Iterator[str]
    text: str = ""
    tokens: int = 0
    started: float = field(default_factory=time.perf_counter)
    first_token_s: float | None = None
    total_s: float | None = None

    def __iter__(self) -> Iterator[str]:
        for piece in self.pieces:
            if self.first_token_s is None:
                self.first_token_s = time.perf_counter() - self.started
            self.tokens += 1
            self.text += piece
            yield piece
        self.finish()

    def finish(self) -> None:
        """Close the stream (also when the reader stopped early) and take the total time."""
        if self.total_s is None:
            close = getattr(self.pieces, "close", None)
            if close:
                close()
            self.total_s = time.perf_counter() - self.started

    def drain(self) -> str:
        for _ in self:
            pass
        return self.text


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate (about 4 bytes a token), for backends that cannot count."""
    return max(1, len(text.encode("utf-8")) // 4) if text else 0

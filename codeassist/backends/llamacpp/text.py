"""Tokens to text as they come, holding back what could begin a stop string."""

from __future__ import annotations

import codecs
import ctypes
from typing import Any

import llama_cpp


class TextStream:
    """Turns tokens into text pieces, holding back what could begin a stop string."""

    def __init__(self, vocab: Any, stop: tuple[str, ...]) -> None:
        self.vocab = vocab
        self.stop = stop
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.pending = ""
        self.buf = ctypes.create_string_buffer(256)

    def feed(self, token: int) -> tuple[str, bool]:
        """The text to emit now, and whether a stop string ended the output."""
        n = llama_cpp.llama_token_to_piece(self.vocab, token, self.buf, 256, 0, False)
        text = self.decoder.decode(self.buf.raw[: max(n, 0)])
        if not self.stop:
            return text, False
        self.pending += text
        hit = _find_stop(self.pending, self.stop)
        if hit is not None:
            return self.pending[:hit], True
        keep = _partial_stop(self.pending, self.stop)
        cut = len(self.pending) - keep
        text, self.pending = self.pending[:cut], self.pending[cut:]
        return text, False

    def flush(self) -> str:
        rest, self.pending = self.pending, ""
        return rest


def _find_stop(text: str, stops: tuple[str, ...]) -> int | None:
    hits = [i for s in stops if (i := text.find(s)) != -1]
    return min(hits) if hits else None


def _partial_stop(text: str, stops: tuple[str, ...]) -> int:
    """How many trailing characters of `text` could begin a stop string."""
    best = 0
    for s in stops:
        for k in range(min(len(s) - 1, len(text)), 0, -1):
            if text.endswith(s[:k]):
                best = max(best, k)
                break
    return best

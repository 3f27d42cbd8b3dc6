"""Pieces of the decode loop that need no model: prompt-lookup drafts and stop strings."""

from __future__ import annotations

import codecs
import ctypes
from collections.abc import Sequence
from typing import Any

import llama_cpp

NGRAM_MAX = 3  # longest n-gram looked up; shorter ones are tried when it is not found
NGRAM_MIN = 2


def shared_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens two sequences have in common."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class PromptLookup:
    """Drafts for prompt-lookup decoding: what followed the last n-gram the previous time."""

    def __init__(self, tokens: Sequence[int]) -> None:
        self.seq: list[int] = []
        self.index: dict[int, dict[tuple[int, ...], int]] = {
            n: {} for n in range(NGRAM_MIN, NGRAM_MAX + 1)
        }
        for t in tokens:
            self.append(t)

    def append(self, token: int) -> None:
        """Add a token; every n-gram just before it now points at it as its continuation."""
        j = len(self.seq)
        for n, index in self.index.items():
            if j >= n:
                index[tuple(self.seq[j - n : j])] = j
        self.seq.append(token)

    def propose(self, token: int, limit: int) -> list[int]:
        """Up to `limit` tokens likely to follow the sequence extended with `token`."""
        if limit <= 0:
            return []
        seq = self.seq
        for n in range(NGRAM_MAX, NGRAM_MIN - 1, -1):
            if len(seq) + 1 < n:
                continue
            start = self.index[n].get((*seq[len(seq) - n + 1 :], token))
            if start is not None:
                draft = seq[start : start + limit]
                if len(draft) < limit and start + len(draft) == len(seq):
                    draft.append(token)  # the continuation runs into the pending token
                return draft
        return []


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

"""Drafts for speculative decoding from a smaller model with the same tokenizer.

Qwen2.5-Coder-0.5B drafts for the 1.5B and 7B models: it decodes greedily a few tokens ahead
of the target, which verifies them in one batch exactly as it verifies prompt-lookup drafts,
so the output stays the target's own greedy output. Prompt lookup is asked first (free); the
draft model only where the lookup finds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import llama_cpp

if TYPE_CHECKING:
    from codeassist.backends.llamacpp.backend import LlamaCppBackend

# `auto` uses a draft model only for a target this many times its size: on a GPU one step of
# a small model costs nearly what a step of the 1.5B costs (per-call overheads dominate), so
# drafting pays off for the 7B class, not for a target three times the draft.
AUTO_MIN_RATIO = 4
# Vocabularies may differ in size by padding (Qwen2.5's 7B has 128 more entries than its 0.5B);
# llama.cpp's own speculative example allows the same difference.
VOCAB_SLACK = 128


class Drafter(Protocol):
    def propose(self, token: int, limit: int) -> list[int]: ...
    def append(self, token: int) -> None: ...


class DraftModel:
    """A small model's greedy continuation of the sequence, kept in step with the target."""

    def __init__(self, model: LlamaCppBackend, prompt: Sequence[int], vocab: int) -> None:
        self.model = model
        self.seq = list(prompt)
        self.vocab = vocab  # the target's vocabulary size: a draft never goes past it

    def propose(self, token: int, limit: int) -> list[int]:
        """Up to `limit` tokens the small model expects after the sequence and `token`."""
        if limit <= 0 or len(self.seq) + limit + 1 >= self.model.n_ctx:
            return []
        model = self.model
        model._evaluate([*self.seq, token])  # catches up on tokens accepted since last time
        draft: list[int] = []
        while True:
            guess = model.greedy_next()
            if guess >= self.vocab or llama_cpp.llama_vocab_is_eog(model._vocab, guess):
                break
            draft.append(guess)
            if len(draft) == limit:
                break
            model._decode_run([guess])
            model._past.append(guess)
        return draft

    def append(self, token: int) -> None:
        self.seq.append(token)


class FirstDraft:
    """Asks each drafter in turn; the first non-empty draft wins. All see every token."""

    def __init__(self, *drafters: Drafter) -> None:
        self.drafters = drafters

    def propose(self, token: int, limit: int) -> list[int]:
        for drafter in self.drafters:
            if draft := drafter.propose(token, limit):
                return draft
        return []

    def append(self, token: int) -> None:
        for drafter in self.drafters:
            drafter.append(token)


def same_tokenizer(a: LlamaCppBackend, b: LlamaCppBackend) -> bool:
    """Whether two models turn text into the same tokens (and tokens into the same text)."""
    na, nb = llama_cpp.llama_vocab_n_tokens(a._vocab), llama_cpp.llama_vocab_n_tokens(b._vocab)
    if abs(na - nb) > VOCAB_SLACK:
        return False
    ends = (llama_cpp.llama_vocab_bos, llama_cpp.llama_vocab_eos)
    if any(end(a._vocab) != end(b._vocab) for end in ends):
        return False
    n = min(na, nb)
    sample = 'def f(x: int) -> str:\n    return "naïve ünïcode 数据" + str(x)  # ok\n'
    if a.tokenize(sample) != b.tokenize(sample):
        return False
    piece = a.llm._model.token_get_text
    other = b.llm._model.token_get_text
    return all(piece(t) == other(t) for t in range(0, n, max(1, n // 512)))

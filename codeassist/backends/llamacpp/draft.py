"""Drafts for speculative decoding from a smaller model with the same tokenizer.

Qwen2.5-Coder-0.5B drafts for the 1.5B and 7B models: it decodes greedily a few tokens ahead
of the target, which verifies them in one batch exactly as it verifies prompt-lookup drafts,
so the output stays the target's own greedy output. Prompt lookup is asked first (free); the
draft model only where the lookup finds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence as Tokens

import llama_cpp

from codeassist.backends.llamacpp.sequence import Sequence
from codeassist.backends.llamacpp.tokenizer import Tokenizer

# `auto` uses a draft model only for a target this many times its size: on a GPU one step of
# a small model costs nearly what a step of the 1.5B costs (per-call overheads dominate), so
# drafting pays off for the 7B class, not for a target three times the draft.
AUTO_MIN_RATIO = 4
# Vocabularies may differ in size by padding (Qwen2.5's 7B has 128 more entries than its 0.5B);
# llama.cpp's own speculative example allows the same difference.
VOCAB_SLACK = 128


class DraftModel:
    """A small model's greedy continuation of the sequence, kept in step with the target."""

    def __init__(self, model: Sequence, prompt: Tokens[int], vocab: int) -> None:
        self.model = model  # the small model's own KV cache
        self.seq = list(prompt)
        self.vocab = vocab  # the target's vocabulary size: a draft never goes past it

    def propose(self, token: int, limit: int) -> list[int]:
        """Up to `limit` tokens the small model expects after the sequence and `token`."""
        if limit <= 0 or len(self.seq) + limit + 1 >= self.model.n_ctx:
            return []
        model = self.model
        model.evaluate([*self.seq, token])  # catches up on tokens accepted since last time
        draft: list[int] = []
        while True:
            guess = model.greedy_next()
            if guess >= self.vocab or model.is_eog(guess):
                break
            draft.append(guess)
            if len(draft) == limit:
                break
            model.decode([guess])
        return draft

    def append(self, token: int) -> None:
        self.seq.append(token)


def same_tokenizer(a: Tokenizer, b: Tokenizer) -> bool:
    """Whether two models turn text into the same tokens (and tokens into the same text)."""
    na, nb = a.n_vocab, b.n_vocab
    if abs(na - nb) > VOCAB_SLACK:
        return False
    ends = (llama_cpp.llama_vocab_bos, llama_cpp.llama_vocab_eos)
    if any(end(a.vocab) != end(b.vocab) for end in ends):
        return False
    n = min(na, nb)
    sample = 'def f(x: int) -> str:\n    return "naïve ünïcode 数据" + str(x)  # ok\n'
    if a.tokenize(sample) != b.tokenize(sample):
        return False
    return all(a.piece(t) == b.piece(t) for t in range(0, n, max(1, n // 512)))

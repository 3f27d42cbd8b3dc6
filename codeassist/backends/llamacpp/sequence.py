"""One llama.cpp context's KV cache and the tokens in it: evaluate, decode, rewind.

Every cell of sequence 0 is accounted for in `tokens`, in order. The decode loop, the draft
model, the batch probe and the prefill view move the cache through these calls only, so the
bookkeeping cannot drift from what llama.cpp holds.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Sequence as Tokens
from pathlib import Path
from typing import Any

import llama_cpp

from codeassist.errors import BackendError


def shared_prefix(a: Tokens[int], b: Tokens[int]) -> int:
    """How many leading tokens two sequences have in common."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class Sequence:
    """The tokens whose KV entries are in a context's cache, and the calls that change them."""

    def __init__(self, llm: llama_cpp.Llama, width: int) -> None:
        """`width`: the most tokens one `decode` call takes with logits for each."""
        self.ctx = llm._ctx.ctx
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
        self.n_ctx = llm.n_ctx()
        self.n_batch = llm.n_batch
        self._past: list[int] = []
        self.n_seq = int(llama_cpp.llama_n_seq_max(self.ctx))  # sequences side by side
        self._batch = llama_cpp.llama_batch_init(max(width, self.n_seq), 0, 1)
        self._greedy: Any = None

    def __del__(self) -> None:
        batch = getattr(self, "_batch", None)
        if batch is not None:
            llama_cpp.llama_batch_free(batch)
        if getattr(self, "_greedy", None) is not None:
            llama_cpp.llama_sampler_free(self._greedy)

    def __len__(self) -> int:
        return len(self._past)

    @property
    def tokens(self) -> list[int]:
        """A copy of the tokens in the cache, in order."""
        return list(self._past)

    def holds(self, prefix: list[int]) -> bool:
        """Whether the cache begins with `prefix`."""
        return self._past[: len(prefix)] == prefix

    def evaluate(self, prompt: list[int]) -> int:
        """Bring the cache to `prompt`, keeping the longest prefix already there; returns it."""
        # the last prompt token is always decoded: its logits give the first answer token
        keep = min(shared_prefix(self._past, prompt), len(prompt) - 1)
        if keep < len(self._past):
            if not llama_cpp.llama_memory_seq_rm(self.memory, -1, keep, -1):
                llama_cpp.llama_memory_clear(self.memory, True)
                keep = 0
            del self._past[keep:]
        todo = prompt[keep:]
        for start in range(0, len(todo), self.n_batch):
            chunk = todo[start : start + self.n_batch]
            self._decode_one_batch((llama_cpp.llama_token * len(chunk))(*chunk), len(chunk))
            self._past.extend(chunk)
        return keep

    def decode(self, tokens: list[int]) -> None:
        """Decode tokens that follow the cache, with logits for each (one call, one step)."""
        if len(tokens) == 1:
            self._decode_one_batch((llama_cpp.llama_token * 1)(tokens[0]), 1)
        else:
            batch, pos = self._batch, len(self._past)
            for i, t in enumerate(tokens):
                batch.token[i] = t
                batch.pos[i] = pos + i
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = 0
                batch.logits[i] = 1
            batch.n_tokens = len(tokens)
            self._check(llama_cpp.llama_decode(self.ctx, batch))
        self._past.extend(tokens)

    def fork(self, n: int) -> None:
        """Give sequences 1..n-1 the tokens of sequence 0 (shared cells, nothing copied)."""
        for seq_id in range(1, n):
            llama_cpp.llama_memory_seq_cp(self.memory, 0, seq_id, -1, -1)

    def decode_rows(self, rows: list[tuple[int, int, int]]) -> None:
        """Decode one token per row (seq_id, token, position), with logits for each, in one call.

        Rows of sequence 0 past the recorded tokens stay unrecorded: `join` drops them.
        """
        batch = self._batch
        for i, (seq_id, token, pos) in enumerate(rows):
            batch.token[i] = token
            batch.pos[i] = pos
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq_id
            batch.logits[i] = 1
        batch.n_tokens = len(rows)
        self._check(llama_cpp.llama_decode(self.ctx, batch))

    def join(self) -> None:
        """Drop sequences 1.. and anything sequence 0 holds past its recorded tokens."""
        llama_cpp.llama_memory_seq_rm(self.memory, 0, len(self._past), -1)
        for seq_id in range(1, self.n_seq):
            llama_cpp.llama_memory_seq_rm(self.memory, seq_id, -1, -1)

    def rewind(self, n: int) -> None:
        """Keep only the first `n` tokens (a rejected draft, a probe's trial batch)."""
        llama_cpp.llama_memory_seq_rm(self.memory, 0, n, -1)
        del self._past[n:]

    def adopt(self, tokens: list[int]) -> None:
        """Record that the cache now holds `tokens`: a KV state copied or loaded into it."""
        self._past = list(tokens)

    def reset(self) -> None:
        """Empty the cache."""
        llama_cpp.llama_memory_clear(self.memory, True)
        self._past.clear()

    def sample(self, sampler: Any, index: int = -1) -> int:
        """Run a sampler chain over the logits of the `index`-th token of the last decode."""
        return int(llama_cpp.llama_sampler_sample(sampler, self.ctx, index))

    def greedy_next(self) -> int:
        """The most likely token after the last decoded one (sampled in C)."""
        if self._greedy is None:
            params = llama_cpp.llama_sampler_chain_default_params()
            self._greedy = llama_cpp.llama_sampler_chain_init(params)
            llama_cpp.llama_sampler_chain_add(self._greedy, llama_cpp.llama_sampler_init_greedy())
        return self.sample(self._greedy)

    def is_eog(self, token: int) -> bool:
        """Whether `token` ends generation (end of text, end of turn)."""
        return bool(llama_cpp.llama_vocab_is_eog(self.vocab, token))

    def logits(self, index: int) -> bytes:
        """The raw logits of the `index`-th token of the last decode."""
        size = 4 * llama_cpp.llama_vocab_n_tokens(self.vocab)
        return ctypes.string_at(llama_cpp.llama_get_logits_ith(self.ctx, index), size)

    def save(self, path: Path) -> int:
        """Write the cache's KV state to `path`; returns how many tokens."""
        return save_state(self.ctx, self._past, path)

    def load(self, path: Path) -> int:
        """Replace the cache with a state from `save`; 0 when it does not fit."""
        tokens = load_state(self.ctx, self.n_ctx, path)
        if tokens:
            self.adopt(tokens)
        return len(tokens)

    def _decode_one_batch(self, tokens: ctypes.Array[Any], n: int) -> None:
        self._check(llama_cpp.llama_decode(self.ctx, llama_cpp.llama_batch_get_one(tokens, n)))

    def _check(self, rc: int) -> None:
        if rc != 0:
            self.reset()
            raise BackendError(
                f"llama.cpp failed to decode (code {rc})", hint="try a shorter request"
            )


def save_state(ctx: Any, tokens: list[int], path: Path) -> int:
    """Write the KV state of sequence 0 of `ctx`, which holds `tokens`; returns their count."""
    if not tokens:
        return 0
    array = (llama_cpp.llama_token * len(tokens))(*tokens)
    written = llama_cpp.llama_state_seq_save_file(ctx, os.fsencode(path), 0, array, len(tokens))
    return len(tokens) if written else 0


def load_state(ctx: Any, n_ctx: int, path: Path) -> list[int]:
    """Load a state from `save_state` into sequence 0 of `ctx`; its tokens ([] when none fit)."""
    buf = (llama_cpp.llama_token * n_ctx)()
    count = ctypes.c_size_t(0)
    read = llama_cpp.llama_state_seq_load_file(
        ctx, os.fsencode(path), 0, buf, n_ctx, ctypes.byref(count)
    )
    if not read or count.value == 0:
        return []
    return list(buf[: count.value])

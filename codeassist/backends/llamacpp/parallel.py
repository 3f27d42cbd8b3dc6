"""k sampled answers to one prompt, decoded side by side as llama.cpp sequences.

The prompt is evaluated once, in sequence 0, reusing the cached prefix; sequences 1..k-1 then
share its cells (the KV cache is unified: nothing is copied). Each step decodes one batch that
holds the next token of every live candidate, each in its own sequence at its own position,
and samples each with its own chain (seed + i), as a single generation at that seed would.
Candidates never speculate. Afterwards sequence 0 holds exactly the prompt again.

Whether a candidate equals the single generation at its seed token for token depends on
llama.cpp computing each row of a batch as it computes one token alone. Measured on 2 CPU
threads with SmolLM2 (f16 cache, flash attention on or off): bit-identical while the cache
holds at most 256 cells in all (the prompt and every candidate's tokens: one unified cache
serves all sequences). Past that the attention kernels split their sums differently for one
query than for several, logits move (by up to 0.7 there) and samples soon part ways; with one
thread and flash attention they stayed identical at 312 cells. Each candidate is still a
sample of the model at its temperature; only its equality with the one-at-a-time path goes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import llama_cpp

from codeassist.backends.base import Options
from codeassist.backends.llamacpp.generate import Stats, check_prompt, sampler
from codeassist.backends.llamacpp.sequence import Sequence
from codeassist.backends.llamacpp.text import TextStream
from codeassist.errors import UsageError


@dataclass
class Candidate:
    """One answer being drawn: its sampler chain, the token sampled next, the text so far."""

    chain: Any
    token: int
    out: TextStream
    text: str = ""
    generated: int = 0

    def accept(self, is_eog: Callable[[int], bool], budget: int) -> bool:
        """Take the sampled token; whether the answer goes on (the token then needs a decode)."""
        if is_eog(self.token):
            self.text += self.out.flush()
            return False
        self.generated += 1
        piece, stopped = self.out.feed(self.token)
        self.text += piece
        if stopped:
            return False
        if self.generated >= budget:
            self.text += self.out.flush()
            return False
        return True


def check_count(k: int, n_seq: int) -> None:
    """Refuse a number of candidates the context cannot decode side by side."""
    if not 1 <= k <= n_seq:
        raise UsageError(
            f"{k} candidates asked; this model draws 1 to {n_seq} at once",
            hint="ask for fewer candidates, or raise max_candidates in the config",
        )


def complete_many(
    seq: Sequence,
    evaluate: Callable[[list[int]], int],
    prompt: list[int],
    options: Options,
    k: int,
    record: Callable[[Stats], None],
) -> list[str]:
    """k answers to `prompt`; candidate i samples with seed `options.seed + i`."""
    check_count(k, seq.n_seq)
    check_prompt(prompt, seq.n_ctx)
    reused = evaluate(prompt)
    budget = min(options.max_tokens, seq.n_ctx - len(seq))
    chains: list[Any] = []
    cands: list[Candidate] = []
    steps = 0
    try:
        for i in range(k):
            chains.append(sampler(seq.vocab, dataclasses.replace(options, seed=options.seed + i)))
        # every first token comes from the prompt's logits, before any batch replaces them
        cands = [Candidate(c, seq.sample(c), TextStream(seq.vocab, options.stop)) for c in chains]
        # as many side by side as the cache holds at full length: each gets the whole budget
        width = max(1, min(k, (seq.n_ctx - len(prompt)) // budget))
        for first in range(0, k, width):
            steps += _wave(seq, cands[first : first + width], budget)
    finally:
        seq.join()
        for chain in chains:
            llama_cpp.llama_sampler_free(chain)
        generated = sum(c.generated for c in cands)
        record(Stats(reused, len(prompt) - reused, generated, steps=steps))
    return [c.text for c in cands]


def _wave(seq: Sequence, wave: list[Candidate], budget: int) -> int:
    """Decode candidates side by side in sequences 0..len(wave)-1; returns the decode calls."""
    seq.join()
    seq.fork(len(wave))
    start = len(seq)
    live = [(slot, c) for slot, c in enumerate(wave) if c.accept(seq.is_eog, budget)]
    steps = 0
    while live:
        seq.decode_rows([(slot, c.token, start + c.generated - 1) for slot, c in live])
        steps += 1
        for row, (_, c) in enumerate(live):
            c.token = seq.sample(c.chain, row)
        live = [(slot, c) for slot, c in live if c.accept(seq.is_eog, budget)]
    return steps

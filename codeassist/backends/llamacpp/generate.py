"""The decode loop: one `llama_decode` per step, sampling in C, text streamed as it comes.

A step decodes the pending token, and at temperature 0 with speculation on, a draft after it
(speculation.py): the longest prefix of the draft the model agrees with is kept, plus the
model's own next token, and the rest is rolled back out of the KV cache. The output is the
plain greedy output, in fewer sequential steps, wherever llama.cpp computes a batch's logits
exactly as it computes one token's (probe.py measures it).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

import llama_cpp

from codeassist.backends import grammar as grammar_bounds
from codeassist.backends.base import Options
from codeassist.backends.llamacpp.sequence import Sequence
from codeassist.backends.llamacpp.speculation import Drafter, Speculation, drafter
from codeassist.backends.llamacpp.text import TextStream
from codeassist.errors import BackendError, Exit


@dataclass(frozen=True)
class Stats:
    """What the last request cost: tokens reused from the cache, evaluated, generated.

    `drafted` and `accepted` count speculated tokens; `steps` is the number of decode calls
    of the generation (equal to `generated` without speculation).
    """

    reused: int = 0
    evaluated: int = 0
    generated: int = 0
    drafted: int = 0
    accepted: int = 0
    steps: int = 0


def sampler(vocab: Any, options: Options) -> Any:
    """A sampler chain in C for `options`: grammar, then greedy or top-k/top-p/temperature."""
    if options.grammar:
        grammar_bounds.check(options.grammar)  # a deep grammar would crash llama.cpp
    chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
    add = llama_cpp.llama_sampler_chain_add
    if options.grammar:
        grammar = llama_cpp.llama_sampler_init_grammar(vocab, options.grammar.encode(), b"root")
        if not grammar:
            llama_cpp.llama_sampler_free(chain)
            raise BackendError("invalid GBNF grammar")
        add(chain, grammar)
    if options.temperature <= 0:
        add(chain, llama_cpp.llama_sampler_init_greedy())
    else:
        add(chain, llama_cpp.llama_sampler_init_top_k(40))
        add(chain, llama_cpp.llama_sampler_init_top_p(0.95, 1))
        add(chain, llama_cpp.llama_sampler_init_temp(options.temperature))
        add(chain, llama_cpp.llama_sampler_init_dist(options.seed))
    return chain


class Decoder:
    """Produces an answer's tokens, each final when it comes, verifying drafts where any."""

    def __init__(
        self, seq: Sequence, chain: Any, drafts: Drafter | None, draft_max: int, budget: int
    ) -> None:
        self.seq, self.chain, self.drafts = seq, chain, drafts
        self.draft_max, self.budget = draft_max, budget
        self.reach = draft_max  # draft length: halved after a miss, doubled after a full hit
        self.generated = self.drafted = self.accepted = self.steps = 0

    def tokens(self) -> Generator[int, None, None]:
        """The answer's tokens until end of generation or the budget."""
        seq = self.seq
        token = seq.sample(self.chain)
        while self.generated < self.budget and not seq.is_eog(token):
            # The sampled token is final: hand it out before spending a decode on it.
            self.generated += 1
            yield token
            if self.generated >= self.budget:
                return
            run, token = self._step(token)
            for t in run[1:]:
                self.generated += 1
                if self.drafts:
                    self.drafts.append(t)
                yield t

    def _step(self, token: int) -> tuple[list[int], int]:
        """Decode `token` and a draft after it; the tokens the model stands behind, in order,
        and the next token it samples."""
        seq, drafts = self.seq, self.drafts
        room = min(self.reach, self.budget - self.generated, seq.n_ctx - len(seq) - 2)
        draft = drafts.propose(token, room) if drafts else []
        if drafts:
            drafts.append(token)
        start = len(seq)
        seq.decode([token, *draft])
        self.steps += 1
        self.drafted += len(draft)
        run = [token]
        for i, guess in enumerate(draft):  # logits i follow run[: i + 1]
            token = seq.sample(self.chain, i)
            if token != guess or seq.is_eog(token):
                break
            run.append(guess)
        else:
            token = seq.sample(self.chain)
        if len(run) < len(draft) + 1:  # roll the rejected draft out of the KV cache
            seq.rewind(start + len(run))
        self.accepted += len(run) - 1
        if draft:
            self._adapt(len(run) - 1, len(draft))
        return run, token

    def _adapt(self, hit: int, drafted: int) -> None:
        """Draft further after a full hit, shorter after a miss."""
        if hit == drafted:
            self.reach = min(self.draft_max, self.reach * 2)
        if hit == 0:
            self.reach = max(1, self.reach // 2)


class PromptTooLong(BackendError):
    """The request does not fit the model's context: the user's input to shorten (exit 2)."""

    exit_code = Exit.USAGE


def check_prompt(prompt: list[int], n_ctx: int) -> None:
    """Refuse a prompt that leaves no room in the context for an answer."""
    if len(prompt) >= n_ctx:
        raise PromptTooLong(
            f"the prompt is {len(prompt)} tokens; the context holds {n_ctx}",
            hint="shorten the request, lower the context budget, or raise n_ctx in the config",
        )


def generate(
    seq: Sequence,
    evaluate: Callable[[list[int]], int],
    prompt: list[int],
    options: Options,
    speculation: Speculation,
    record: Callable[[Stats], None],
) -> Iterator[str]:
    """Evaluate `prompt` (reusing the cached prefix), then stream the answer's text."""
    check_prompt(prompt, seq.n_ctx)
    reused = evaluate(prompt)
    record(Stats(reused, len(prompt) - reused))  # known before the first token; full at the end
    budget = min(options.max_tokens, seq.n_ctx - len(seq))
    chain = sampler(seq.vocab, options)
    greedy = options.temperature <= 0 and not options.grammar
    n_vocab = llama_cpp.llama_vocab_n_tokens(seq.vocab)
    drafts = drafter(prompt, speculation, n_vocab) if speculation.on and greedy else None
    out = TextStream(seq.vocab, options.stop)
    decoder = Decoder(seq, chain, drafts, speculation.draft_max, budget)
    tokens = decoder.tokens()
    try:
        for token in tokens:
            text, stopped = out.feed(token)
            if text:
                yield text
            if stopped:
                return
        if rest := out.flush():
            yield rest
    finally:
        tokens.close()
        llama_cpp.llama_sampler_free(chain)
        d = decoder
        record(Stats(reused, len(prompt) - reused, d.generated, d.drafted, d.accepted, d.steps))

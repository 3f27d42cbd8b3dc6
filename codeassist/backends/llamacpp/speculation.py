"""Speculative decoding: what proposes drafts, and the settings a backend is built with.

At temperature 0 the loop speculates: a drafter proposes the tokens it expects next, the model
verifies them in one `llama_decode`, and the longest prefix it agrees with is kept, plus the
model's own next token. Prompt lookup drafts for free: when the last few tokens also occur
earlier in the prompt or the output, the tokens that followed them there are proposed. A
smaller model of the same tokenizer (draft.py) drafts where the lookup finds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from codeassist.backends.llamacpp.draft import DraftModel

if TYPE_CHECKING:
    from codeassist.backends.llamacpp.backend import LlamaCppBackend

# Most tokens proposed by one lookup: the verifying batch (pending token + draft) holds 8 at
# most, the widest that llama.cpp's CUDA backend computes with its matrix-vector kernels.
DRAFT_MAX = 7
NGRAM_MAX = 3  # longest n-gram looked up; shorter ones are tried when it is not found
NGRAM_MIN = 2


@dataclass(frozen=True)
class Speculation:
    """How a backend speculates, fixed when it is built.

    `on`: at temperature 0; `draft_max`: the longest draft (see LlamaCppBackend.exact_batch);
    `draft`: a smaller model that drafts where prompt lookup has nothing.
    """

    on: bool = False
    draft_max: int = DRAFT_MAX
    draft: LlamaCppBackend | None = None


NO_SPECULATION = Speculation()


def choose(setting: str, offloaded_layers: int, exact_batch: Callable[[], int]) -> Speculation:
    """`on` forces prompt-lookup decoding; `auto` turns it on where layers run on a GPU and
    verify batches are measured bit-identical to one-token decoding (`exact_batch`, called
    only then), with drafts no longer than that allows. On a CPU it stays off: a verify batch
    of 8 tokens costs about 4 single steps there (measured, 2 cores), more than lookup saves.
    """
    if setting == "on":
        return Speculation(on=True)
    if setting == "auto" and offloaded_layers > 0:
        exact = exact_batch()
        if exact > 1:
            return Speculation(on=True, draft_max=exact - 1)
    return Speculation()


class Drafter(Protocol):
    def propose(self, token: int, limit: int) -> list[int]: ...
    def append(self, token: int) -> None: ...


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


def drafter(prompt: list[int], speculation: Speculation, vocab: int) -> Drafter:
    """Prompt lookup, then the draft model if there is one; `vocab`: the target's size."""
    lookup = PromptLookup(prompt)
    if speculation.draft is None:
        return lookup
    return FirstDraft(lookup, DraftModel(speculation.draft.sequence, prompt, vocab))

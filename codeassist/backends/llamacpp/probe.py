"""How wide a verify batch stays exact: logits bit-identical to decoding one token at a time.

Speculation keeps the plain greedy output only where this holds: a kernel that sums in another
order for a batch (CPU matrix kernels from 4 tokens on with K-quants, CPU flash attention past
256 cached cells) changes logits in the low digits, and a near-tie can then resolve the other
way. Measuring costs about PROBE_AT prompt tokens and clears the KV cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codeassist.backends.llamacpp.speculation import DRAFT_MAX

if TYPE_CHECKING:
    from codeassist.backends.llamacpp.backend import LlamaCppBackend

# Where the probe measures: past the first 256-cell blocks of the KV cache, since attention
# kernels choose their split by the cache's length.
PROBE_AT = 520
TEXT = "def mean(values):\n    return sum(values) / len(values)\n\n"


def exact_batch(model: LlamaCppBackend) -> int:
    """The widest batch (1 to DRAFT_MAX + 1 tokens) whose logits match one-token decoding."""
    at = max(1, min(PROBE_AT, model.n_ctx - 2 * (DRAFT_MAX + 1)))
    tokens = model.tokenize(TEXT)
    tokens = tokens * (1 + (at + DRAFT_MAX + 1) // len(tokens))
    prefix, run = tokens[:at], tokens[at : at + DRAFT_MAX + 1]
    seq = model.sequence
    model.reset()
    try:
        model.evaluate(prefix)
        single = []
        for t in run:  # one token per decode; each lands after the last
            seq.decode([t])
            single.append(seq.logits(-1))
        seq.rewind(at)
        widest = 1
        for n in range(2, len(run) + 1):
            seq.decode(run[:n])
            same = all(seq.logits(i) == single[i] for i in range(n))
            seq.rewind(at)
            if not same:
                break
            widest = n
    finally:
        model.reset()
    return widest

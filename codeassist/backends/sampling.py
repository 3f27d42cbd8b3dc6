"""Several whole answers to one prompt: a backend's own `complete_many`, else k streams in turn.

Candidate i decodes with seed `options.seed + i`. With more than one candidate the answers are
sampled at `SAMPLE_TEMPERATURE` at least (greedy decoding would give k copies of one answer).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from codeassist.backends.base import Backend, Message, Options, Response

# Diverse enough to disagree where the model is unsure, close enough to greedy to stay on task
# (CodeT and MBR-exec sample at 0.6-0.8).
SAMPLE_TEMPERATURE = 0.7
# `samples = "auto"`: one answer, on every backend, until a measurement shows more pays.
# Best of 3 against checks and repair, qwen2.5-coder-1.5b, 2026-11-30 (evenly spread items, one
# thread, 2 shared cores): Spider dev 56 items, 34 right against 36 (it won 1, lost 3: two
# sampled queries agreeing on a wrong result outvote a right greedy one); HumanEval 33 items,
# 29 against 30 (it drew more on the 3 whose examples failed, and lost 1). Mean latency on the
# CPU: 26.4 s against 15.1 s (Spider). On a GPU the candidates decode as one batch and would
# cost little, but they choose no better; `--samples K` or the config key asks for them.
AUTO_SAMPLES = 1
Done = Callable[[str], bool]  # the reply so far is complete (e.g. its code block closed)


def default_samples(backend: Backend) -> int:
    """The `auto` k for this backend: AUTO_SAMPLES on all of them for now (see above); a GPU
    or an endpoint would get its own value here once one is measured to choose better."""
    del backend
    return AUTO_SAMPLES


def sampled(options: Options) -> Options:
    """The options a sampled candidate decodes with: at least SAMPLE_TEMPERATURE."""
    return dataclasses.replace(options, temperature=max(options.temperature, SAMPLE_TEMPERATURE))


def draw(
    backend: Backend, messages: Sequence[Message], options: Options, k: int,
    done: Done | None = None,
) -> list[str]:  # fmt: skip
    """k whole replies; candidate i uses seed `options.seed + i` (sampled when k > 1).

    A backend with `complete_many(messages, options, k)` answers all k at once (batched
    decoding); any other is streamed k times, each stream stopped early once `done` says so.
    """
    if k < 1:
        return []
    options = sampled(options) if k > 1 else options
    many = getattr(backend, "complete_many", None)
    if callable(many):
        return [str(reply) for reply in many(list(messages), options, k)]
    return [_one(backend, messages, dataclasses.replace(options, seed=options.seed + i), done)
            for i in range(k)]  # fmt: skip


def _one(backend: Backend, messages: Sequence[Message], options: Options, done: Done | None) -> str:
    response = Response(backend.stream(messages, options))
    for _ in response:
        if done is not None and done(response.text):
            break
    response.finish()
    return response.text

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
# `samples = "auto"`: candidates at most when the checks do not confirm the first answer.
# CPU: one. Measured on 2 shared cores with qwen2.5-coder-1.5b (2026-11-30, Spider dev, 20
# items spread evenly, one thread): checks and repair 17/20 in 14.3 s mean, best of 3 16/20 in
# 25.5 s: on a CPU the extra candidates cost about as much as the first answer and did not
# choose better. `--samples K` or the config key asks for them.
CPU_SAMPLES = 1
# GPU: a reasoned guess, not measured here: decoding is 10-20x faster and `complete_many`
# decodes the candidates as one batch, so 5 cost about what 2 cost on one sequence.
GPU_SAMPLES = 5
Done = Callable[[str], bool]  # the reply so far is complete (e.g. its code block closed)


def default_samples(backend: Backend) -> int:
    """The `auto` k: GPU_SAMPLES where the model runs on a GPU (layers offloaded, or a shared
    server behind an endpoint, where GPUs are the norm), else CPU_SAMPLES."""
    layers = getattr(backend, "offloaded_layers", 0)
    on_gpu = isinstance(layers, int) and layers > 0
    return GPU_SAMPLES if on_gpu or type(backend).__name__ == "OpenAIBackend" else CPU_SAMPLES


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

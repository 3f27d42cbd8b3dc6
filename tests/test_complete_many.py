"""k candidates to one prompt as parallel llama.cpp sequences, on the real small model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import llama_cpp
import pytest

from codeassist import models
from codeassist.backends.base import Message, Options
from codeassist.backends.llamacpp import LlamaCppBackend
from codeassist.errors import CodeassistError

pytestmark = pytest.mark.model

CHAT = [
    Message("system", "You are a helpful coding assistant."),
    Message("user", "Write a python function that reverses a string."),
]
# Short enough that the whole cache (prompt and all candidates) stays under 256 cells: there
# llama.cpp's CPU kernels compute a row of a batch exactly as one token alone (parallel.py
# says what happens past it).
SAMPLED = Options(max_tokens=48, temperature=0.9, seed=11, stop=("\n\n",))


def backend(n_ctx: int = 2048) -> LlamaCppBackend:
    return LlamaCppBackend.load(models.resolve("smollm2-135m"), n_ctx=n_ctx)


def singles(llm: LlamaCppBackend, options: Options, k: int) -> list[str]:
    """What k plain generations give at seeds seed .. seed + k - 1."""
    return [
        "".join(llm.stream(CHAT, dataclasses.replace(options, seed=options.seed + i)))
        for i in range(k)
    ]


def test_each_candidate_is_the_single_generation_at_its_seed(small_model: Path) -> None:
    llm = backend()
    many = llm.complete_many(CHAT, SAMPLED, 4)
    stats = llm.last
    assert many == singles(llm, SAMPLED, 4)
    assert len(set(many)) > 1  # the seeds do differ
    assert stats.evaluated + stats.reused == len(llm.tokenize(llm.format(CHAT)))
    assert 0 < stats.steps < stats.generated  # one decode call per step serves every candidate
    assert stats.drafted == 0


def test_candidates_that_do_not_fit_side_by_side_run_in_waves(small_model: Path) -> None:
    llm = backend(n_ctx=256)  # and a wave stays under 256 cells: see SAMPLED
    options = dataclasses.replace(SAMPLED, max_tokens=100, stop=())
    prompt = llm.tokenize(llm.format(CHAT))
    assert (llm.n_ctx - len(prompt)) // 100 == 2  # two at full length fit: three make two waves
    many = llm.complete_many(CHAT, options, 3)
    assert many == singles(llm, options, 3)


def test_through_the_prefill_view_too(small_model: Path) -> None:
    llm = LlamaCppBackend.load(models.resolve("smollm2-135m"), n_ctx=2048, prefill_mode="on")
    assert llm.prefill_mode == "on"
    many = llm.complete_many(CHAT, SAMPLED, 3)
    assert llm.cached_tokens == llm.tokenize(llm.format(CHAT))
    assert many == singles(llm, SAMPLED, 3)
    assert llm.last.evaluated == 1  # the decoding context still held the prompt


def test_the_prompt_stays_cached_and_later_answers_do_not_change(small_model: Path) -> None:
    llm = backend()
    greedy = Options(max_tokens=32)
    before = "".join(llm.stream(CHAT, greedy))
    llm.complete_many(CHAT, SAMPLED, 5)
    prompt = llm.tokenize(llm.format(CHAT))
    assert llm.cached_tokens == prompt  # sequence 0 holds exactly the prompt
    memory = llm.sequence.memory  # and so does the KV cache itself; the others hold nothing
    last = [llama_cpp.llama_memory_seq_pos_max(memory, s) for s in range(llm.max_candidates)]
    assert last == [len(prompt) - 1] + [-1] * (llm.max_candidates - 1)
    after = "".join(llm.stream(CHAT, greedy))
    assert llm.last.reused == len(prompt) - 1
    assert after == before
    followup = [*CHAT[:1], Message("user", "Write a python function that sorts a list.")]
    "".join(llm.stream(followup, greedy))
    assert llm.last.reused > 5  # the system prompt still came from the cache


def test_greedy_candidates_are_one_answer(small_model: Path) -> None:
    llm = backend()
    greedy = Options(max_tokens=24)
    assert llm.complete_many(CHAT, greedy, 3) == ["".join(llm.stream(CHAT, greedy))] * 3


@pytest.mark.parametrize("k", [0, 9, 100])
def test_a_count_outside_the_cap_is_refused_with_a_hint(small_model: Path, k: int) -> None:
    llm = backend()
    assert llm.max_candidates == 8
    with pytest.raises(CodeassistError, match="candidates") as info:
        llm.complete_many(CHAT, SAMPLED, k)
    assert "max_candidates" in info.value.hint
    assert "".join(llm.stream(CHAT, Options(max_tokens=4)))  # the model still answers

"""Prompt-lookup speculative decoding: fewer decode steps, the same greedy output."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeassist import models
from codeassist.backends.base import Message, Options
from codeassist.backends.llamacpp.speculation import (
    DRAFT_MAX,
    PromptLookup,
    Speculation,
    choose,
)

CODE = """def area(width, height):
    return width * height


def perimeter(width, height):
    return 2 * (width + height)
"""


def test_the_lookup_proposes_what_followed_the_last_ngram() -> None:
    lookup = PromptLookup([1, 2, 3, 4, 5, 6, 9, 2])
    assert lookup.propose(3, limit=3) == [4, 5, 6]  # ...2, 3 was followed by 4, 5, 6
    assert lookup.propose(3, limit=1) == [4]
    assert lookup.propose(7, limit=3) == []  # 2, 7 never occurred
    assert lookup.propose(3, limit=0) == []


def test_the_latest_occurrence_wins_and_output_tokens_are_indexed() -> None:
    lookup = PromptLookup([5, 6, 1, 5, 6, 2, 5])
    assert lookup.propose(6, limit=1) == [2]  # (5, 6) led to 1, then later to 2
    for t in (6, 7, 5):  # generated tokens join the sequence that is searched
        lookup.append(t)
    assert lookup.propose(6, limit=2) == [7, 5]


@pytest.mark.model
@pytest.mark.slow
def test_speculation_gives_the_plain_greedy_output_in_fewer_steps(small_model: Path) -> None:
    from codeassist.backends.llamacpp import LlamaCppBackend, Speculation

    ref = models.resolve("smollm2-135m")
    msgs = [Message("user", f"Rename `width` to `w` in this code:\n```python\n{CODE}```")]
    opts = Options(max_tokens=80)
    outputs = {}
    for speculative in (False, True):  # two backends of one loaded model
        llm = LlamaCppBackend.load(ref, n_ctx=2048, speculation=Speculation(on=speculative))
        llm.reset()
        outputs[speculative] = "".join(llm.stream(msgs, opts))
        if speculative:
            assert llm.last.accepted > 10  # the draft came from the code in the prompt
            assert llm.last.steps < llm.last.generated
        else:
            assert llm.last.steps == llm.last.generated and llm.last.drafted == 0
    assert outputs[True] == outputs[False]


@pytest.mark.model
@pytest.mark.slow
def test_stop_strings_and_max_tokens_hold_while_speculating(small_model: Path) -> None:
    from codeassist.backends.llamacpp import LlamaCppBackend, Speculation

    ref = models.resolve("smollm2-135m")
    llm = LlamaCppBackend.load(ref, n_ctx=2048, speculation=Speculation(on=True))
    msgs = [Message("user", f"Repeat this code exactly:\n```python\n{CODE}```")]
    full = "".join(llm.stream(msgs, Options(max_tokens=60)))
    assert llm.last.accepted > 5 and len(full) > 40
    stop = full[30:35]  # from inside the reply, possibly across a draft
    cut = "".join(llm.stream(msgs, Options(max_tokens=60, stop=(stop,))))
    assert cut == full[: full.find(stop)]
    "".join(llm.stream(msgs, Options(max_tokens=9)))
    assert llm.last.generated == 9


@pytest.mark.model
@pytest.mark.slow
def test_the_probe_measures_batch_invariance(small_model: Path) -> None:
    from codeassist.backends import llamacpp
    from codeassist.backends.llamacpp import probe

    llm = llamacpp.LlamaCppBackend.load(models.resolve("smollm2-135m"), n_ctx=2048)
    exact = probe.exact_batch(llm)  # measured now, not the backend's remembered answer
    assert llm.cached_tokens == []  # the probe leaves a clean cache behind
    if llamacpp.threads() > 1:
        # Past 256 cached cells, the CPU's flash attention splits one query's keys over the
        # threads but a batch's queries by rows: the sums run in another order.
        assert exact == 1
    assert 1 <= exact <= llamacpp.DRAFT_MAX + 1
    assert llm.exact_batch() == exact


def test_the_speculative_setting_and_auto_following_the_probe() -> None:
    def unmeasured() -> int:
        raise AssertionError("the probe runs only for auto with layers on a GPU")

    on = choose("on", 0, unmeasured)
    assert on.on and on.draft_max == DRAFT_MAX
    assert not choose("off", 30, unmeasured).on
    assert not choose("auto", 0, unmeasured).on  # no layers on a GPU
    auto = choose("auto", 30, lambda: 5)
    assert auto.on and auto.draft_max == 4  # drafts only as long as stays exact
    auto = choose("auto", 30, lambda: 1)
    assert not auto.on and auto.draft_max == DRAFT_MAX
    assert auto == Speculation()  # frozen: a backend built with it cannot drift

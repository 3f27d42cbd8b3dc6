"""A smaller model of the same tokenizer drafts where prompt lookup has nothing to offer."""

from __future__ import annotations

import dataclasses
import itertools
import shutil
from pathlib import Path

import pytest

from codeassist import models
from codeassist.backends.base import Message, Options
from codeassist.backends.llamacpp.draft import DraftModel, same_tokenizer
from codeassist.backends.llamacpp.speculation import FirstDraft
from codeassist.config import Config
from codeassist.errors import ModelError, UsageError


class Fixed:
    def __init__(self, draft: list[int]) -> None:
        self.draft, self.seen = draft, []

    def propose(self, token: int, limit: int) -> list[int]:
        return self.draft[:limit]

    def append(self, token: int) -> None:
        self.seen.append(token)


def test_the_first_drafter_with_a_draft_wins_and_all_see_every_token() -> None:
    empty, model = Fixed([]), Fixed([7, 8, 9])
    first = FirstDraft(empty, model)
    assert first.propose(1, 2) == [7, 8]
    assert FirstDraft(Fixed([4]), model).propose(1, 2) == [4]  # lookup first: it is free
    first.append(5)
    assert empty.seen == model.seen == [5]


class Corrupting(DraftModel):
    """The real small model's draft with every third token made wrong: rejections and
    rollbacks happen, and the target must still give its own greedy output."""

    def propose(self, token: int, limit: int) -> list[int]:
        draft = super().propose(token, limit)
        return [t + 1 if i % 3 == 2 else t for i, t in enumerate(draft)]


@pytest.mark.model
def test_a_draft_stops_before_a_token_the_target_does_not_have(small_model: Path) -> None:
    from codeassist.backends import llamacpp

    small = llamacpp.LlamaCppBackend.load(models.resolve("smollm2-135m"), n_ctx=1024)
    prompt = small.tokenize(small.format([Message("user", "Count from 1 to 20.")]))
    full = DraftModel(small.sequence, prompt[:-1], vocab=10**9).propose(prompt[-1], 6)
    assert len(full) == 6
    cap = full[2]  # a target whose vocabulary ends at the third drafted token
    expected = list(itertools.takewhile(lambda t: t < cap, full))
    assert len(expected) <= 2
    assert DraftModel(small.sequence, prompt[:-1], vocab=cap).propose(prompt[-1], 6) == expected


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("drafter", [DraftModel, Corrupting])
def test_model_drafts_give_the_plain_greedy_output(
    small_model: Path, drafter: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codeassist.backends.llamacpp import LlamaCppBackend, Speculation, generate

    spec = models.resolve("smollm2-135m")
    target = LlamaCppBackend.load(spec, n_ctx=2048)
    small = LlamaCppBackend.load(spec, n_ctx=1024)  # its own instance and KV cache
    assert small.model is not target.model and same_tokenizer(target.tokenizer, small.tokenizer)
    msgs = [Message("user", "Write a Python function that returns the n-th prime number.")]
    opts = Options(max_tokens=64)
    target.reset()
    plain = "".join(target.stream(msgs, opts))
    drafting = LlamaCppBackend.load(spec, n_ctx=2048, speculation=Speculation(True, draft=small))

    def only_model(prompt: list[int], *_: object) -> FirstDraft:
        """The test's drafter alone (no prompt lookup)."""
        return FirstDraft(drafter(small.sequence, prompt, 10**9))

    monkeypatch.setattr(generate, "drafter", only_model)
    drafting.reset()
    speculated = "".join(drafting.stream(msgs, opts))
    assert speculated == plain
    stats = drafting.last
    assert stats.accepted > 10 and stats.steps < stats.generated / 2
    if drafter is Corrupting:
        assert stats.accepted < stats.drafted


@pytest.mark.model
def test_draft_model_setting(small_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codeassist.backends import llamacpp, select
    from codeassist.backends.llamacpp import draft

    target = llamacpp.LlamaCppBackend.load(models.resolve("smollm2-135m"), n_ctx=2048)
    config = dataclasses.replace(Config(), n_ctx=1024)
    assert select.draft_model(target, dataclasses.replace(config, draft_model="auto")) is None
    # the 0.5B is not installed here
    smollm = dataclasses.replace(config, draft_model="smollm2-135m")
    assert select.draft_model(target, smollm) is None  # a model does not draft for itself
    missing = dataclasses.replace(config, draft_model="qwen2.5-coder-0.5b")
    with pytest.raises(ModelError, match="not installed"):
        select.draft_model(target, missing)
    copy = small_model.parent / "copy.gguf"  # another file of the same family
    shutil.copyfile(small_model, copy)
    other = dataclasses.replace(config, draft_model=str(copy))
    assert select.draft_model(target, other) is not None
    assert select.speculation(target, dataclasses.replace(other, speculative="on")).draft
    monkeypatch.setattr(draft, "same_tokenizer", lambda a, b: False)
    with pytest.raises(UsageError, match="does not share the tokenizer"):
        select.draft_model(target, other)
    no_speculation = dataclasses.replace(other, speculative="off")
    assert select.speculation(target, no_speculation).draft is None  # no speculation, no draft


@pytest.mark.model
def test_a_broken_draft_model_stops_only_an_explicit_request(
    small_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codeassist.backends import llamacpp, select
    from codeassist.backends.llamacpp import draft

    target = llamacpp.LlamaCppBackend.load(models.resolve("smollm2-135m"), n_ctx=2048)
    monkeypatch.setattr(draft, "AUTO_MIN_RATIO", 0)  # any target is large enough
    broken = models.get("qwen2.5-coder-0.5b").path
    broken.write_bytes(b"GGUF" + bytes(100))  # installed, but truncated
    assert select.draft_model(target, dataclasses.replace(Config(), draft_model="auto")) is None
    named = dataclasses.replace(Config(), draft_model="qwen2.5-coder-0.5b")
    with pytest.raises(ModelError, match="^draft model: "):  # not taken for the main model
        select.draft_model(target, named)
    with pytest.raises(UsageError, match="^draft model: unknown model 'nope'"):
        select.draft_model(target, dataclasses.replace(Config(), draft_model="nope"))

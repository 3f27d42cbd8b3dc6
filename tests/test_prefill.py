"""Prompts evaluated through a second, unrepacked view of the weights, then decoded here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeassist import models
from codeassist.backends.base import Message, Options

pytestmark = [pytest.mark.model, pytest.mark.slow]

CODE = "\n".join(f"def f{i}(x):\n    return x * {i} + {i * i}\n" for i in range(20))


def ask(question: str) -> list[Message]:
    return [Message("system", "Repository:\n" + CODE), Message("user", question)]


def test_the_plain_view_gives_the_same_answers_and_reuses_the_prefix(
    small_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codeassist.backends.llamacpp import LlamaCppBackend

    # SmolLM2 is Q4_1, which llama.cpp does not repack: both views run the same kernels, so
    # any difference would come from the copy of the KV state between the contexts.
    ref = models.resolve("smollm2-135m")
    plain = LlamaCppBackend.load(ref, n_ctx=2048, prefill_mode="on")
    own = LlamaCppBackend.load(ref, n_ctx=2048, prefill_mode="off")
    assert plain.model.prefill.view is not None and own.model.prefill.view is None
    opts = Options(max_tokens=24)
    for question in ("What does f3 return for 2?", "Write f20 in the same style."):
        want = "".join(own.stream(ask(question), opts))
        got = "".join(plain.stream(ask(question), opts))
        assert got == want
        assert plain.last.evaluated == own.last.evaluated
    assert plain.last.reused > 300  # the second question evaluated only its own tokens
    assert plain.cached_tokens == own.cached_tokens
    again = "".join(plain.stream(ask("What does f3 return for 2?"), opts))
    view = plain.model.prefill.view
    assert view is not None
    copies = []
    real_copy = view.copy_into
    monkeypatch.setattr(view, "copy_into", lambda *a: copies.append(a) or real_copy(*a))
    assert "".join(plain.stream(ask("What does f3 return for 2?"), opts)) == again
    assert copies == []  # nothing new evaluated in the plain view: nothing to copy
    plain.reset()
    assert "".join(plain.stream(ask("What does f3 return for 2?"), opts)) == again
    assert len(copies) == 1


def test_auto_measures_once_and_remembers(
    small_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codeassist.backends.llamacpp import LlamaCppBackend, prefill

    ref = models.resolve("smollm2-135m")
    first = LlamaCppBackend.load(ref, n_ctx=1536, prefill_mode="auto")
    assert first.prefill_mode == "auto"  # undecided until a prompt is long enough to matter
    "".join(first.stream([Message("user", "hi")], Options(max_tokens=2)))
    assert first.prefill_mode == "auto" and not prefill.decision_file().exists()
    "".join(first.stream(ask("What does f3 return?"), Options(max_tokens=2)))
    assert first.prefill_mode in ("on", "off")
    decided = json.loads(prefill.decision_file().read_text())
    assert list(decided.values()) == [first.prefill_mode == "on"]

    def no_measuring(*args: object) -> float:
        raise AssertionError("measured again")

    monkeypatch.setattr(prefill, "seconds_to_evaluate", no_measuring)
    second = LlamaCppBackend.load(ref, n_ctx=1280, prefill_mode="auto")
    assert second.prefill_mode == first.prefill_mode
    "".join(second.stream(ask("What does f3 return?"), Options(max_tokens=2)))


def test_a_saved_prefix_comes_back_through_the_plain_view(
    small_model: Path, tmp_path: Path
) -> None:
    from codeassist.backends.llamacpp import LlamaCppBackend

    ref = models.resolve("smollm2-135m")
    a = LlamaCppBackend.load(ref, n_ctx=1024, prefill_mode="on")
    want = "".join(a.stream(ask("What does f3 return for 2?"), Options(max_tokens=16)))
    saved = a.save_prefix(tmp_path / "prefix.state")
    assert saved == a.last.evaluated - 1  # the prompt but its last token, from the plain view
    a.reset()
    assert a.load_prefix(tmp_path / "prefix.state") == saved
    got = "".join(a.stream(ask("What does f3 return for 2?"), Options(max_tokens=16)))
    assert got == want and a.last.reused == saved

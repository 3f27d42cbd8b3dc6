"""The server's saved stable prefixes: LRU by count and size, atomic files, bad entries dropped.

The real small model in this process and real KV state files in tmp_path; the server's
prompt cache (serve/cache.py) on top, with and without the prefill view.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codeassist.backends.base import Message, Options
from codeassist.backends.llamacpp import LlamaCppBackend
from codeassist.serve.cache import PromptCache
from codeassist.serve.prefix import Store, name_of
from tests.helpers.cli import SMALL_MODEL

pytestmark = pytest.mark.model


def load(mode: str = "off") -> LlamaCppBackend:
    from codeassist import models

    model = LlamaCppBackend.load(models.resolve(SMALL_MODEL), n_ctx=2048, prefill_mode=mode)
    model.reset()
    return model


@pytest.fixture
def model(small_model: Path) -> LlamaCppBackend:
    return load()


def system(topic: str) -> list[Message]:
    """A system message of a few hundred tokens, different for each topic."""
    lines = "".join(f"{topic}_{i}.py:\n  def {topic}_part_{i}(x: int) -> int:\n" for i in range(12))
    return [Message("system", f"You write Python.\n\nThe most used definitions:\n{lines}")]


def saved(model: LlamaCppBackend, store: Store, topic: str) -> list[int]:
    """Evaluate a topic's system prompt from an empty cache and save it; its tokens."""
    tokens = model.tokenize(model.format(system(topic)))
    model.reset()
    model.evaluate(tokens)
    assert store.save(model, tokens) is not None
    return tokens


def on_disk(where: Path) -> list[str]:
    return sorted(p.name for p in where.iterdir())


def test_entries_beyond_the_count_go_least_recently_used_first(
    model: LlamaCppBackend, tmp_path: Path
) -> None:
    where = tmp_path / "prefix"
    store = Store(where, max_entries=2, max_bytes=2**30)
    a, b = saved(model, store, "order"), saved(model, store, "invoice")
    entry = store.entries[name_of(a)]
    assert store.load(model, entry) == len(a) and model.reusable == a  # a is used: b is older
    c = saved(model, store, "parcel")
    assert list(store.entries) == [name_of(a), name_of(c)]
    names = {name_of(a), name_of(c)}
    assert on_disk(where) == sorted(f"{n}{s}" for n in names for s in (".state", ".tokens"))
    assert name_of(b) not in "".join(on_disk(where))

    again = Store(where, max_entries=2, max_bytes=2**30)  # a restart reads them back, in order
    assert list(again.entries) == [name_of(a), name_of(c)]
    assert again.best(c + [1, 2, 3]) == (again.entries[name_of(c)], len(c))
    assert Store(where, max_entries=1, max_bytes=2**30).entries.keys() == {name_of(c)}


def test_entries_beyond_the_size_go_too(model: LlamaCppBackend, tmp_path: Path) -> None:
    where = tmp_path / "prefix"
    store = Store(where, max_entries=8, max_bytes=2**40)
    a = saved(model, store, "order")
    size = store.entries[name_of(a)].size
    assert size == sum(p.stat().st_size for p in where.iterdir())
    store.max_bytes = size * 3 // 2
    b = saved(model, store, "invoice")
    assert list(store.entries) == [name_of(b)]


def test_a_bad_entry_is_dropped_not_an_error(model: LlamaCppBackend, tmp_path: Path) -> None:
    where = tmp_path / "prefix"
    store = Store(where, max_entries=8, max_bytes=2**30)
    a, b, c = (saved(model, store, t) for t in ("order", "invoice", "parcel"))
    (where / f"{name_of(a)}.state").write_bytes(b"not a llama.cpp state" * 100)
    half = where / f"{name_of(b)}.state"
    half.write_bytes(half.read_bytes()[: half.stat().st_size // 2])
    for bad in (a, b):
        assert store.load(model, store.entries[name_of(bad)]) == 0
        assert name_of(bad) not in store.entries
    assert on_disk(where) == [f"{name_of(c)}.state", f"{name_of(c)}.tokens"]

    (where / f"{name_of(c)}.tokens").write_bytes(b"\x01\x02\x03\x04" * 9)  # not its tokens
    (where / "orphan.tokens").write_bytes(b"")
    stale = where / "123-456.state.partial"  # a server died while writing it
    stale.write_bytes(b"x")
    os.utime(stale, (0, 0))
    assert Store(where, max_entries=8, max_bytes=2**30).entries == {}
    assert on_disk(where) == []


@pytest.mark.parametrize("mode", ["off", "on"])
def test_the_prompt_cache_restores_saves_and_warms(
    small_model: Path, tmp_path: Path, mode: str
) -> None:
    """With the prefill view ("on") too: prompts are evaluated in a second context there."""
    model = load(mode)
    assert model.prefill_mode == mode
    lines: list[str] = []
    cache = PromptCache(model, Store(tmp_path / "prefix", 8, 2**30), lines.append)
    order, invoice = system("order"), system("invoice")
    ask = Message("user", "Request: add two numbers")

    warmed = cache.warm(order)
    assert warmed["evaluated"] == warmed["tokens"] > 100 and warmed["restored"] == 0
    assert cache.store is not None and len(cache.store.entries) == 1
    plan = cache.prepare([*order, ask])
    assert plan.restored == 0 and len(plan.stable) == warmed["tokens"]
    "".join(model.generate(plan.prompt, Options(max_tokens=4)))
    assert model.last.reused >= warmed["tokens"] - 1  # the warmed prefix was kept

    plan = cache.prepare([*invoice, ask])  # nothing saved for it: evaluated, then saved
    "".join(model.generate(plan.prompt, Options(max_tokens=4)))
    cache.keep_stable(plan)
    assert model.reusable == plan.stable[: len(model.reusable)]
    assert len(model.reusable) >= len(plan.stable) - 1

    plan = cache.prepare([*order, ask])  # back to the first: loaded from the store
    assert plan.restored >= warmed["tokens"] - 1
    "".join(model.generate(plan.prompt, Options(max_tokens=4)))
    assert model.last.reused >= plan.restored
    again = cache.warm(order)
    assert again["evaluated"] <= 1 and again["restored"] == 0
    assert lines == []


def test_a_save_that_fails_is_one_log_line(model: LlamaCppBackend, tmp_path: Path) -> None:
    blocked = tmp_path / "prefix"
    blocked.write_text("a file where the store's folder should be")
    lines: list[str] = []
    cache = PromptCache(model, Store(blocked, 8, 2**30), lines.append)
    stats = cache.warm(system("order"))
    assert stats["evaluated"] == stats["tokens"]
    assert len(lines) == 1 and lines[0].startswith("prompt cache: not saved")

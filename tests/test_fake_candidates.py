"""The fake backend's scripted candidates: the reply queue, k at a time, each at its seed."""

from __future__ import annotations

import pytest

from codeassist.backends.base import Backend, CompletesMany, Message, Options, Response
from codeassist.backends.fake import FakeBackend
from codeassist.errors import UsageError

CHAT = [Message("user", "double x")]


def test_candidates_are_the_next_replies_in_order() -> None:
    fake = FakeBackend.scripted("a", "b", "c", "d")
    assert fake.complete_many(CHAT, Options(temperature=0.7, seed=5), 3) == ["a", "b", "c"]
    assert [options.seed for _, options in fake.history] == [5, 6, 7]
    assert fake.many == [3]
    assert Response(fake.stream(CHAT, Options())).drain() == "d"  # streaming goes on after them


def test_the_last_reply_repeats_when_the_queue_runs_short() -> None:
    fake = FakeBackend.scripted("x", "y")
    assert fake.complete_many(CHAT, Options(temperature=0.7), 3) == ["x", "y", "y"]


def test_zero_candidates_is_refused() -> None:
    with pytest.raises(UsageError):
        FakeBackend().complete_many(CHAT, Options(), 0)


def test_the_fake_is_a_backend_that_completes_many() -> None:
    assert isinstance(FakeBackend(), Backend) and isinstance(FakeBackend(), CompletesMany)

"""k candidates from an OpenAI-compatible server: `n` when it gives them, more requests if not.

Against a scripted server on 127.0.0.1 that answers non-streamed requests with at most
`most_choices` choices, the next scripted reply in each.
"""

from __future__ import annotations

import pytest

from codeassist.backends.base import Message, Options
from codeassist.backends.openai import OpenAIBackend
from codeassist.errors import BackendError, UsageError
from tests.scripted_endpoint import scripted_server

CHAT = [Message("user", "a function that doubles x")]
OPTIONS = Options(max_tokens=64, temperature=0.8, seed=40, stop=("```",))


def test_one_request_for_n_when_the_server_honours_it() -> None:
    with scripted_server("a", "b", "c", most_choices=8) as server:
        many = OpenAIBackend(server.url).complete_many(CHAT, OPTIONS, 3)
    assert many == ["a", "b", "c"]
    [body] = server.requests
    assert body["n"] == 3 and body["stream"] is False
    assert body["seed"] == 40 and body["temperature"] == 0.8 and body["stop"] == ["```"]


def test_a_server_that_ignores_n_is_asked_again_with_the_next_seeds() -> None:
    with scripted_server("a", "b", "c", "d", most_choices=1) as server:
        many = OpenAIBackend(server.url).complete_many(CHAT, OPTIONS, 4)
    assert many == ["a", "b", "c", "d"]
    assert [(r["seed"], r["n"]) for r in server.requests] == [(40, 4), (41, 3), (42, 2), (43, 1)]


def test_a_server_giving_some_choices_is_asked_for_the_rest() -> None:
    with scripted_server("a", "b", "c", "d", "e", most_choices=2) as server:
        many = OpenAIBackend(server.url).complete_many(CHAT, OPTIONS, 5)
    assert many == ["a", "b", "c", "d", "e"]
    assert [(r["seed"], r["n"]) for r in server.requests] == [(40, 5), (42, 3), (44, 1)]


def test_an_error_page_is_a_backend_error() -> None:
    with scripted_server("no such model", status=404) as server:
        with pytest.raises(BackendError, match="404"):
            OpenAIBackend(server.url).complete_many(CHAT, OPTIONS, 2)


def test_no_choices_is_a_backend_error_not_a_loop() -> None:
    with scripted_server("a", most_choices=0) as server:
        with pytest.raises(BackendError, match="no choices"):
            OpenAIBackend(server.url).complete_many(CHAT, OPTIONS, 2)
    assert len(server.requests) == 1


def test_zero_candidates_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="candidates"):
        OpenAIBackend("http://127.0.0.1:9").complete_many(CHAT, OPTIONS, 0)


def test_streaming_is_unchanged() -> None:
    with scripted_server("print('hi')") as server:
        pieces = list(OpenAIBackend(server.url).stream(CHAT, OPTIONS))
    assert "".join(pieces) == "print('hi')" and len(pieces) > 1
    assert server.requests[0]["stream"] is True and "n" not in server.requests[0]

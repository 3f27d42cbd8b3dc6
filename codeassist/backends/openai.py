"""Any OpenAI-compatible server (llama.cpp's server, vLLM, ollama), streamed over HTTP."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from codeassist.backends import grammar
from codeassist.backends.base import Message, Options, estimate_tokens
from codeassist.backends.http import httpx
from codeassist.errors import BackendError, UsageError

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 120.0


def is_http_url(text: str) -> bool:
    """http(s), a host, and a port that is a number if there is one (`http://[::1` is not)."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def shown_url(url: str) -> str:
    """`url` as messages may show it: a password in it, and its query, written as `…`."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:…@{netloc.rsplit('@', 1)[1]}"
    return parts._replace(netloc=netloc, query="…" if parts.query else "").geturl()


def chat_url(endpoint: str) -> str:
    """Accept `http://host:port`, `.../v1` or the full `.../v1/chat/completions`."""
    url = endpoint.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if not url.endswith("/v1"):
        url += "/v1"
    return url + "/chat/completions"


class OpenAIBackend:
    """Streams chat completions from a server speaking the OpenAI API."""

    def __init__(self, endpoint: str, model: str | None = None, api_key: str | None = None) -> None:
        if not is_http_url(endpoint):
            from codeassist.secrets import redact_text

            raise UsageError(  # a URL may carry a password: never echoed
                f"not an HTTP URL: {redact_text(endpoint)}",
                hint="use e.g. --endpoint http://127.0.0.1:8080 (or `endpoint` in the config)",
            )
        self.url = chat_url(endpoint)
        self.shown = shown_url(self.url)  # what messages say: the URL without its secrets
        self.model = model or "default"
        self.name = f"{self.model}@{shown_url(endpoint)}"
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def stream(self, messages: Sequence[Message], options: Options) -> Iterator[str]:
        body = self._body(messages, options) | {"stream": True}
        with _errors(self.shown), httpx.Client(timeout=_TIMEOUT, headers=self.headers) as client:
            with client.stream("POST", self.url, json=body) as response:
                if response.status_code != 200:
                    response.read()
                    raise _refused(self.shown, response)
                yield from _sse_text(response.iter_lines(), self.shown)

    def complete_many(self, messages: Sequence[Message], options: Options, k: int) -> list[str]:
        """k whole answers: one request for `n` = k; where the server gives fewer choices (many
        ignore `n`), further requests for the rest, the next at seed + the number already had."""
        if k < 1:
            raise UsageError(f"{k} candidates asked", hint="ask for at least one")
        answers: list[str] = []
        while len(answers) < k:
            seed = options.seed + len(answers)
            got = self._choices(messages, dataclasses.replace(options, seed=seed), k - len(answers))
            if not got:
                raise BackendError(f"{self.shown} answered no choices", hint="check --endpoint")
            answers += got[: k - len(answers)]
        return answers

    def _choices(self, messages: Sequence[Message], options: Options, n: int) -> list[str]:
        """The texts of one non-streamed request for `n` choices, in their order."""
        body = self._body(messages, options) | {"stream": False, "n": n}
        with _errors(self.shown), httpx.Client(timeout=_TIMEOUT, headers=self.headers) as client:
            response = client.post(self.url, json=body)
            if response.status_code != 200:
                raise _refused(self.shown, response)
            try:
                data = response.json()
            except ValueError:
                data = None
        if isinstance(data, dict) and "error" in data:
            raise _server_error(data["error"])
        try:
            choices = sorted(data["choices"], key=lambda c: int(c.get("index", 0)))
            return [str((c.get("message") or {}).get("content") or "") for c in choices]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BackendError(
                f"{self.shown} answered no chat completion", hint="check --endpoint"
            ) from None

    def _body(self, messages: Sequence[Message], options: Options) -> dict[str, object]:
        body: dict[str, object] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "seed": options.seed,
        }
        if options.stop:
            body["stop"] = list(options.stop)
        if options.grammar:
            body["grammar"] = grammar.check(options.grammar)  # for llama.cpp's server
        return body


_TIMEOUT = httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)


@contextlib.contextmanager
def _errors(url: str) -> Iterator[None]:
    """httpx's failures as BackendErrors that say what to check."""
    try:
        yield
    except httpx.ConnectError:
        raise BackendError(
            f"cannot reach {url}", hint="is the server running? check --endpoint"
        ) from None
    except httpx.TimeoutException:
        raise BackendError(f"{url} timed out", hint="the server may be overloaded") from None
    except httpx.HTTPError as exc:
        raise BackendError(f"{url}: {exc}", hint="check --endpoint") from None


def _refused(url: str, response: httpx.Response) -> BackendError:
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and "error" in data:
        said = _said(data["error"])
    else:  # the first line of text in the body, tags dropped (an HTML error page)
        text = re.sub(r"<[^>]*>", " ", response.text)
        said = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return BackendError(
        f"{url} answered {response.status_code}: {said[:200]}".rstrip(": "),
        hint="check the endpoint URL and the model name",
    )


def _said(error: object) -> str:
    """An OpenAI-style error object's message ({"message": …, "code": …}), or the error."""
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return str(error)


def _server_error(error: object) -> BackendError:
    return BackendError(f"server error: {_said(error)[:300]}", hint=SERVER_HINT)


SERVER_HINT = "check the endpoint's model name and its log"


def _sse_text(lines: Iterator[str], url: str = "the endpoint") -> Iterator[str]:
    """The text deltas of a server-sent-events chat stream; anything else in it is skipped,
    and a stream with no chat chunk at all is an error (an HTML page, a JSON reply)."""
    chunks = 0
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            break
        try:
            event = json.loads(data)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        if "error" in event:
            raise _server_error(event["error"])
        choices = event.get("choices")
        if not isinstance(choices, list):
            continue
        for choice in choices:
            if not isinstance(choice, dict):
                continue
            chunks += 1
            delta = choice.get("delta")
            text = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(text, str) and text:
                yield text
    if chunks == 0:
        raise BackendError(
            f"{url} sent no chat completion stream", hint="check --endpoint (an OpenAI-style "
            "/v1/chat/completions server)",
        )  # fmt: skip

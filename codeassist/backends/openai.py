"""Any OpenAI-compatible server (llama.cpp's server, vLLM, ollama), streamed over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import httpx

from codeassist.backends import grammar
from codeassist.backends.base import Message, Options, estimate_tokens
from codeassist.errors import BackendError

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 120.0


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
        if not endpoint.startswith(("http://", "https://")):
            raise BackendError(
                f"not an HTTP URL: {endpoint}", hint="use e.g. --endpoint http://127.0.0.1:8080"
            )
        self.url = chat_url(endpoint)
        self.model = model or "default"
        self.name = f"{self.model}@{endpoint}"
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def stream(self, messages: Sequence[Message], options: Options) -> Iterator[str]:
        body: dict[str, object] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "seed": options.seed,
            "stream": True,
        }
        if options.stop:
            body["stop"] = list(options.stop)
        if options.grammar:
            body["grammar"] = grammar.check(options.grammar)  # for llama.cpp's server
        timeout = httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
        try:
            with (
                httpx.Client(timeout=timeout, headers=self.headers) as client,
                client.stream("POST", self.url, json=body) as response,
            ):
                if response.status_code != 200:
                    response.read()
                    raise BackendError(
                        f"{self.url} answered {response.status_code}: {response.text[:200]}",
                        hint="check the endpoint URL and the model name",
                    )
                yield from _sse_text(response.iter_lines())
        except httpx.ConnectError:
            raise BackendError(
                f"cannot reach {self.url}", hint="is the server running? check --endpoint"
            ) from None
        except httpx.TimeoutException:
            raise BackendError(
                f"{self.url} timed out", hint="the server may be overloaded"
            ) from None
        except httpx.HTTPError as exc:
            raise BackendError(f"{self.url}: {exc}", hint="check --endpoint") from None


def _sse_text(lines: Iterator[str]) -> Iterator[str]:
    """The text deltas of a server-sent-events chat stream."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            event = json.loads(data)
        except ValueError:
            continue
        if "error" in event:
            raise BackendError(f"server error: {event['error']}")
        for choice in event.get("choices", []):
            text = (choice.get("delta") or {}).get("content")
            if text:
                yield text

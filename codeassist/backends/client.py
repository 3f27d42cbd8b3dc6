"""A backend that talks to the resident server (`codeassist serve`) over its Unix socket."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from codeassist.backends.base import Message, Options
from codeassist.errors import BackendError, UsageError
from codeassist.serve import protocol

# Silence from the server this long, mid-request, means it is stuck (stopped, deadlocked): long
# enough for a request queued behind another's best-of-k answers on a CPU.
STREAM_TIMEOUT_S = 600.0


@dataclass
class ClientBackend:
    """Streams from the server at `path`; the server keeps the model and its KV cache warm."""

    path: Path
    name: str
    last: dict[str, Any] = field(default_factory=dict)  # the server's stats of the last request
    continues: ClassVar[bool] = True  # the server's model writes on from a final assistant message

    def stream(self, messages: Sequence[Message], options: Options) -> Iterator[str]:
        payload = {
            "op": "generate",
            "messages": protocol.messages_to_json(list(messages)),
            "options": protocol.options_to_json(options),
        }
        self.last = {}
        for answer in protocol.request(self.path, payload, STREAM_TIMEOUT_S):
            if "text" in answer:
                yield str(answer["text"])
            elif "prompt" in answer:  # the prompt's cost, before the first piece
                self.last = dict(answer["prompt"] or {})
            elif answer.get("done"):
                if not isinstance(answer.get("stats"), dict):  # our server always says them
                    raise protocol.foreign(self.path)
                self.last = dict(answer["stats"])

    def warm(self, messages: Sequence[Message]) -> dict[str, Any]:
        """Have the server evaluate (or restore) the stable prefix these system messages make,
        and save it; the server's stats (tokens, reused, restored, evaluated)."""
        payload = {"op": "warm", "messages": protocol.messages_to_json(list(messages))}
        return dict(protocol.call(self.path, payload, STREAM_TIMEOUT_S, key="stats", kind=dict))

    def complete_many(self, messages: Sequence[Message], options: Options, k: int) -> list[str]:
        """k whole answers from the server's model (candidate i at seed + i), in one request."""
        payload = {
            "op": "generate",
            "messages": protocol.messages_to_json(list(messages)),
            "options": protocol.options_to_json(options),
            "n": k,
        }
        answer = protocol.call(self.path, payload, STREAM_TIMEOUT_S)
        self.last = dict(answer.get("stats") or {})
        candidates = answer.get("candidates")
        if not isinstance(candidates, list) or len(candidates) != k:
            raise BackendError(
                "the codeassist server answered no candidates",
                hint="it may be older than this client: restart it with `codeassist serve`",
            )
        return [str(c) for c in candidates]

    def count_tokens(self, text: str) -> int:
        return int(protocol.call(self.path, {"op": "count_tokens", "text": text}, key="tokens",
                                 kind=int))  # fmt: skip

    def status(self) -> dict[str, Any]:
        return dict(protocol.call(self.path, {"op": "status"}, key="status", kind=dict))


def find(spec: str) -> ClientBackend | None:
    """The server for model `spec` when one is running (about a millisecond when none is);
    None too where no private runtime folder can be had: then no server of ours runs."""
    try:
        path = protocol.socket_path(spec)
    except (UsageError, OSError):  # no private runtime folder here (a read-only one)
        return None
    if not protocol.alive(path):
        return None
    return ClientBackend(path, spec)

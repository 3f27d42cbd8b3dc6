"""Checks on every request the server reads: sizes, nesting, types, ranges (docs/protocol.md).

Each check raises BadRequest with one line for the client; nothing here touches the model.
Unknown fields are refused, so a misspelt option fails loudly instead of being ignored.
"""

from __future__ import annotations

import array
import json
import math
import re
from collections.abc import Callable
from itertools import accumulate
from typing import Any

from codeassist.backends import grammar as gbnf
from codeassist.backends.base import Message, Options
from codeassist.errors import UsageError

MAX_LINE = 8 * 1024 * 1024  # bytes in one request line
MAX_DEPTH = 16  # JSON nesting; a well-formed request needs 3
MAX_TEXT = 4 * 1024 * 1024  # bytes of all message contents (or a count_tokens text)
MAX_MESSAGES = 256
MAX_STOPS = 16
MAX_STOP_CHARS = 64
MAX_TEMPERATURE = 2.0
MAX_SEED = 2**32 - 1  # llama.cpp takes a uint32
ROLES = ("system", "user", "assistant")
FIELDS = {
    "generate": {"op", "messages", "options", "n"},
    "warm": {"op", "messages"},
    "count_tokens": {"op", "text"},
    "status": {"op"},
    "stop": {"op"},
}

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_OTHER = bytes(b for b in range(256) if b not in b"[]{}")  # every byte but brackets
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # as signed bytes: +1, +1, -1, -1


class BadRequest(ValueError):
    """A request the server refuses; its text is the reply's error line."""


def json_depth(line: bytes) -> int:
    """How deeply the JSON in `line` nests, from its brackets outside strings (no recursion)."""
    brackets = _STRING.sub(b"", line).translate(None, _OTHER)
    steps = array.array("b", brackets.translate(_STEPS))  # +1 for each opening, -1 closing
    return max(accumulate(steps), default=0)


def _no_constant(name: str) -> Any:
    raise BadRequest(f"{name} is not JSON")


def request_line(line: bytes) -> dict[str, Any]:
    """The request object in one line, refused when too long, too deep or not a known op."""
    if len(line) > MAX_LINE:
        raise BadRequest(f"request line longer than {MAX_LINE} bytes")
    if line.count(b"[") + line.count(b"{") > MAX_DEPTH and json_depth(line) > MAX_DEPTH:
        raise BadRequest(f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        req = json.loads(line, parse_constant=_no_constant)
    except RecursionError:  # brackets the scan above could not pair: still refused, not a crash
        raise BadRequest(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except UnicodeDecodeError:
        raise BadRequest("a request is UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"not JSON ({exc.msg} at byte {exc.pos})") from None
    if not isinstance(req, dict):
        raise BadRequest("a request is a JSON object")
    op = req.get("op")
    if not isinstance(op, str) or op not in FIELDS:
        raise BadRequest(f"unknown op {op!r} (one of {', '.join(FIELDS)})")
    fields("request", req, FIELDS[op])
    return req


def fields(name: str, obj: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    """`obj` itself when it has no field outside `allowed`."""
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise BadRequest(f"unknown field in {name}: {unknown[0][:40]!r}")
    return obj


def integer(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}")
    return value


def number(name: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(f"{name} must be a number from {low} to {high}")
    if not (math.isfinite(value) and low <= value <= high):
        raise BadRequest(f"{name} must be a number from {low} to {high}")
    return float(value)


def text(name: str, value: object, max_bytes: int) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise BadRequest(f"{name} is not valid UTF-8 text") from None
    if size > max_bytes:
        raise BadRequest(f"{name} longer than {max_bytes} bytes")
    return value


def candidates(value: object, most: int) -> int:
    """`n` of a `generate`: how many whole answers, up to the model's max_candidates."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise BadRequest(f"n must be an integer from 1 to {most} (the server's max_candidates)")
    return value


def stops(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_STOPS:
        raise BadRequest(f"stop must be a list of at most {MAX_STOPS} strings")
    for item in value:
        if not isinstance(item, str) or not 0 < len(item) <= MAX_STOP_CHARS:
            raise BadRequest(f"each stop must be a string of 1 to {MAX_STOP_CHARS} characters")
        text("stop", item, 4 * MAX_STOP_CHARS)
    return tuple(value)


def grammar(value: object) -> str | None:
    if value is None or value == "":
        return None
    try:
        return gbnf.check(text("grammar", value, gbnf.MAX_BYTES))
    except UsageError as exc:
        raise BadRequest(exc.message) from None


def messages(value: object) -> list[Message]:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_MESSAGES:
        raise BadRequest(f"messages must be a list of 1 to {MAX_MESSAGES} messages")
    out, total = [], 0
    for m in value:
        if not isinstance(m, dict):
            raise BadRequest('each message is {"role": …, "content": …}')
        fields("a message", m, {"role", "content"})
        role = m.get("role")
        if role not in ROLES:
            raise BadRequest(f"a message's role is one of {', '.join(ROLES)}")
        content = text("content", m.get("content"), MAX_TEXT)
        total += len(content.encode("utf-8"))
        if total > MAX_TEXT:
            raise BadRequest(f"messages longer than {MAX_TEXT} bytes together")
        out.append(Message(str(role), content))
    return out


def options(value: object, n_ctx: int) -> Options:
    """Options from the request: each known key checked by its rule, defaults for the rest."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise BadRequest("options must be an object")
    rules: dict[str, Callable[[object], object]] = {
        "max_tokens": lambda v: integer("max_tokens", v, 1, n_ctx),
        "temperature": lambda v: number("temperature", v, 0.0, MAX_TEMPERATURE),
        "seed": lambda v: integer("seed", v, 0, MAX_SEED),
        "stop": stops,
        "grammar": grammar,
    }
    fields("options", value, set(rules))
    return Options(**{key: rules[key](v) for key, v in value.items()})  # type: ignore[arg-type]

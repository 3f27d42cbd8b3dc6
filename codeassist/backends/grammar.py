"""Bounds on a GBNF grammar before llama.cpp parses it.

llama.cpp's grammar parser recurses once per nested group, so a grammar of a few hundred
kilobytes of "(" overflows its stack and kills the process. Every path that hands a user's
grammar to llama.cpp (in-process, the resident server, an --endpoint) calls `check` first.
"""

from __future__ import annotations

import re

from codeassist.errors import UsageError

MAX_BYTES = 64 * 1024  # real grammars (JSON schemas, small languages) are a few kilobytes
MAX_DEPTH = 32  # nested groups; hand-written and generated grammars stay under 10

# What the depth scan skips (strings, character classes, comments) or counts (parentheses).
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|\[(?:[^\]\\]|\\.)*\]?|#[^\n]*|[()]', re.DOTALL)
_HINT = "see docs/protocol.md (grammar limits)"


def depth(text: str) -> int:
    """The deepest nesting of groups, outside quoted strings, character classes and comments."""
    deepest = level = 0
    for token in _TOKEN.finditer(text):
        mark = token.group()
        if mark == "(":
            level += 1
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                break  # deep enough to refuse; no need to read the rest
        elif mark == ")":
            level = max(0, level - 1)
    return deepest


def check(text: str) -> str:
    """The grammar itself when it is within the size and nesting bounds; UsageError when not."""
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise UsageError("grammar is not valid UTF-8 text", hint=_HINT) from None
    if size > MAX_BYTES:
        raise UsageError(f"grammar too large: {size} bytes, at most {MAX_BYTES}", hint=_HINT)
    if "\0" in text:
        raise UsageError("grammar contains a NUL character", hint=_HINT)
    deepest = depth(text)
    if deepest > MAX_DEPTH:
        raise UsageError(f"grammar nested too deep: over {MAX_DEPTH} levels", hint=_HINT)
    return text

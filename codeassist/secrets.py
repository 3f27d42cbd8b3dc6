"""Secrets in text: known credential formats, and values bound to secret-like names.

One detector for both places that need one: review flags the secrets a change adds
(review/secrets.py), and the context engine redacts them before a file is parsed
(ctx/pool.py). The rules are tables (secret_rules.py: FORMATS, the name words, PLACEHOLDER), like
the risk rules; tests/data/secrets_corpus.toml holds secrets and the look-alikes to keep.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from functools import cache
from typing import NamedTuple

from codeassist.secret_rules import (
    ANCHORS,
    FORMATS,
    KEY_PREFIXES,
    NOT_SECRET_ENDINGS,
    NOT_SECRET_WORDS,
    PASSWORD_WORDS,
    PLACEHOLDER,
    SECRET_WORDS,
)

REDACTED = "«redacted»"
ENTROPY_MIN = 3.5  # bits per character: random base64 tokens score above, words below
HEX_ENTROPY_MIN = 3.0  # hex has 4 bits a character at most
TOKEN_MIN = 16  # shortest value bound to a token or key name taken for a secret
PASSWORD_MIN = 8  # shortest value bound to a password name taken for a secret
WORDY = 0.6  # a value this much made of words (PKCS7PrivateKeyTypes) is a name, not a token


_FORMATS = tuple((w, re.compile(p), s, j) for w, p, s, j in FORMATS)
_ANCHORS = tuple(map(re.compile, ANCHORS))

# `name = "value"`, `NAME: str = "value"`, `"name": "value"`, `name: value`, `NAME=value`,
# `f(key="value")`, `["name"] = "value"`: the value quoted, or bare up to a space or comma
# (and not a call or an index: that is code).
_BOUND = re.compile(
    r"""(?<![\w.-])(?P<name>[A-Za-z_][\w.-]{0,80})["'`]?\]?"""
    r"""(?:[^\S\n]*:[^\S\n]*[A-Za-z_&*][\w.\[\], |&*<>']{0,40}?(?=[^\S\n]*=[^=]))?"""
    r"""[^\S\n]*(?::=|=>|==?|:)[^\S\n]*"""
    r"""(?:[rbuRBU]{0,2}(?P<q>["'`])(?P<quoted>[^"'`\n]{1,300}?)(?P=q)"""
    r"""|(?P<bare>[^\s"'`,;(){}\[\]]{1,300}+)(?![(\[]))"""
)
# A column's DEFAULT in a CREATE TABLE: `password TEXT NOT NULL DEFAULT 'value'`.
_SQL_DEFAULT = re.compile(
    r"""(?<![\w.-])(?P<name>[A-Za-z_]\w{0,80})[^\S\n]+[A-Za-z]\w*(?:\([^)\n]{0,20}\))?"""
    r"""(?:[^\S\n]+(?:NOT[^\S\n]+)?NULL)?[^\S\n]+DEFAULT[^\S\n]+'(?P<quoted>[^'\n]{1,300})'""",
    re.IGNORECASE,
)
_NAME_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_WORDS = re.compile(r"[A-Z]?[a-z]{3,}")
_BARE = re.compile(r"[A-Za-z0-9+/=_.~!@#$%^&*-]+")
_IDENTIFIER = re.compile(r"[A-Za-z]*_\w*")
_HEX = re.compile(r"[0-9a-fA-F-]+")
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
# A key block's body: base64 and header lines, plain or with \n escapes, up to its END
# line or the first character a key does not hold.
_KEY_BLOCK = re.compile(
    rb"(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)"
    rb"((?:[A-Za-z0-9+/=\s,:.-]|\\{1,2}n)*?)(?=-----END |[^A-Za-z0-9+/=\s,:.\\-]|\\(?!\\?n)|\Z)"
)
_KEY_CHARS = re.compile(rb"[A-Za-z0-9+/=]")
KEY_BODY_MIN = 16  # base64 characters after a BEGIN line that make it a key, not a mention


class Hit(NamedTuple):
    """One secret in a text: what it is, where its value is, and the name it is bound to."""

    what: str
    start: int
    end: int
    severity: str
    name: str = ""  # the name a value is bound to; "" for a known format

    def value(self, text: str) -> str:
        return text[self.start : self.end]


@cache
def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def secret_name(name: str) -> str:
    """What a name says it holds: "password", "secret" (API_KEY, clientSecret) or ""."""
    words = [w.lower() for w in _NAME_WORDS.findall(name)]
    if not words or words[-1] in NOT_SECRET_ENDINGS or not NOT_SECRET_WORDS.isdisjoint(words):
        return ""
    if "_".join(words[-2:]) in NOT_SECRET_ENDINGS:
        return ""
    for i, word in enumerate(words):
        if word in PASSWORD_WORDS:
            return "password"
        pair = word + words[i + 1] if i + 1 < len(words) else ""
        if word in SECRET_WORDS or pair in SECRET_WORDS:
            return "secret"
        if word in KEY_PREFIXES and pair == word + "key":
            return "secret"
    return "secret" if words[-1] == "key" else ""  # `key=`, a deploy key: a random value is one


def looks_random(value: str, *, quoted: bool = True, password: bool = False) -> bool:
    """A value that could be a credential: not a placeholder, a word, a name or a path.

    A password need not be random, only more than a word: a digit or a symbol does.
    """
    if len(value) < (PASSWORD_MIN if password else TOKEN_MIN) or PLACEHOLDER.search(value):
        return False
    if _DOTTED.fullmatch(value) or "://" in value or value.startswith(("/", "./", "~")):
        return False
    if " " in value or not any(c.isalpha() for c in value) or len(set(value)) < 6:
        return False
    if not quoted and (not _BARE.fullmatch(value) or _IDENTIFIER.fullmatch(value)):
        return False  # code: a call, an expression, a variable
    if password:
        return any(c.isdigit() or c in "!#$%&*+=?@^~" for c in value)
    if not any(c.isdigit() for c in value):
        return False
    if sum(map(len, _WORDS.findall(value))) >= WORDY * len(value):
        return False
    least = HEX_ENTROPY_MIN if _HEX.fullmatch(value) else ENTROPY_MIN
    return entropy(value) >= min(least, math.log2(len(value)) - 0.5)


def _anchored(data: bytes) -> list[int]:
    """Offsets in `data` where a secret may start (a superset: the rules decide)."""
    low = data.lower()
    return [m.start() for pattern in _ANCHORS for m in pattern.finditer(low)]


def _format_hits(text: str) -> list[Hit]:
    hits: list[Hit] = []
    for what, pattern, severity, judge in _FORMATS:
        group = "secret" if "secret" in pattern.groupindex else 0
        for m in pattern.finditer(text):
            value = m.group(group)
            if judge and PLACEHOLDER.search(value):
                continue
            if judge == "random" and not looks_random(value):
                continue
            if judge == "password" and not looks_random(value, password=True):
                continue
            if judge == "basic" and not _user_and_password(value):
                continue
            hits.append(Hit(what, m.start(group), m.end(group), severity))
    return hits


def _user_and_password(value: str) -> bool:
    """Whether a `Basic` credential decodes to `user:password`, as HTTP basic auth sends it."""
    import base64
    import binascii

    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    user, colon, password = decoded.partition(b":")
    return bool(colon and password) and decoded.isascii() and decoded.decode().isprintable()


def _bound_hits(text: str) -> list[Hit]:
    hits: list[Hit] = []
    matches = [*_BOUND.finditer(text), *_SQL_DEFAULT.finditer(text)]
    for m in matches:
        name = m.group("name")
        quoted = m.group("quoted") is not None
        group = "quoted" if quoted else "bare"
        kind = secret_name(name)
        if kind and looks_random(m.group(group), quoted=quoted, password=kind == "password"):
            what = f"high-entropy value assigned to {name}"
            hits.append(Hit(what, m.start(group), m.end(group), "error", name))
    return hits


def find(text: str) -> list[Hit]:
    """The secrets in `text` (a line, or lines), in order, none overlapping."""
    if not _anchored(text.encode("utf-8", errors="surrogateescape")):
        return []
    kept: list[tuple[int, int]] = []  # spans taken, in order (they never overlap)
    hits: list[Hit] = []
    for hit in _format_hits(text) + _bound_hits(text):  # a known format wins
        at = bisect.bisect(kept, (hit.start, hit.end))
        if (at and kept[at - 1][1] > hit.start) or (at < len(kept) and kept[at][0] < hit.end):
            continue
        kept.insert(at, (hit.start, hit.end))
        hits.append(hit)
    return sorted(hits, key=lambda h: h.start)


def redact(data: bytes) -> tuple[bytes, int]:
    """File contents with every secret value replaced by REDACTED; and how many there were.

    A private key block loses its whole body (its line breaks stay). Only the lines holding
    an anchor are decoded and judged; bytes that are not UTF-8 pass through unchanged.
    """
    count = 0
    if b"PRIVATE KEY-----" in data:
        data, count = _redact_key_blocks(data)
    parts: list[bytes] = []
    done = 0  # the end of the last line looked at
    for at in sorted(_anchored(data)):
        if at < done:
            continue  # on a line already looked at
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end
        line, found = _redact_line(data[start:end].decode("utf-8", errors="surrogateescape"))
        if found:
            parts += [data[done:start], line.encode("utf-8", errors="surrogateescape")]
            count += found
        else:
            parts.append(data[done:end])
        done = end
    return b"".join(parts) + data[done:], count


def _redact_line(line: str) -> tuple[str, int]:
    hits = [h for h in find(line) if h.what != "private key"]
    pieces: list[str] = []
    at = 0
    for hit in hits:
        pieces += [line[at : hit.start], REDACTED]
        at = hit.end
    return "".join(pieces) + line[at:], len(hits)


def redact_text(text: str) -> str:
    """`text` with its secret values redacted (see `redact`)."""
    clean, _ = redact(text.encode("utf-8", errors="surrogateescape"))
    return clean.decode("utf-8", errors="surrogateescape")


def _redact_key_blocks(data: bytes) -> tuple[bytes, int]:
    count = 0

    def body(m: re.Match[bytes]) -> bytes:
        nonlocal count
        if len(_KEY_CHARS.findall(m.group(2))) < KEY_BODY_MIN:
            return m.group(0)  # a BEGIN line alone: code that looks for keys, not a key
        count += 1
        return m.group(1) + REDACTED.encode() + b"\n" * m.group(2).count(b"\n")

    return _KEY_BLOCK.sub(body, data), count

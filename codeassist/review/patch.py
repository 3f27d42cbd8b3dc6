"""git's plain unified diff: hunks and added lines, one file's part of a longer patch."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_HEADER = b"diff --git "
_LETTERS = {7: b"a", 8: b"b", 9: b"t", 10: b"n", 11: b"v", 12: b"f", 13: b"r", 0x22: b'"',
            0x5C: b"\\"}  # fmt: skip


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int


def parse_patch(patch: bytes) -> tuple[list[Hunk], list[tuple[int, bytes]]]:
    """Hunks and added lines (new line numbers) of one file's unified diff.

    Each hunk is read for as many lines as its header counts, so header lines of a following
    part (`+++ b/x`) are never taken for added lines, and an empty line inside a hunk is an
    empty context line (git writes it so with diff.suppressBlankEmpty).
    """
    hunks: list[Hunk] = []
    added: list[tuple[int, bytes]] = []
    line_no = old_left = new_left = 0
    for raw in patch.split(b"\n"):
        m = _HUNK.match(raw)
        if m:
            o, ol, n, nl = m.groups()
            hunk = Hunk(int(o), int(ol or b"1"), int(n), int(nl or b"1"))
            hunks.append(hunk)
            line_no, old_left, new_left = hunk.new_start, hunk.old_len, hunk.new_len
        elif old_left <= 0 and new_left <= 0:
            continue  # outside a hunk
        elif raw.startswith(b"+"):
            added.append((line_no, raw[1:]))
            line_no, new_left = line_no + 1, new_left - 1
        elif raw.startswith(b"-"):
            old_left -= 1
        elif raw.startswith(b" ") or raw == b"":
            line_no, old_left, new_left = line_no + 1, old_left - 1, new_left - 1
    return hunks, added


def quote(name: bytes) -> bytes:
    """A path as git writes it in a patch header with core.quotePath=false."""
    if not any(b < 0x20 or b in (0x22, 0x5C, 0x7F) for b in name):
        return name
    out = bytearray(b'"')
    for b in name:
        if b in _LETTERS:
            out += b"\\" + _LETTERS[b]
        elif b < 0x20 or b == 0x7F:
            out += b"\\%03o" % b
        else:
            out.append(b)
    return bytes(out + b'"')


def header(old_path: bytes, new_path: bytes) -> bytes:
    """The `diff --git` line git writes for a file (prefixes a/ and b/)."""
    return _HEADER + quote(b"a/" + old_path) + b" " + quote(b"b/" + new_path)


def split(patch: bytes) -> dict[bytes, bytes]:
    """A multi-file patch cut at its `diff --git` lines, keyed by that line.

    A type change (file to symlink) comes as two parts under one header: they are joined
    (parse_patch reads each hunk by its counts, so the second part's header is skipped).
    """
    parts: dict[bytes, bytes] = {}
    for chunk in (b"\n" + patch).split(b"\n" + _HEADER)[1:]:
        first, _, body = chunk.partition(b"\n")
        key = _HEADER + first
        parts[key] = parts[key] + b"\n" + body if key in parts else body
    return parts

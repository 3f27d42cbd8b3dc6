"""A model caught in a loop: the same piece of a command written over and over.

At temperature 0 a small model can fall into a fixed point and repeat a fragment until it
runs out of tokens (`find . -perm -o -perm -o -perm -o ...`, `stat -c "%Y %Y %Y ...`,
`| grep -v '^$' | grep -v '^$' ...`): seen on about one shell answer in seventy from
qwen2.5-coder-1.5b, each costing the whole token budget (15-30 s on a laptop CPU) and never
what was asked. A shell command has no reason to hold one fragment five times in a row, so the
pipeline stops decoding there (`looping`) and the `shell.loop` check sends it back.

Only shell: Python and SQL repeat fragments on purpose (a row of zeros, `?, ?, ?` placeholders).
"""

from __future__ import annotations

import re

from codeassist.terminal import one_line
from codeassist.verify import Check

MIN_REPEATS = 5  # the fragment and four more copies of it, back to back
MIN_SPAN = 40  # characters the copies cover: short runs (`-v -v`, `../../..`) are normal
MAX_UNIT = 160  # longest fragment looked for: a repeated comment line can be long
# `repeated` reads this much of a text: an answer is far shorter (512 tokens is about 2,000
# characters), and a long script of the user's (`codeassist check`) costs 0.2 s at most.
SCAN_CHARS = 16_000

_RUN = re.compile(rf"(.{{2,{MAX_UNIT}}}?)\1{{{MIN_REPEATS - 1},}}", re.S)


def repeated(text: str) -> tuple[str, int] | None:
    """The first fragment that `text` (its first SCAN_CHARS) repeats back to back often enough
    to be a loop, and how many times; None when there is none."""
    for match in _RUN.finditer(text[:SCAN_CHARS]):
        unit = match.group(1)
        count = len(match.group(0)) // len(unit)
        if _loop(unit, count):
            return unit, count
    return None


def looping(reply: str) -> bool:
    """The reply being decoded ends in a loop: for some fragment length p, its last
    `_copies(p) * p` characters repeat with period p (the last copy may be cut short)."""
    for p in range(2, MAX_UNIT + 1):
        n = _copies(p) * p
        if n > len(reply):
            break
        tail = reply[-n:]
        if tail[p:] == tail[:-p] and _loop(tail[:p], n // p):
            return True
    return False


def _copies(unit: int) -> int:
    """How many copies of a fragment this long make a loop."""
    return max(MIN_REPEATS, -(-MIN_SPAN // unit))


def _loop(unit: str, count: int) -> bool:
    """Enough copies, and a fragment with two different visible characters (`----` or
    `a a a` is not a loop)."""
    return count >= _copies(len(unit)) and len(set("".join(unit.split()))) >= 2


def check(code: str) -> Check:
    found = repeated(code)
    if found is None:
        return Check("shell.loop", True, "")
    unit, count = found
    return Check(
        "shell.loop",
        False,
        f"the command repeats `{one_line(unit.strip())}` {count} times in a row; "
        "write it once, without the repetition",
    )

"""What quoted and escaped text stands for, as bash reads it.

`$'…'` (and printf's format) by its C escapes, double quotes and a here-document under a bare
delimiter by the few characters a backslash escapes there: `"\\`date\\`"` is the text `date` in
backquotes, for a shell that reads it again (`sh -c "…"`) to run.
"""

from __future__ import annotations

import re

# what a backslash escapes in double quotes (a newline it escapes is gone), and in a
# here-document with a bare delimiter (`"` is not escaped there)
DOUBLE_QUOTED = re.compile(r'\\([$`"\\]|\n)')
HEREDOC = re.compile(r"\\([$`\\]|\n)")


def unescape_double(quoted: str, escapes: re.Pattern[str] = DOUBLE_QUOTED) -> str:
    """What the text between double quotes stands for: `\\`` is a backquote, `\\$` a dollar."""
    return escapes.sub(lambda m: "" if m[1] == "\n" else m[1], quoted)


_ANSI = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
         "e": "\x1b", "E": "\x1b", "\\": "\\", "'": "'", '"': '"', "?": "?"}  # fmt: skip


def unescape_ansi(quoted: str) -> str:
    """What `$'…'` (or printf's format) stands for: `\\x20` is a space, `\\n` a newline."""

    def one(m: re.Match[str]) -> str:
        if m[2] or m[3]:
            return chr(int(m[2], 16) if m[2] else int(m[3], 8))
        return _ANSI.get(m[1], "\\" + m[1])

    return re.sub(r"\\(x([0-9a-fA-F]{1,2})|0?([0-7]{1,3})|.)", one, quoted)

"""One sanitizer for text that reaches a terminal from a model, a file or a database.

Standard library only, so any command (and the core) can import it at no cost. Nothing is
dropped: each dangerous character becomes its visible escape (`\\x1b`, `\\x9b`, `\\u202e`), so
the user sees that something was there, and an escape sequence loses the introducer that made
it one (`ESC]52;c;…BEL` prints as `\\x1b]52;c;…\\x07`: no clipboard write, no title change).
"""

from __future__ import annotations

import re

# On a terminal: C0 controls but tab and newline (a carriage return only when a newline does
# not follow it: CR LF ends a line, a lone CR overwrites it), DEL, C1 (8-bit CSI U+009B,
# OSC U+009D...), the bidi controls that reorder what is shown ("Trojan Source"), invisible
# characters that hide text, and lone surrogates (undecodable file names; unprintable).
_TERMINAL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]|\r(?!\n)"
)
# Piped (bare code for a script): keep the bytes, but no raw ESC or C1 introducer, so an
# escape sequence cannot act when the output lands in a terminal or a pager after all.
_PIPED = re.compile("[\x1b\x80-\x9f\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def sanitize(text: str, *, piped: bool = False) -> str:
    """`text` safe to print: control characters and escape sequences made visible.

    With `piped` (stdout is not a terminal), only ESC, C1 and lone surrogates are replaced:
    tabs, carriage returns and Unicode stay byte for byte.
    """
    pattern = _PIPED if piped else _TERMINAL
    if pattern.search(text) is None:  # the fast path: nearly all text
        return text
    return pattern.sub(_visible, text)


_LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def hidden(text: str) -> str | None:
    """The first character that `sanitize` would show escaped (a control, bidi or invisible
    one), as it shows it; None when the text is what it looks like."""
    found = _TERMINAL.search(text)
    return None if found is None else _visible(found)


def one_line(text: str) -> str:
    """`text` on one line, safe to print: every control character (newline and tab too) and
    the Unicode line separators made visible, then `sanitize`d. For names that come from
    files or databases inside a line of ours: a newline there would print a forged line."""
    return sanitize(_LINE_BREAKING.sub(_visible, text))

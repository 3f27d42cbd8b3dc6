"""Copy an answer: a clipboard tool when one can reach a display, else the terminal (OSC 52)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from typing import TextIO


def copy_to_clipboard(
    text: str, environ: dict[str, str] | None = None, terminal: TextIO | None = None
) -> str:
    """Copy with wl-copy or xclip when they can reach a display, else OSC 52; says how.

    What is copied is what the terminal showed: control characters stay visible escapes, so
    a pasted answer cannot end a bracketed paste (`ESC[201~`) and type the rest as keys.
    """
    from codeassist.terminal import sanitize

    text = sanitize(text)
    env = os.environ if environ is None else environ
    out = sys.stdout if terminal is None else terminal
    tools = [("WAYLAND_DISPLAY", ["wl-copy"]), ("DISPLAY", ["xclip", "-selection", "clipboard"])]
    for var, argv in tools:
        if env.get(var) and shutil.which(argv[0]):
            proc = subprocess.run(argv, input=text, text=True, capture_output=True, timeout=5)
            if proc.returncode == 0:
                return f"copied with {argv[0]}"
    if out.isatty():
        payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
        out.write(f"\x1b]52;c;{payload}\x07")
        out.flush()
        return "copied through the terminal (OSC 52; your terminal must allow it)"
    return "cannot copy here: no wl-copy or xclip with a display, and no terminal"

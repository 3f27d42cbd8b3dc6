"""Paths under the working directory written absolute, where the request named none.

The prompt shows the working directory as context and asks for relative paths, yet a small
model still copies it into one answer in ten (qwen2.5-coder-1.5b, the shell benchmark):
`find /home/ada/project -name x` for "find x here", `cat /home/ada/project/notes.txt`. Run in
that directory, the relative command does the same thing, and it is the one the user can read,
reuse and paste elsewhere; `find .` also prints the paths the user expects (`./x`). So the
check fails on such a path, and `relative` is the certain fix: `<cwd>/x` becomes `x`, and
`<cwd>` alone becomes `.`; a command that began by going there (`cd <cwd> && tox -e docs`,
`cd <cwd>` on a line of its own) begins with the next one. A request that itself names the
directory keeps it.
"""

from __future__ import annotations

import re
from pathlib import Path

from codeassist.verify import Check, Subject

NAME = "shell.paths"
_END = r"""(?=$|[\s'"`;|&()<>])"""  # where a word ends
_STAY = re.compile(r"\A[ \t]*cd[ \t]+\.[ \t]*(?:&&|;|\n)\s*(?=\S)")  # `cd .` first: a no-op


def _spellings(cwd: Path) -> list[str]:
    """The ways the directory may be written (as given, resolved), longest first; none for /."""
    found = {str(cwd), str(cwd.resolve())} - {"/", ""}
    return sorted((s.rstrip("/") for s in found), key=len, reverse=True)


def _pattern(cwd: Path) -> re.Pattern[str] | None:
    spellings = _spellings(cwd)
    if not spellings:
        return None
    either = "|".join(re.escape(s) for s in spellings)
    return re.compile(rf"(?<![\w./~-])(?:{either})(?:(/)(?=[^\s'\"`;|&()<>/])|/?{_END})")


def _found(subject: Subject) -> re.Pattern[str] | None:
    """The pattern of the working directory, when the code writes a path under it absolute
    and the request did not; else None."""
    if subject.cwd is None or (pattern := _pattern(subject.cwd)) is None:
        return None
    if not pattern.search(subject.code):
        return None
    if any(s in subject.request for s in _spellings(subject.cwd)):
        return None
    return pattern


def check(subject: Subject) -> Check:
    if _found(subject) is None:
        return Check(NAME, True, "")
    return Check(
        NAME, False,
        f"names files by the working directory's absolute path ({subject.cwd}); the command "
        "runs there: use paths relative to it",
    )  # fmt: skip


def relative(subject: Subject) -> str | None:
    """The code with the working directory's absolute paths made relative (None: nothing to
    change)."""
    pattern = _found(subject)
    if pattern is None:
        return None
    fixed = _STAY.sub("", pattern.sub(lambda m: "" if m.group(1) else ".", subject.code))
    return fixed if fixed != subject.code else None

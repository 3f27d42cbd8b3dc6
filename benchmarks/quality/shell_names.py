"""The names NL2Bash commands look for, so the fixture holds something for them to find.

From every command of the split (not only the judgeable ones, so the tree does not depend on
which are): the patterns of `find -name/-iname` made into a file name (`*` as `sample`, `?`
as `x`), the plain file operands of commands that read files (`sort set1`, `comm a b`), the
folders `find` starts from, and the words `grep` searches for (written into `matches.txt`).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

READERS = {
    "cat", "sort", "comm", "diff", "join", "wc", "head", "tail", "tac", "uniq", "nl", "paste",
    "md5sum", "zcat", "split", "perl", "cut", "rev", "fold", "xxd", "od",
}  # fmt: skip
_PLAIN = re.compile(r"^[A-Za-z0-9_][\w.-]{0,40}$")
_WORD = re.compile(r"^[A-Za-z][\w ]{2,30}$")
SEPARATORS = {"|", ";", "&&", "||", "(", ")", "{", "}", "$(", "`", "<(", ">"}


@dataclass
class Names:
    files: set[str] = field(default_factory=set)
    dirs: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)


def _words(command: str) -> list[str]:
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars="|;&()<>`")
        lexer.whitespace_split = True
        return list(lexer)
    except ValueError:
        return []


def from_pattern(pattern: str) -> str | None:
    """A file name `find -name pattern` matches, or None when the pattern is not simple."""
    if not pattern or any(c in pattern for c in "[]/{}$\\\"'“”") or pattern in ("*", "."):
        return None
    name = pattern.replace("*", "sample").replace("?", "x")
    return name if _PLAIN.match(name) else None


def names(commands: list[str]) -> Names:
    """What the commands name (see the module's docstring)."""
    found = Names()
    for command in commands:
        words = _words(command)
        program = ""
        for i, word in enumerate(words):
            before = words[i - 1] if i else ""
            if i == 0 or before in SEPARATORS or set(before) <= set("|;&()<>`"):
                program = word
                continue
            if before in ("-name", "-iname") and (made := from_pattern(word)):
                found.files.add(made)
            elif program == "find" and before == "find" and _PLAIN.match(word.rstrip("/")):
                found.dirs.add(word.rstrip("/"))
            elif program in READERS and _PLAIN.match(word) and not word[0].isdigit():
                found.files.add(word)
            elif program in ("grep", "egrep", "fgrep") and not word.startswith("-"):
                if _WORD.match(word) and not before.startswith("-"):
                    found.words.add(word)
    found.files -= {"README", "file"}  # the fixture's own
    return found

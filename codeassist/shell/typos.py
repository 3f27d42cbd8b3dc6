"""Mistyped program names (`gti status`), corrected from the programs on PATH, without a model.

A word in command position that names no program on PATH, no builtin and no path is compared
with every program on PATH by Damerau distance (adjacent transpositions cost 1): a unique
closest program within distance 1 (2 for words of five letters or more) replaces just that word.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

# Builtins and keywords of bash, zsh and fish: found without PATH, so never typos.
BUILTINS = frozenset(
    "! . : [ [[ ]] { } alias and begin bg bind break builtin caller case cd command compgen "
    "complete continue declare dirs disown do done echo elif else emulate end enable esac eval "
    "exec exit export false fc fg fi for function functions getopts hash help history if jobs "
    "kill let local logout not or popd printf pushd pwd read readonly return select set shift "
    "shopt source string suspend switch test then time times trap true type typeset ulimit "
    "umask unalias unset until wait whence where which while".split()
)
# Wrappers whose next word is the program that runs (their own options are skipped).
WRAPPERS = frozenset({"sudo", "doas", "env", "nohup", "time", "command", "exec", "nice", "xargs"})
_SEPARATORS = ("&&", "||", "|&", "$(", "|", ";", "&", "(", "`", "\n", "{", "!")
_AT_START = frozenset({"{", "!"})  # separators only where a command starts
_TAKES_VALUE = frozenset({"-u", "-g", "-n", "-C", "-I", "-s"})  # sudo -u root, nice -n 5…
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_PLAIN = re.compile(r"[A-Za-z0-9_.+-]+")


@dataclass(frozen=True)
class Word:
    """A word of the command line in command position, and where it stands."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Typo:
    """A mistyped program, its replacement, and the corrected command line."""

    word: str
    program: str
    command: str


def correct(command: str, path: str | None = None) -> Typo | None:
    """The command with its one mistyped program replaced, or None when no fix is certain."""
    programs = path_programs(os.environ.get("PATH", "") if path is None else path) | BUILTINS
    for word in command_words(command):
        name = word.text
        if name in programs or name in BUILTINS or not _PLAIN.fullmatch(name):
            continue
        best = closest(name, programs)
        if best is None:
            return None  # the unknown program has no unique near name: the model decides
        fixed = command[: word.start] + best + command[word.end :]
        return Typo(name, best, fixed)
    return None


def candidates(word: str, path: str | None = None) -> list[str]:
    """Programs on PATH near `word`, best first (for the model when no fix is certain)."""
    programs = path_programs(os.environ.get("PATH", "") if path is None else path) | BUILTINS
    ranked = sorted((_rank(word, p), p) for p in _near(word, programs))
    return [p for rank, p in ranked if rank[0] <= _limit(word)][:5]


def closest(word: str, programs: frozenset[str]) -> str | None:
    """The unique best program within the distance allowed for `word`, else None."""
    ranked = sorted((_rank(word, p), p) for p in _near(word, programs))
    ranked = [(rank, p) for rank, p in ranked if rank[0] <= _limit(word)]
    if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
        return None
    return ranked[0][1]


def command_words(command: str) -> list[Word]:
    """Words where a program name stands: the first of each simple command, past assignments
    and wrappers such as sudo (and their options)."""
    words: list[Word] = []
    expect, skip, i = True, False, 0
    while i < len(command):
        if command[i] in " \t":
            i += 1
            continue
        sep = next((s for s in _SEPARATORS if command.startswith(s, i)), None)
        if sep and (expect or sep not in _AT_START):
            expect, skip, i = True, False, i + len(sep)
            continue
        start, i = i, _word_end(command, i)
        text = command[start:i]
        if not expect or skip or _ASSIGNMENT.match(text):
            skip = False
            continue
        if text in WRAPPERS or text.startswith("-"):
            skip = text in _TAKES_VALUE
            continue
        words.append(Word(text, start, i))
        expect = False
    return words


def _word_end(command: str, i: int) -> int:
    """Where the word starting at `i` ends, quotes and backslashes followed."""
    quote = ""
    while i < len(command):
        c = command[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = ""
        elif c == "\\":
            i += 1
        elif c in "'\"":
            quote = c
        elif c in " \t\n;&|()`":
            break
        i += 1
    return min(i, len(command))


@lru_cache(maxsize=8)
def path_programs(path: str) -> frozenset[str]:
    """Names of the executable files in the PATH directories (cached per PATH string)."""
    names: set[str] = set()
    for folder in path.split(os.pathsep):
        try:
            with os.scandir(folder or ".") as entries:
                for entry in entries:
                    try:
                        if entry.is_file() and os.access(entry.path, os.X_OK):
                            names.add(entry.name)
                    except OSError:
                        continue
        except OSError:
            continue
    return frozenset(names)


def _limit(word: str) -> int:
    return 2 if len(word) >= 5 else 1


def _near(word: str, programs: frozenset[str]) -> list[str]:
    limit = _limit(word)
    return [p for p in programs if abs(len(p) - len(word)) <= limit and p != word]


def _rank(word: str, program: str) -> tuple[int, int, int, int]:
    """Distance first; then a transposition, the same length, the same first letter win."""
    distance = damerau(word, program, _limit(word))
    swapped = sorted(word) == sorted(program) and len(word) == len(program)
    return (distance, not swapped, abs(len(word) - len(program)), word[:1] != program[:1])


def damerau(a: str, b: str, limit: int = 99) -> int:
    """Edit distance where insert, delete, substitute and swap of neighbours each cost 1
    (optimal string alignment); any value over `limit` may come back as limit + 1."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], previous2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        previous2, previous = previous, row
    return previous[len(b)]

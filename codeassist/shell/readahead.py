"""Reading ahead the documentation of the programs shell answers use most.

The `shell.flags` check reads a program's `--help` (and, for an option it lacks there, its man
page) the first time an answer uses it: in the sandbox, 0.1-0.3 s per program on a laptop
CPU, paid inside that request. `codeassist warm --lang shell`, which the shell widget runs at
load and on each `cd`, starts this module when one of COMMON is not cached yet: detached, at
the lowest priority, with a time limit. Once they are cached, the check costs a few stats.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Sequence

# The first words most common in NL2Bash's 12,607 shell commands, written by people (find
# alone begins 7,776 of their pipeline parts), and the tools of a developer's day.
COMMON = (
    "find", "grep", "sed", "sort", "awk", "rm", "ls", "cut", "cat", "wc", "chmod", "head",
    "tr", "tail", "chown", "mkdir", "uniq", "dirname", "mv", "tar", "tee", "split",
    "basename", "cp", "readlink", "ln", "md5sum", "date", "rev", "diff", "du", "df", "comm",
    "paste", "gzip", "zcat", "file", "tac", "ps", "seq", "column", "od", "nl", "kill",
    "xargs", "stat", "touch", "git", "python3", "curl", "sha256sum", "realpath",
)  # fmt: skip
# Subcommands read as well (git's are man pages: `man git-log`).
SUBCOMMANDS = {"git": ("log", "diff", "status", "show", "branch", "ls-files", "grep", "add",
                       "commit", "checkout", "stash", "rev-parse")}  # fmt: skip
BUDGET_S = 60.0  # the most one read-ahead runs, all programs together


def unread(names: Sequence[str] = COMMON) -> list[str]:
    """The names that run a program here whose `--help` is not in the cache yet."""
    from codeassist.shell import docs

    left = []
    for name in names:
        path = docs.resolve(name)
        if path is not None and docs.may_run(path) and not docs.is_cached(docs.Program(path)):
            left.append(name)  # (a script that never mentions --help is not asked: not cached)
    return left


def start(names: Sequence[str]) -> None:
    """Read the docs of `names` in a process of its own, detached: never waits, never raises."""
    if not names:
        return
    try:
        subprocess.Popen(
            [sys.executable, "-m", "codeassist.shell.readahead", *names],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True,
        )  # fmt: skip
    except OSError:
        pass  # read on first use instead, as without it


def read(names: Sequence[str], budget_s: float = BUDGET_S) -> int:
    """Read and cache each program's `--help` and man page, until the budget is spent; how
    many programs were read."""
    from codeassist.shell import docs

    deadline = time.monotonic() + budget_s
    done = 0
    for name in names:
        if time.monotonic() > deadline:
            break
        path = docs.resolve(name)
        if path is None:
            continue
        for program in [
            docs.Program(path),
            *(docs.Program(path, s) for s in SUBCOMMANDS.get(name, ())),
        ]:
            program.help()
            program.man()
        done += 1
    return done


def main(argv: Sequence[str]) -> None:
    with contextlib.suppress(OSError):
        os.nice(19)  # behind everything, the model's own threads first of all
    read([name for name in argv if name in COMMON])  # only names it knows: nothing else runs


if __name__ == "__main__":
    main(sys.argv[1:])

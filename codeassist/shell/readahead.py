"""Reading ahead the documentation of the programs shell answers use most.

The `shell.flags` check reads a program's `--help` (and, for an option it lacks there, its man
page) the first time an answer uses it: in the sandbox, 0.1-0.3 s per program on a laptop
CPU, paid inside that request. The resident server reads those of COMMON ahead, one program at
a time, while it is idle and holds its model lock (serve/server.py), so no request waits more
than one program's read. Not in a process of its own beside the requests: on two cores a
background read-ahead, even at SCHED_IDLE priority, made a concurrent request 3.5x slower
(llama.cpp's threads wait for one another at every step). Once cached, the check costs a stat.
"""

from __future__ import annotations

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


def unread(names: Sequence[str] = COMMON) -> list[str]:
    """The names that run a program here whose `--help` is not in the cache yet (a script
    that never mentions --help is never asked, so never cached: not listed)."""
    from codeassist.shell import docs

    left = []
    for name in names:
        path = docs.resolve(name)
        if path is not None and docs.may_run(path) and not docs.is_cached(docs.Program(path)):
            left.append(name)
    return left


def read(names: Sequence[str], budget_s: float = 60.0) -> int:
    """Read and cache each program's `--help` and man page until the budget is spent; how many
    programs were read."""
    from codeassist.shell import docs

    deadline = time.monotonic() + budget_s
    done = 0
    for name in names:
        if time.monotonic() > deadline:
            break
        path = docs.resolve(name)
        if path is None:
            continue
        subs = SUBCOMMANDS.get(name, ())
        for program in [docs.Program(path), *(docs.Program(path, s) for s in subs)]:
            program.help()
            program.man()
        done += 1
    return done

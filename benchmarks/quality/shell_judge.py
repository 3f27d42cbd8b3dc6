"""How the shell benchmark judges a candidate against the reference: every normalization.

Outputs are compared after these normalizations, each applied to both sides alike:
1. the fixture's absolute path is written `.` (`/tmp/x/work/a.txt` and `./a.txt` are one);
2. a `./` that starts a path (at a line's start, after white space, `:`, `=` or a quote) is
   dropped (`./a.txt` and `a.txt` are one, as `find .` and `find` or `grep -r x .` print);
3. trailing white space on each line and blank lines at the end are dropped;
4. lines are compared as a sorted multiset, not in order, when the order is the file system's
   and not the command's: the reference runs a traversing program (find, du, grep -r, ls -R,
   xargs, tree, locate) and no ordering one (sort, head, tail, tac, ls -t/-S).
Nothing else: case, spacing inside a line, counts and columns must be as the reference's.

A candidate passes when it did not time out, the tree it leaves equals the reference's (names,
kinds, contents, permission bits, link targets; times are not compared) and, when the reference
printed something, its normalized stdout equals the reference's. Exit status is not compared.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from codeassist.verify.shell import missing_programs, programs

DENY = {
    "sudo", "su", "doas", "ssh", "scp", "sftp", "rsync", "curl", "wget", "nc", "ncat", "telnet",
    "ping", "ftp", "kill", "killall", "pkill", "reboot", "shutdown", "halt", "mount", "umount",
    "dd", "mkfs", "crontab", "passwd", "useradd", "userdel", "apt", "apt-get", "yum", "pip",
    "npm", "git", "docker", "systemctl", "service", "chroot", "shred", "fdisk", "parted",
    "mkswap", "swapon", "mail", "sendmail", "open", "xdg-open", "screen", "tmux", "vi", "vim",
    "nano", "emacs", "less", "more", "top", "watch", "yes", "sleep", "read", "exec", "eval",
    "source", ".", "date", "ps", "who", "w", "uptime", "hostname", "ifconfig", "ip", "shuf",
    "mktemp", "history", "jobs", "disown", "nohup", "at", "script", "finger", "id", "groups",
    "whoami", "env", "printenv", "set", "free", "df", "lsof", "uname", "tty", "last",
}  # fmt: skip
TRAVERSING = {"find", "du", "xargs", "tree", "locate"}
ORDERING = {"sort", "head", "tail", "tac"}
_DOT_SLASH = re.compile(r"(^|[\s:='\"])\./")


def reference_problem(command: str, fixture: Path) -> str | None:
    """None when a reference may be run and judged here; else why not.

    Runs are sandboxed anyway; these rules keep out what cannot be judged: programs that
    reach other machines, need privileges, wait for a user or print the time or the system's
    state, and paths outside the fixture (their content is this machine's, not the fixture's).
    """
    if not command.strip():
        return "empty"
    try:
        progs = set(programs(command))
    except Exception:  # noqa: BLE001 - an unparsable command is simply not judged
        return "does not parse"
    if progs & DENY:
        return f"denied: {', '.join(sorted(progs & DENY))}"
    if missing_programs(command, fixture):
        return "program not on PATH"
    try:
        words = shlex.split(command.replace("=", " "))
    except ValueError:
        return "does not split"
    allowed = (str(fixture), "/dev/null", "/dev/stdin", "/dev/stdout", "/dev/stderr")
    if any(w.startswith("/") and not w.startswith(allowed) for w in words):
        return "absolute path"
    if ".." in command or re.search(r"~\w", command):
        return "path outside the fixture"
    if "$RANDOM" in command or "$$" in command or "/dev/random" in command:
        return "random"
    return None


def ordered(reference: str) -> bool:
    """Does the reference's output order mean something (see rule 4)?"""
    try:
        progs = set(programs(reference))
    except Exception:  # noqa: BLE001
        progs = set()
    tokens = reference.split()

    def option(letters: str) -> bool:
        return any(t[:1] == "-" and t[1:2] != "-" and set(t[1:]) & set(letters) for t in tokens)

    traversing = bool(progs & TRAVERSING) or (
        ("grep" in progs and option("rR")) or ("ls" in progs and option("R"))
    )
    sorting = bool(progs & ORDERING) or ("ls" in progs and option("tSrUv"))
    return sorting or not traversing


def normalize(stdout: str, fixture: Path, keep_order: bool) -> list[str]:
    """The output's lines after normalizations 1-4."""
    text = stdout.replace(str(fixture) + "/", "./").replace(str(fixture), ".")
    lines = [_DOT_SLASH.sub(r"\1", line).rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines if keep_order else sorted(lines)


def same(
    reference: str, ref_stdout: str, ref_tree: object, got_stdout: str, got_tree: object,
    fixture: Path,
) -> bool:  # fmt: skip
    """Does a candidate's run match the reference's (the rules above; time-outs excluded)?"""
    if got_tree != ref_tree:
        return False
    keep = ordered(reference)
    want = normalize(ref_stdout, fixture, keep)
    return not want or normalize(got_stdout, fixture, keep) == want

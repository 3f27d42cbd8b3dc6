"""`shell.run`: the command tried in the sandbox on a copy of the working directory.

The static checks pass most wrong shell answers: `md5sum yourstring` for "the md5 sum of
'yourstring'", `cp -r *.java *.java.bk`, `ls --time=modified`, `find -perm -o`. Each of these
says what is wrong the moment it runs. So the command runs once, in the sandbox (no network,
a short time limit) over a tmpfs copy of the working directory: its writes and deletes land in
the copy, which is thrown away. The user's files are never touched.

The check fails only on what the run itself proves wrong, read from what it wrote to stderr:
- a usage error (an unknown option, a missing operand, a bad mode or regular expression);
- a shell error (syntax, a command not found, a bad substitution);
- a file it names that is not there.

Anything else cannot tell.

The finding is precise, and the model cannot use it. On the shell benchmark (208 NL2Bash
tasks judged by execution, qwen2.5-coder-1.5b) the run failed 23 of the bare model's answers,
22 of them wrong by the benchmark's judge (with the rules an audit tightened since: 15, all
wrong). Sent back for repair, it put 28 answers through repair rounds and the pass rate stayed
where it was (60 of 208, the bare model's): the model wrote the same command again, or hid
the error with `2>/dev/null`. So a failed run is reported under the answer, and not sent
back.

Where the run would not mean what it means in the user's shell, the command does not run
and there is no finding at all (as for Python code without examples): no sandbox here; a
directory too large to copy at once; a program that reaches the network, waits for a
terminal or reads the system's state; a variable or argument set outside the command (`$1`,
`$string`, `$HOME`); a path outside the copy (`/etc/hosts`, `~/notes`, `../x`: absent there,
or a walk of the whole disk for `find /`); a command the risk rules rate high. A run that
times out cannot tell either. These are quiet on purpose: a trial run is a bonus, and a line
about its absence under every answer in a large repository would be noise.
"""

from __future__ import annotations

import os
import re
import shutil
from typing import TYPE_CHECKING

from codeassist import syntax
from codeassist.safety import argv
from codeassist.safety.risk import assess_shell
from codeassist.verify import Check, Subject, shell_runs

if TYPE_CHECKING:
    from tree_sitter import Node

NAME = "shell.run"
TIMEOUT_S = 1.5  # a longer run is not judged: the answer must not wait on the check
MAX_BYTES = 8 * 1024 * 1024  # of the copied directory (and shell_runs.MAX_FILES entries)
MAX_LINES = 3  # of stderr, in the finding

# Programs whose run in the sandbox says nothing of their run in the user's shell.
ELSEWHERE = frozenset({
    # the network (none in the sandbox) and other machines
    "curl", "wget", "ssh", "scp", "sftp", "rsync", "nc", "ncat", "netcat", "telnet", "ping",
    "ftp", "dig", "nslookup", "host", "git", "pip", "pip3", "npm", "npx", "yarn", "apt",
    "apt-get", "yum", "dnf", "brew", "docker", "podman", "kubectl", "gh", "aws", "mail",
    # a terminal, a user, or time to pass
    "vi", "vim", "nvim", "nano", "emacs", "less", "more", "man", "top", "htop", "watch",
    "tmux", "screen", "sleep", "passwd", "su", "sudo", "doas",
    # the system's state, not the directory's
    "ps", "kill", "killall", "pkill", "systemctl", "service", "journalctl", "mount", "umount",
    "crontab", "lsof", "who", "w", "last", "df", "free", "uptime", "ip", "ifconfig", "ss",
    "netstat", "dmesg", "open", "xdg-open", "history", "jobs", "fg", "bg", "busctl",
    # servers reached through sockets the sandbox hides (/run, /tmp)
    "psql", "pg_dump", "mysql", "mysqldump", "mongosh", "redis-cli", "docker-compose",
})  # fmt: skip
VCS = (".git", ".hg", ".svn")  # not copied (git is not tried): half the copy in a small repo
HIDDEN = ("/tmp/", "/var/tmp/", "/run/")  # empty in the sandbox: a program there is not found
# Variables the sandbox sets as the user's shell would (HOME is the copy there: not one).
KNOWN = frozenset({
    "PWD", "PATH", "IFS", "RANDOM", "SECONDS", "LINENO", "PPID",
    "?", "$", "!", "-", "_", "0",
})  # fmt: skip

# Errors, each in the line a program of the command writes ("find: invalid mode ‘-o’"), or
# the shell itself ("bash: -c: line 1: syntax error …").
_USAGE = re.compile(
    r"unrecognized option|invalid option|unknown option|illegal option|option requires an "
    r"argument|invalid argument|missing operand|missing argument|extra operand|invalid mode|"
    r"invalid -\w+ type|unknown predicate|paths must precede expression|"
    r"Invalid (back reference|regular expression|preceding regular expression|range end|"
    r"character class)|Unmatched [(\[{]|unterminated"
)
_SHELL_ERROR = re.compile(r"syntax error|unexpected EOF|bad substitution|ambiguous redirect")
_MISSING = re.compile(r"No such file or directory|cannot access|cannot stat|can't read|cannot open")
_WHO = re.compile(r"^(\S+?):\s")  # "ls: cannot access …", "/usr/bin/bash: -c: line 1: …"
_QUOTED = re.compile(r"[‘'`\"]([^’'\"]+)[’'\"]")  # "ls: cannot access 'x': …"
_BARE = re.compile(r"^[^:]+: ([^:]+): No such file")  # "cat: x: No such file or directory"
_SHELL_PREFIX = re.compile(r"^\S*\b(?:bash|zsh|dash|ksh|sh): (?:-c: )?")  # "/usr/bin/bash: -c: "
_OUTSIDE = re.compile(r"(?:^|[\s'\"=:<>(|;&])(?:/(?!dev/(?:null|stdin|stdout|stderr)\b)|~)|\.\.")
_HANDLED = re.compile(r"\|\||\b(?:if|while|until|test)\b|(?:^|[\s;&|(!])\[\[?\s")  # expected
_INNER_SHELL = re.compile(r"\b(?:ba|z|da|k)?sh\s+-c\b")
MAX_CHARS = 200  # of each line shown


def check(subject: Subject) -> Check | None:
    """The command's run in the sandbox, as a finding; None where a run cannot tell."""
    if why_not_run(subject):
        return None
    import tarfile

    from codeassist.verify import sandbox

    limits = sandbox.Limits(timeout_s=TIMEOUT_S, memory_mb=512, file_mb=8, disk_mb=64,
                            processes=32)  # fmt: skip
    try:
        outcome = sandbox.run(
            [subject.shell, "-c", subject.code], workdir=subject.cwd, limits=limits,
            leave_out=VCS,
        )  # fmt: skip
    except (sandbox.Unavailable, OSError, tarfile.TarError):  # an unreadable file: not copied
        return None
    if outcome.timed_out or outcome.stderr.startswith("sandbox: "):  # the sandbox's own failure
        return None
    errors = errors_in(outcome.stderr, subject.code)
    if not errors:
        return Check(NAME, True, "")
    shown = "\n".join("  " + line[:MAX_CHARS] for line in errors[:MAX_LINES])
    return Check(NAME, False, f"run on a copy of the working directory, it printed:\n{shown}")


def why_not_run(subject: Subject) -> str:
    """Why the command is not tried here ("" when it is)."""
    if subject.cwd is None:
        return "no working directory"
    try:
        names = set(argv.programs(subject.code))
    except Exception:  # noqa: BLE001 - what the parser cannot read is not run
        return "the command could not be read"
    if assess_shell(subject.code).level == "high":
        return "a high-risk command is not tried, even on a copy"
    if names & ELSEWHERE:
        return f"{', '.join(sorted(names & ELSEWHERE))} would not run here as in your shell"
    if _names_outside(subject.code):
        return "it names a path outside the working directory"
    if any(name in subject.code for name in VCS):
        return "it reads the version control folder, which the copy leaves out"
    if _INNER_SHELL.search(subject.code):
        return "it runs a script of its own (sh -c), whose arguments come from outside"
    if any(_hidden(name) for name in names):
        return "a program it runs lies where the sandbox hides it"
    outside = sorted(outside_variables(subject.code))
    if outside:
        return f"it uses {', '.join('$' + n for n in outside)}, set outside the command"
    if not shell_runs.copyable(subject.cwd, MAX_BYTES, links_inside=True):
        return "the working directory is too large to copy, or links out of itself"
    from codeassist.verify import sandbox  # imported only for a command it may try

    reason = sandbox.unavailable()  # last: probing costs a sandbox start, once per process
    return f"no sandbox here ({reason})" if reason else ""


def errors_in(stderr: str, code: str) -> list[str]:
    """The stderr lines that prove the command wrong.

    A line counts only when a program of the command, or the shell, wrote it. A missing file
    counts only when the command names it as written (not a glob that matched nothing, not a
    file a script it runs went looking for) and does not itself handle failure (`||`, `if`,
    `test`).
    """
    names = set(argv.programs(code)) | argv.SHELLS
    handled = bool(_HANDLED.search(code))
    found = []
    for line in (ln.strip() for ln in stderr.splitlines()):
        who = _WHO.match(line)
        if who is None or argv.program(who.group(1)) not in names:
            continue
        shell = argv.program(who.group(1)) in argv.SHELLS
        if (shell and _SHELL_ERROR.search(line)) or _USAGE.search(line):
            found.append(_SHELL_PREFIX.sub("", line))
        elif not handled and _MISSING.search(line) and _named_in(line, code):
            found.append(line)
    return found


def _named_in(line: str, code: str) -> bool:
    """Is the file the line says is missing written in the command, as it is, no glob?"""
    names = [m.group(1) for m in _QUOTED.finditer(line)] + [
        m.group(1) for m in _BARE.finditer(line)
    ]
    return any(name and not set(name) & set("*?[") and name in code for name in names)


def _hidden(program: str) -> bool:
    found = shutil.which(program)
    return found is not None and (
        found.startswith(HIDDEN) or os.path.realpath(found).startswith(HIDDEN)
    )


def _names_outside(code: str) -> bool:
    """Does the command name a path that may lie outside the copy (absolute, ~, ..)?"""
    return bool(_OUTSIDE.search(code))


def outside_variables(code: str) -> set[str]:
    """Variables and positional arguments the command reads but never sets itself."""
    used: set[str] = set()
    assigned: set[str] = set()
    stack = [syntax.parse("bash", code)]
    while stack:
        node = stack.pop()
        if node.type == "raw_string":
            continue
        if node.type in ("simple_expansion", "expansion", "arithmetic_expansion"):
            used |= {argv.text(c) for c in _names_in(node)}
        elif node.type in ("variable_assignment", "for_statement"):
            name = node.child_by_field_name("name") or node.child_by_field_name("variable")
            if name is not None:
                assigned.add(argv.text(name))
        elif node.type == "command":
            words = [argv.text(c) for c in node.children if c.type in ("command_name", "word")]
            if words[:1] == ["read"]:
                assigned |= {w for w in words[1:] if not w.startswith("-")}
        stack.extend(node.children)
    return used - assigned - KNOWN


def _names_in(node: Node) -> list[Node]:
    found = []
    stack = list(node.children)
    while stack:
        child = stack.pop()
        if child.type in ("variable_name", "special_variable_name"):
            found.append(child)
        elif child.type not in ("command_substitution", "raw_string"):
            stack.extend(child.children)
    return found

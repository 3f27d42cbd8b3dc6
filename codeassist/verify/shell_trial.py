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
22 of them wrong by the benchmark's judge. Sent back for repair, it put 28 answers through
repair rounds and the pass rate stayed where it was (60 of 208, the bare model's): the model
wrote the same command again, or hid the error with `2>/dev/null`. So a failed run is reported
under the answer, and not sent back.

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

import re
from typing import TYPE_CHECKING

from codeassist import syntax
from codeassist.safety import argv
from codeassist.safety.risk import assess_shell
from codeassist.verify import Check, Subject, sandbox, shell_runs

if TYPE_CHECKING:
    from tree_sitter import Node

NAME = "shell.run"
TIMEOUT_S = 1.5  # a longer run is not judged: the answer must not wait on the check
MAX_BYTES = 8 * 1024 * 1024  # of the copied directory (and shell_runs.MAX_FILES entries)
MAX_LINES = 3  # of stderr, in the finding
LIMITS = sandbox.Limits(timeout_s=TIMEOUT_S, memory_mb=512, file_mb=8, disk_mb=64, processes=32)

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
    "netstat", "dmesg", "open", "xdg-open", "history", "jobs", "fg", "bg",
})  # fmt: skip
# Variables the sandbox sets as the user's shell would (HOME is the copy there: not one).
KNOWN = frozenset({
    "PWD", "OLDPWD", "PATH", "IFS", "RANDOM", "SECONDS", "LINENO", "PPID",
    "?", "$", "!", "-", "_", "0",
})  # fmt: skip

_USAGE = re.compile(
    r"unrecognized option|invalid option|unknown option|illegal option|option requires an "
    r"argument|invalid argument|missing operand|missing argument|extra operand|invalid mode|"
    r"invalid -\w+ type|unknown predicate|paths must precede expression|Try '[^']+ --help'|"
    r"Invalid (back reference|regular expression|preceding regular expression|range end|"
    r"character class)|Unmatched [(\[{]|unterminated|syntax error|unexpected EOF|"
    r"command not found|bad substitution|ambiguous redirect"
)
_OUTSIDE = re.compile(r"(?:^|[\s'\"=:<>(|;&])(?:/(?!dev/(?:null|stdin|stdout|stderr)\b)|~)|\.\.")
_SHELL_PREFIX = re.compile(r"^\S*\b(?:bash|zsh|dash|sh): (?:-c: )?")  # "/usr/bin/bash: -c: "
_MISSING = re.compile(r"No such file or directory|cannot access|cannot stat|can't read|cannot open")


def check(subject: Subject) -> Check | None:
    """The command's run in the sandbox, as a finding; None where a run cannot tell."""
    if why_not_run(subject):
        return None
    try:
        outcome = sandbox.run(
            [subject.shell, "-c", subject.code], workdir=subject.cwd, limits=LIMITS
        )
    except sandbox.Unavailable:
        return None
    if outcome.timed_out:
        return None
    errors = _errors(outcome.stderr)
    if not errors:
        return Check(NAME, True, "")
    shown = "\n".join(errors[:MAX_LINES])
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
    outside = sorted(outside_variables(subject.code))
    if outside:
        return f"it uses {', '.join('$' + n for n in outside)}, set outside the command"
    if not shell_runs.copyable(subject.cwd, MAX_BYTES):
        return "the working directory is too large to copy"
    reason = sandbox.unavailable()  # last: probing costs a sandbox start, once per process
    return f"no sandbox here ({reason})" if reason else ""


def _errors(stderr: str) -> list[str]:
    """The stderr lines that prove the command wrong (see the module's docstring)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    found = [ln for ln in lines if _USAGE.search(ln) or _MISSING.search(ln)]
    return [_SHELL_PREFIX.sub("", ln) for ln in found]


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
            used |= {_text(c) for c in _names_in(node)}
        elif node.type in ("variable_assignment", "for_statement"):
            name = node.child_by_field_name("name") or node.child_by_field_name("variable")
            if name is not None:
                assigned.add(_text(name))
        elif node.type == "command":
            words = [_text(c) for c in node.children if c.type in ("command_name", "word")]
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


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")

"""Shell checks: the shell parses it (`bash -n`), its programs are on PATH, its options exist,
ShellCheck sees no mistake in behaviour (verify/shell_lint.py), it names no file by the
working directory's absolute path (verify/shell_paths.py), a run in the sandbox on a copy of
the working directory shows no error (verify/shell_trial.py), and its risk level.

The programs are those the safety package's argv parsing finds (codeassist/safety/argv.py):
wrappers such as sudo, env, xargs or timeout and the program each runs, `find -exec`, `sh -c`
scripts; builtins, keywords, functions and aliases defined in the code and names built from
expansions are skipped.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from codeassist.safety import argv
from codeassist.terminal import one_line
from codeassist.verify import Check, Subject, flags, loops, shell_lint, shell_paths, shell_trial
from codeassist.verify.inner import check as inner_check
from codeassist.verify.risk import risk_check

_FALLBACK_BUILTINS = {
    "alias", "bg", "bind", "break", "builtin", "caller", "cd", "command", "compgen", "complete",
    "continue", "declare", "dirs", "disown", "echo", "enable", "eval", "exec", "exit", "export",
    "false", "fc", "fg", "getopts", "hash", "help", "history", "jobs", "kill", "let", "local",
    "logout", "popd", "printf", "pushd", "pwd", "read", "readonly", "return", "set", "shift",
    "shopt", "source", "suspend", "test", "times", "trap", "true", "type", "typeset", "ulimit",
    "umask", "unalias", "unset", "wait", ".", ":", "[", "[[", "]]", "if", "then", "else", "elif",
    "fi", "case", "esac", "for", "select", "while", "until", "do", "done", "in", "function",
    "time", "{", "}", "!", "coproc", "mapfile", "readarray",
}  # fmt: skip


def check(subject: Subject) -> list[Check]:
    checks = [parse_check(subject.code, subject.shell), loops.check(subject.code)]
    lint = shell_lint.start(subject.code, subject.shell, subject.request)  # runs meanwhile
    if not checks[0].passed:
        checks.append(Check("shell.programs", False, "not run: the command does not parse"))
    else:
        missing = missing_programs(subject.code, subject.cwd)
        detail = f"not found on PATH: {one_line(', '.join(missing))}" if missing else ""
        checks.append(Check("shell.programs", not missing, detail))
        checks.extend(c for c in [inner_check(subject.code)] if c is not None)
    checks.append(flags.check(subject.code))  # options the installed programs document
    linted = lint()
    if checks[0].passed:
        checks.extend(c for c in [linted] if c is not None)
    checks.append(shell_paths.check(subject))
    if checks[0].passed and checks[2].passed:  # it parses and its programs are there
        checks.extend(c for c in [shell_trial.check(subject)] if c is not None)
    checks.extend(c for c in [risk_check(subject.code, "shell")] if c)
    return checks


def parse_check(code: str, shell: str = "bash") -> Check:
    """`SHELL -n` on the code: parse only, run nothing. Only comments is no command."""
    from codeassist.pipeline.extract import commandless

    if commandless(code):  # `# list the files here`: nothing would run
        return Check(
            "shell.parse", False, "no command, only comments" if code.strip() else "no command"
        )
    exe = shutil.which(shell) or shutil.which("bash") or "/bin/bash"
    try:
        proc = subprocess.run(
            [exe, "-n"], input=code, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("shell.parse", False, f"{Path(exe).name} -n failed: {exc}")
    if proc.returncode != 0:
        detail = proc.stderr.strip().replace(f"{exe}: ", "")
        return Check("shell.parse", False, detail or f"{Path(exe).name} -n rejected it")
    return Check("shell.parse", True, "")


@functools.cache
def builtins() -> frozenset[str]:
    """Bash builtins and keywords (asked of bash itself when it is there)."""
    bash = shutil.which("bash")
    names = set(_FALLBACK_BUILTINS)
    if bash:
        try:
            proc = subprocess.run(
                [bash, "-c", "compgen -b -k"], capture_output=True, text=True, timeout=5
            )
            names |= set(proc.stdout.split())
        except (OSError, subprocess.TimeoutExpired):
            pass
    return frozenset(names)


def programs(code: str) -> list[str]:
    """The programs a command line would run, in order, each once."""
    return argv.programs(code)


def missing_programs(code: str, cwd: Path | None = None) -> list[str]:
    """Programs that are neither builtins nor found on PATH (paths: must exist, executable)."""
    known = builtins()
    missing = []
    for prog in programs(code):
        if prog in known:
            continue
        if "/" in prog:
            path = Path(prog).expanduser()
            if not path.is_absolute():
                path = (cwd or Path.cwd()) / path
            if not os.access(path, os.X_OK):
                missing.append(prog)
        elif shutil.which(prog) is None:
            missing.append(prog)
    return missing

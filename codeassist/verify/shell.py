"""Shell checks: the shell parses it (`bash -n`), its programs are on PATH, and its risk level.

Programs are the command names of the parsed tree (tree-sitter-bash), plus the programs that
wrappers such as sudo, xargs, env, timeout or `find -exec` run; builtins, keywords, functions
defined in the command and names built from expansions are skipped.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from codeassist.verify import Check, Subject

_WRAPPERS = {
    "sudo", "xargs", "env", "nohup", "nice", "exec", "time", "stdbuf", "ionice", "watch",
    "timeout", "command", "doas", "chroot", "parallel", "flock", "strace",
}  # fmt: skip
_EXEC_FLAGS = {"-exec", "-execdir", "-ok", "-okdir"}
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
    checks = [parse_check(subject.code, subject.shell)]
    if not checks[0].passed:
        checks.append(Check("shell.programs", False, "not run: the command does not parse"))
    else:
        missing = missing_programs(subject.code, subject.cwd)
        detail = f"not found on PATH: {', '.join(missing)}" if missing else ""
        checks.append(Check("shell.programs", not missing, detail))
    risk = risk_check(subject.code)
    if risk is not None:
        checks.append(risk)
    return checks


def parse_check(code: str, shell: str = "bash") -> Check:
    """`SHELL -n` on the code: parse only, run nothing."""
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
    from tree_sitter_language_pack import get_parser

    tree = get_parser("bash").parse(code.encode("utf-8"))
    functions: set[str] = set()
    found: list[str] = []

    def text(node: Any) -> str:
        return str(node.text.decode("utf-8", errors="replace"))

    def visit(node: Any) -> None:
        if node.type == "function_definition":
            name = node.child_by_field_name("name")
            if name is not None:
                functions.add(text(name))
        if node.type == "command":
            name = node.child_by_field_name("name")
            if name is not None:
                args = [text(a) for a in node.children_by_field_name("argument")]
                found.extend(_wrapped(text(name), args))
        for child in node.children:
            visit(child)

    visit(tree.root_node)
    plain = [p for p in found if p and not any(c in p for c in "$`*?(){}<>")]
    return [p for p in dict.fromkeys(plain) if p not in functions]


def _wrapped(name: str, args: list[str]) -> list[str]:
    """The command's own name and any program it runs (sudo X, xargs X, find -exec X …)."""
    names = [_unquote(name)]
    if names[0] in _WRAPPERS:
        positional = [a for a in args if not a.startswith("-") and "=" not in a]
        if names[0] == "timeout":
            positional = positional[1:]
        positional = [a for a in positional if not a.isdigit()]  # xargs -n 1 …
        if positional:
            names += _wrapped(positional[0], args[args.index(positional[0]) + 1 :])
    for i, arg in enumerate(args[:-1]):
        if arg in _EXEC_FLAGS:
            names.append(_unquote(args[i + 1]))
    return names


def _unquote(word: str) -> str:
    return word.strip("'\"").lstrip("\\")


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


def risk_check(code: str) -> Check | None:
    """The shell-safety rules' verdict: fails only at level high (it is never repaired)."""
    try:
        from codeassist.safety.risk import assess_shell
    except ImportError:
        return None
    try:
        risk = assess_shell(code)
    except Exception as exc:  # noqa: BLE001 - a rule bug must not break generation
        return Check("shell.risk", True, f"not assessed: {type(exc).__name__}")
    detail = risk.level + (": " + "; ".join(risk.reasons) if risk.reasons else "")
    return Check("shell.risk", risk.level != "high", detail)

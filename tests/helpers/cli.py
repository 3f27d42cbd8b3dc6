"""Running the installed `codeassist` as a user would, and checking its error lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from codeassist.errors import Exit

SMALL_MODEL = "smollm2-135m"


def codeassist_exe() -> str:
    """The installed console script, next to the running interpreter."""
    exe = Path(sys.executable).with_name("codeassist")
    assert exe.exists(), f"codeassist is not installed in {sys.prefix}: pip install -e ."
    return str(exe)


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 300,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the installed `codeassist` in a subprocess, as a user would."""
    return subprocess.run(
        [codeassist_exe(), *args], env={**os.environ, **(env or {})}, input=input,
        capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False,
    )  # fmt: skip


def assert_clean_error(proc: subprocess.CompletedProcess[str], code: Exit, *words: str) -> None:
    """One `error:` line and one `hint:` line on stderr, nothing on stdout, the given exit code."""
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and lines[-1].startswith("hint: "), proc.stderr
    assert len(lines) == 2, proc.stderr
    for word in words:
        assert word in proc.stderr
    assert proc.stdout == ""

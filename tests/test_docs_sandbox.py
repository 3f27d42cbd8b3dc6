"""`PROGRAM --help` of a program a model named runs in the sandbox, or not at all.

A script on PATH that says "--help" somewhere but ignores its arguments would just run:
`codeassist explain "deploy-prod --force"` (and the shell.flags check of a generated
`deploy-prod --force`) ran `deploy-prod --help`, which deployed. Found by a new-user audit.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codeassist.verify import sandbox
from tests.helpers.cli import run_cli

IGNORES_HELP = '#!/bin/sh\n# TODO: support --help some day\ntouch "{marker}"\n'
HANDLES_HELP = """#!/bin/sh
case "$1" in
  --help) printf 'Usage: shipit [OPTIONS]\\n  -f, --force    ship even when dirty\\n'
          printf '  -n, --dry-run  say what would ship\\n  -v, --verbose  say more\\n' ;;
  *) touch "{marker}" ;;
esac
"""


@pytest.fixture
def programs(tmp_path: Path) -> Path:
    """A bin dir with the two scripts (the sandbox shows /tmp empty but for the program's dir)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in (("deploy-prod", IGNORES_HELP), ("shipit", HANDLES_HELP)):
        script = bin_dir / name
        script.write_text(body.format(marker=tmp_path / f"ran-{name}"))
        script.chmod(0o755)
    return bin_dir


def explain(command: str, bin_dir: Path, **env: str) -> str:
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    proc = run_cli("explain", command, env={"PATH": path, **env})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.skipif(sandbox.unavailable() is not None, reason="no sandbox here")
def test_help_runs_in_the_sandbox_where_a_program_can_only_print(programs: Path) -> None:
    explain("deploy-prod --force", programs)
    assert not (programs.parent / "ran-deploy-prod").exists()  # it ran: in the sandbox
    shown = explain("shipit --force", programs)
    assert "ship even when dirty" in shown and "shipit --help" in shown
    assert not (programs.parent / "ran-shipit").exists()


def test_without_a_sandbox_only_the_systems_programs_are_asked(programs: Path) -> None:
    off = {"CODEASSIST_SANDBOX": "off"}
    explain("deploy-prod --force", programs, **off)
    shown = explain("shipit --force", programs, **off)
    assert "ship even when dirty" not in shown  # not asked: known by a man page alone
    assert not (programs.parent / "ran-deploy-prod").exists()
    assert not (programs.parent / "ran-shipit").exists()
    assert "ls --help" in explain("ls -l", programs, **off)  # /usr/bin's are still asked

"""The sandbox probe: a "yes" is remembered on disk while what decides it is unchanged, and
forgotten the moment unshare refuses a real run. Real unshare, real processes."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.verify import sandbox

pytestmark = pytest.mark.skipif(sandbox.unavailable() is not None, reason="no sandbox here")

ASK = "from codeassist.verify import sandbox; print(sandbox.unavailable())"


@pytest.fixture(autouse=True)
def fresh_probe() -> Iterator[None]:
    sandbox._probe.cache_clear()
    yield
    sandbox._probe.cache_clear()  # no verdict of a test's own making reaches other tests


def ask(env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", ASK], capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_a_yes_is_written_once_and_read_by_the_next_process(tmp_path: Path) -> None:
    assert ask() == "None"
    kept = json.loads(sandbox._probe_file().read_text())
    unshare = shutil.which("unshare")
    assert unshare and kept == {"key": sandbox._probe_key(unshare), "verdict": None}
    # The next process takes the verdict from the file, and probes no more: with unshare
    # refusing, a probe would say so.
    fake = refusing_unshare(tmp_path)
    kept["key"] = sandbox._probe_key(str(fake))
    sandbox._probe_file().write_text(json.dumps(kept))
    assert ask({"PATH": f"{fake.parent}:{os.environ['PATH']}"}) == "None"


@pytest.mark.parametrize("verdict", ["a reason", {"a": 1}, "", 0, ["x"]])
def test_only_a_yes_is_read_from_the_file(verdict: object) -> None:
    assert ask() == "None"
    kept = json.loads(sandbox._probe_file().read_text())
    kept["verdict"] = verdict
    sandbox._probe_file().write_text(json.dumps(kept))
    assert ask() == "None"  # probed again (a yes here), not taken from the file
    assert json.loads(sandbox._probe_file().read_text())["verdict"] is None


def test_a_changed_machine_is_probed_again() -> None:
    assert ask() == "None"
    kept = json.loads(sandbox._probe_file().read_text())
    kept["key"][-4] = "another boot id"
    sandbox._probe_file().write_text(json.dumps(kept))
    assert ask() == "None"
    assert json.loads(sandbox._probe_file().read_text())["key"] == sandbox._probe_key(
        str(shutil.which("unshare"))
    )  # probed again and written anew


def refusing_unshare(tmp_path: Path) -> Path:
    """An unshare on PATH that refuses as a kernel without user namespaces makes it refuse."""
    folder = tmp_path / "bin"
    folder.mkdir()
    fake = folder / "unshare"
    fake.write_text(
        "#!/bin/sh\necho 'unshare: unshare failed: Operation not permitted' >&2\nexit 1\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return fake


def test_a_no_is_not_remembered(tmp_path: Path) -> None:
    path = f"{refusing_unshare(tmp_path).parent}:{os.environ['PATH']}"
    assert ask({"PATH": path}) == "unshare: unshare failed: Operation not permitted"
    assert not sandbox._probe_file().exists()


def test_a_remembered_yes_that_unshare_now_refuses_is_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = refusing_unshare(tmp_path)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    file = sandbox._probe_file()
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps({"key": sandbox._probe_key(str(fake)), "verdict": None}))
    assert sandbox.unavailable() is None  # the remembered yes
    with pytest.raises(sandbox.Unavailable, match="Operation not permitted"):
        sandbox.run(["true"])
    assert not file.exists()
    assert sandbox.unavailable() == "unshare: unshare failed: Operation not permitted"


def test_code_that_prints_like_unshare_does_not_pass_for_a_failed_sandbox() -> None:
    assert ask() == "None"  # a yes, remembered
    outcome = sandbox.run(["sh", "-c", "echo 'unshare: unshare failed: nope' >&2; exit 1"])
    assert outcome.started and outcome.returncode == 1  # the code's own words, not unshare's
    assert sandbox._probe_file().exists()
    assert sandbox.unavailable() is None

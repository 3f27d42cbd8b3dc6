"""`codeassist doctor`: the report a user pastes into a bug report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli


@pytest.mark.model
@pytest.mark.slow
def test_doctor_reports_backend_models_server_and_a_measured_speed(small_model: Path) -> None:
    proc = run_cli("doctor", "--tokens", "8", env={"CODEASSIST_MODEL": "smollm2-135m"})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "backend" in out and "CPU" in out  # this build has no GPU offload
    assert "model smollm2-135m" in out and "installed, verified" in out
    assert "server" in out and "not running" in out
    assert re.search(r"fork server +not running\n", out)
    assert re.search(r"offloaded layers +0 of 30\n", out)
    assert "tok/s" in out
    # measured, not assumed: the prefill decision and the batch-invariance probe
    assert re.search(r"prompt evaluation +through (unrepacked|the decoding) weights", out)
    assert re.search(r"speculative decoding +off \(setting: auto\); ", out)


@pytest.mark.model
@pytest.mark.slow
def test_doctor_json_carries_the_measurement(small_model: Path) -> None:
    proc = run_cli("doctor", "--json", "--tokens", "8", env={"CODEASSIST_MODEL": "smollm2-135m"})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    speed = report["checks"]["speed"]
    assert speed["model"] == "smollm2-135m" and speed["generated"] == 8
    assert speed["decode_tok_s"] > 0
    assert 1 <= speed["exact_batch"] <= 8 and speed["prefill"] in ("on", "off")
    assert report["checks"]["backend"]["gpu_offload"] is False
    assert report["problems"] == []


def test_doctor_without_models_says_what_to_install() -> None:
    quick = run_cli("doctor", "--no-bench")
    assert quick.returncode == 0, quick.stderr
    assert "not installed" in quick.stdout
    full = run_cli("doctor")
    assert full.returncode == 1
    assert "codeassist model install" in full.stdout and "no model installed" in full.stderr


@pytest.mark.parametrize(
    ("model", "said"),
    [("nosuch", "unknown model 'nosuch'"), ("/nowhere/x.gguf", "model file not found"),
     ("m" * 300, "unknown model 'mmm")],
)  # fmt: skip
def test_doctor_names_a_configured_model_gen_would_fail_on(model: str, said: str) -> None:
    # it said all was well while every gen failed on the name (new-user audit); a name of
    # 300 characters made a socket path too long for the file system
    proc = run_cli("doctor", "--no-bench", env={"CODEASSIST_MODEL": model})
    assert proc.returncode == 1, proc.stderr
    assert re.search(rf"configured model +{re.escape(said)}", proc.stdout)
    assert "Traceback" not in proc.stderr and len(proc.stdout + proc.stderr) < 5000

"""The grounded quality benchmark runs end to end: the real small model, three requests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "quality" / "grounded.py"
SMOKE = Path(__file__).resolve().parent / "data" / "grounded_smoke.toml"


def test_the_grounded_benchmark_prints_its_table(tmp_path: Path, small_model: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--data", str(SMOKE), "--projects", str(tmp_path / "p"),
         "--model", "smollm2-135m", "--label", "smoke", "--max-tokens", "48", "--budget", "256",
         "--threads", "1",
         "--out", str(tmp_path / "out.jsonl")],
        capture_output=True, text=True, timeout=600, env=os.environ, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].split()[:5] == ["model", "layout", "project", "lang", "n"]
    rows = {tuple(line.split()[2:4]) for line in lines[2:]}
    assert {("shop", "python"), ("shop", "shell"), ("shop", "sql")} <= rows
    assert any(line.split()[2:4] == ["all", "3"] for line in lines[2:])
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 3
    assert (tmp_path / "p" / "shop" / ".git").is_dir()  # the project, committed once

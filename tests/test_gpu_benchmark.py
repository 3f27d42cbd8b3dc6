"""The prepared GPU benchmark runs (here on the CPU build): a lent GPU is not lost to a typo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.model
@pytest.mark.slow
def test_the_gpu_benchmark_prints_its_table(small_model: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu.py"), str(small_model),
         "--tokens", "8", "--bandwidth", "40"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "bandwidth: 40 GB/s" in out
    for row in ("bytes per token", "bandwidth bound", "decode, bare C-sampler loop",
                "verify batch cost", "batches exact up to", "projected speed-up"):  # fmt: skip
        assert row in out
    assert "% of the bound" in out

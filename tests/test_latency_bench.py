"""The latency benchmark runs end to end: the real CLI, a real server, the real small model."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "tests" / "data" / "latency_smoke.toml"  # the shop fixture: no network needed
SECONDS = re.compile(r"^\d+\.\d\d s$")


def rows(out: str, first_cell: str) -> dict[tuple[str, ...], list[str]]:
    """The markdown rows whose first cell is `first_cell`, keyed by their first three cells."""
    found = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_cell:
            found[tuple(cells[:3])] = cells
    return found


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_the_latency_benchmark_prints_its_tables(tmp_path: Path, small_model: Path) -> None:
    out_file = tmp_path / "results.jsonl"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "latency.py"), "--quick", "--model",
         "smollm2-135m", "--data", str(SMOKE), "--projects", str(tmp_path / "p"),
         "--max-tokens", "24", "--threads", "1", "--out", str(out_file),
         "--set", "flash_attn=off", "--set", "n_ctx=2048", "--unforked"],
        capture_output=True, text=True, timeout=1400, env=os.environ, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "model smollm2-135m, flash_attn=off, n_ctx=2048, 1 CPUs" in out  # its own config
    assert out.count("| path | repo | lang | n | wall median | wall p90 | ttft median |") == 2
    # the same requests through the fork server and started whole, paired where they can be
    assert re.search(r"fork server, shop shell: -?\d+\.\d\d s saved a request \(median of", out)
    for path in ("server", "server, unforked", "in-process"):
        table = rows(out, path)
        assert set(table) == {(path, "shop", lang) for lang in ("shell", "python", "sql")}
        for cells in table.values():
            assert all(SECONDS.match(c) for c in cells[4:8]), cells  # wall and ttft, measured
            assert re.match(r"^\d+\.\d\dx$", cells[10]), cells  # against --no-context
            assert cells[8] == "n/a" or cells[8].isdigit()  # prompt tokens, where gen has them
    first = {cells[1]: cells for cells in rows(out, "shop").values() if len(cells) == 6}
    assert SECONDS.match(first["no prewarm"][2])
    prewarmed = [label for label in first if label.startswith("after prewarm")]
    assert prewarmed, out  # measured, or n/a where this codeassist has no warm command
    assert "goals: shell in a repository, warm: median wall <= 1.5 s" in out
    assert re.search(r"- shop python: second ttft \d+% of the first", out)
    samples = [json.loads(line) for line in out_file.read_text().splitlines()]
    # with a warm command: after it, a second request, and that one again asked first
    firsts = 4 if "after prewarm (warm:" in out else 1
    if firsts == 4:
        assert "the second's request first, after prewarm" in out
        assert re.search(r"- shop after prewarm: a request asked first takes \d+\.\d\dx", out)
    assert len(samples) == 3 * 2 * 4 + firsts  # paths x with/without context x requests
    assert all(s["rc"] == 0 for s in samples), [s["note"] for s in samples if s["rc"]]
    assert (tmp_path / "p" / "shop" / "bench.sqlite3").is_file()  # --db for the SQL requests

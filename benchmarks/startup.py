"""Start-up: `codeassist --help` against a bare `import typer`, medians of repeated runs.

    python benchmarks/startup.py [--runs 30]

Goal: `codeassist --help` within 1.3x of `python -c "import typer"`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("codeassist"))
    cases = {
        "python -c 'import typer'": [sys.executable, "-c", "import typer"],
        "codeassist --help": [exe, "--help"],
        "codeassist gen --help": [exe, "gen", "--help"],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):  # interleaved, so a noisy moment hits every case alike
        for name, cmd in cases.items():
            times[name].append(timed(cmd))
    base = statistics.median(times["python -c 'import typer'"])
    print(f"{'case':<28} {'median ms':>10} {'min ms':>8} {'ratio':>7}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:<28} {med * 1000:>10.1f} {min(ts) * 1000:>8.1f} {med / base:>6.2f}x")
    print(f"goal: codeassist --help <= 1.30x import typer ({args.runs} runs each, interleaved)")


if __name__ == "__main__":
    main()

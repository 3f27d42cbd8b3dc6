"""Run 20 fixed requests through the real CLI (`codeassist gen --json`, piped) and save the code.

Used to show that a restructuring changes no output: run it before and after, then compare:
    python benchmarks/same_outputs.py --out before.json
    python benchmarks/same_outputs.py --out after.json --compare before.json
Requests run in a temporary git copy of tests/fixtures/context/shop (with repository context)
and in an empty directory (without), at temperature 0 with the configured (default) model.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "tests" / "fixtures" / "context" / "shop"
EXE = str(Path(sys.executable).with_name("codeassist"))

OUTSIDE = [
    ("python", "a function that tells whether a string is a palindrome"),
    ("python", "a function that merges two sorted lists into one\nmerge([1, 3], [2]) == [1, 2, 3]"),
    ("python", "read a CSV file and print the average of the 'price' column"),
    ("python", "a generator that yields the Fibonacci numbers"),
    ("python", "a dataclass Point with x and y and a method distance_to(other)"),
    ("sql", "the ten most expensive products"),
    ("sql", "count orders per customer, most first"),
    ("sql", "delete sessions older than 30 days"),
    ("shell", "find files over 100MB here, biggest first"),
    ("shell", "count lines in all python files"),
    ("shell", "show disk usage of each folder here, sorted"),
    ("shell", "replace foo with bar in every .txt file"),
    ("shell", "list the 5 most recently modified files"),
]
INSIDE = [
    ("python", "add a method to Invoice that returns the total with tax"),
    ("python", "a function that refunds an order and records it"),
    ("sql", "invoices that are not paid yet, oldest first"),
    ("sql", "total invoiced per customer"),
    ("shell", "run the tests"),
    ("shell", "show the last 3 commits that touched app/billing.py"),
    ("python", "a helper that formats cents as dollars using the repository's utilities"),
]


def gen(lang: str, text: str, cwd: Path) -> dict[str, object]:
    proc = subprocess.run(
        [EXE, "gen", "--json", "--lang", lang, text], cwd=cwd, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        return {"error": proc.returncode, "stderr": proc.stderr.strip()[-300:]}
    data = json.loads(proc.stdout)
    return {"code": data["code"], "repairs": data.get("repairs")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--outside-only", action="store_true", help="skip the repository requests")
    args = parser.parse_args()
    results: dict[str, dict[str, object]] = {}
    # A fixed place: the working directory is part of a shell prompt, so it must not vary.
    fixed = Path(tempfile.gettempdir(), "codeassist-same-outputs")
    shutil.rmtree(fixed, ignore_errors=True)
    fixed.mkdir()
    with contextlib.nullcontext(str(fixed)) as tmp:
        empty, repo = Path(tmp, "empty"), Path(tmp, "shop")
        empty.mkdir()
        shutil.copytree(SHOP, repo)
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
        subprocess.run([*git, "init", "-q"], check=True)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-qm", "shop"], check=True)
        runs = [("outside", empty, OUTSIDE), ("inside", repo, INSIDE)]
        for where, cwd, requests in runs[:1] if args.outside_only else runs:
            for lang, text in requests:
                key = f"{where} {lang}: {text}"
                results[key] = gen(lang, text, cwd)
                shown = "ok" if "code" in results[key] else results[key]
                print(f"{key[:70]:70} {shown}", flush=True)
                args.out.write_text(json.dumps(results, indent=1))  # as it goes
    args.out.write_text(json.dumps(results, indent=1))
    if not args.compare:
        return 0
    before = json.loads(args.compare.read_text())
    same = sum(before.get(k, {}).get("code") == v.get("code") for k, v in results.items())
    print(f"\n{same} of {len(results)} answers byte-identical to {args.compare}")
    for k, v in results.items():
        if before.get(k, {}).get("code") != v.get("code"):
            print(f"DIFFERS: {k}")
    return 0 if same == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Context engine speed on the Django source distribution, side by side in one run.

    .venv/bin/python benchmarks/context.py [--request "..."] [--budget 1024]

Phases, each in a fresh process (imports done before the clock starts):
  floor   read and tree-sitter-parse every indexable file once, one process, nothing else
  cold    build_context with an empty cache
  warm    build_context again, nothing changed
  touch   after changing one file's mtime (stat changed, content not)
  edit    after appending a function to one file (one real parse)
Goals (issue 3): cold <= 1.5x floor; warm <= 5% of cold; one changed file <= 10% of cold;
peak memory <= 400 MB. Token counting uses the byte estimate, so only the engine is timed.
Each phase reports wall time and CPU time (user + system of the engine's thread, parse pool
included): on a shared, loaded machine wall time swings with the neighbours' load, CPU time
much less.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from codeassist.verify.unpack import extract_all

DATA = Path(__file__).resolve().parent / ".data"
REQUEST = "add a method to QuerySet that counts distinct values of a field"
EDITED = "django/db/models/query.py"


def django_tree() -> Path:
    """The extracted sdist under benchmarks/.data (git-ignored), downloaded once."""
    found = sorted(DATA.glob("django-*/django"))
    if found:
        return found[-1].parent
    DATA.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
         "django", "-d", str(DATA)],
        check=True,
    )  # fmt: skip
    archive = sorted(DATA.glob("django-*.tar.gz"))[-1]
    with tarfile.open(archive) as tar:
        extract_all(tar, DATA)  # what stays inside, on any Python 3.11
    return sorted(DATA.glob("django-*/django"))[-1].parent


def peak_mb() -> tuple[float, float]:
    """Peak RSS of this process and of its largest child (pool workers), in MB (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def cpu_seconds() -> float:
    """User + system time of this thread (the engine runs in it) and of reaped children (the
    parse pool). Not the whole process: numpy's OpenBLAS worker threads, started by the import,
    spin for about 0.1 s before they sleep, which is not the engine's work (the engine makes
    no BLAS call)."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_THREAD),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def phase_floor(root: Path) -> dict[str, object]:
    from codeassist.ctx.files import MAX_FILE_BYTES, list_files
    from codeassist.syntax import language_of, parser

    jobs = []
    for rel in list_files(root, language_of).paths:
        path = root / rel
        if path.is_file() and path.stat().st_size <= MAX_FILE_BYTES:
            jobs.append((path, language_of(rel) or ""))
    parsers = {lang: parser(lang) for lang in {lang for _, lang in jobs}}
    started, cpu = time.perf_counter(), cpu_seconds()
    for path, lang in jobs:
        parsers[lang].parse(path.read_bytes())
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu": cpu_seconds() - cpu, "files": len(jobs), "parsed": len(jobs)}


def phase_context(root: Path, request: str, budget: int) -> dict[str, object]:
    import numpy  # noqa: F401 - imported by llama_cpp in real use; not part of the timing
    import tree_sitter_language_pack  # noqa: F401

    from codeassist.backends.base import estimate_tokens
    from codeassist.context import build_context
    from codeassist.ctx import index as indexing

    parsed: list[int] = []
    real = indexing.build_index

    def counting(*args: object, **kwargs: object) -> indexing.Index:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        parsed.append(result.parsed)
        return result

    indexing.build_index = counting
    started, cpu = time.perf_counter(), cpu_seconds()
    pack = build_context(root, request, budget=budget, count_tokens=estimate_tokens)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu": cpu_seconds() - cpu, "tokens": pack.tokens,
            "files": len(pack.files), "parsed": parsed[0],
            "top": [f.path for f in pack.files[:3]]}  # fmt: skip


def run_phase(name: str, root: Path, home: Path, args: argparse.Namespace) -> dict[str, object]:
    env = {**os.environ, "CODEASSIST_HOME": str(home)}
    command = [sys.executable, __file__, "--phase", name, "--root", str(root),
               "--request", args.request, "--budget", str(args.budget)]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase")
    parser.add_argument("--root", type=Path)
    parser.add_argument("--request", default=REQUEST)
    parser.add_argument("--budget", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3, help="runs of warm/touch/edit")
    args = parser.parse_args()
    if args.phase:
        if args.phase == "floor":
            result = phase_floor(args.root)
        else:
            result = phase_context(args.root, args.request, args.budget)
        result["rss_mb"], result["child_rss_mb"] = peak_mb()
        print(json.dumps(result))
        return

    root = django_tree()
    edited = root / EDITED
    original = edited.read_bytes()
    rows: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as home:
        rows["floor"] = run_phase("floor", root, Path(home), args)
        rows["cold"] = run_phase("cold", root, Path(home), args)
        runs: dict[str, list[dict[str, object]]] = {"warm": [], "touch": [], "edit": []}
        try:
            for n in range(args.repeat):
                runs["warm"].append(run_phase("warm", root, Path(home), args))
                os.utime(edited)
                runs["touch"].append(run_phase("touch", root, Path(home), args))
                edited.write_bytes(original + f"\n\ndef bench_edit_{n}():\n    pass\n".encode())
                runs["edit"].append(run_phase("edit", root, Path(home), args))
        finally:
            edited.write_bytes(original)
        for name, results in runs.items():
            middle = statistics.median(float(r["seconds"]) for r in results)  # type: ignore[arg-type]
            rows[name] = next(r for r in results if float(r["seconds"]) == middle)  # type: ignore[arg-type]
    report(rows, root, args)


def report(rows: dict[str, dict[str, object]], root: Path, args: argparse.Namespace) -> None:
    """Wall and CPU time side by side: the machine may be shared, CPU time is the steadier."""
    wall = {name: float(row["seconds"]) for name, row in rows.items()}  # type: ignore[arg-type]
    cpu = {name: float(row["cpu"]) for name, row in rows.items()}  # type: ignore[arg-type]
    print(f"Django tree {root.name}: {rows['floor']['files']} indexable files; "
          f"request {args.request!r}, budget {args.budget}; {os.cpu_count()} cores")  # fmt: skip
    print(f"{'':<8}{'---------- wall ----------':>28}{'---------- cpu -----------':>28}")
    print(f"{'phase':<8}{'seconds':>10}{'x floor':>9}{'% cold':>9}{'seconds':>10}{'x floor':>9}"
          f"{'% cold':>9}{'parsed':>8}{'peak MB':>9}{'worker MB':>10}  goal")  # fmt: skip
    goals = {"cold": "<= 1.5x floor", "warm": "<= 5% of cold", "touch": "<= 10% of cold",
             "edit": "<= 10% of cold"}  # fmt: skip
    for name, row in rows.items():
        cells = "".join(
            f"{t[name]:>10.3f}{t[name] / t['floor']:>9.2f}{100 * t[name] / t['cold']:>8.1f}%"
            for t in (wall, cpu)
        )
        print(f"{name:<8}{cells}{row['parsed']!s:>8}{float(row['rss_mb']):>9.0f}"  # type: ignore[arg-type]
              f"{float(row['child_rss_mb']):>10.0f}  {goals.get(name, '')}")  # type: ignore[arg-type]  # fmt: skip
    print(f"top files for the request: {rows['warm'].get('top')}")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(cpu: user + system time of the engine thread and its parse pool)")  # fmt: skip


if __name__ == "__main__":
    main()

"""Repository-grounded quality: requests whose right answer uses the project's own names.

    python benchmarks/quality/grounded.py [--data grounded.toml] [--limit 0] [--model M]
        [--projects DIR] [--label new] [--budget 1024] [--threads 1] [--out f.jsonl]

Each project is an sdist from the package registry, unpacked and committed to a fresh git
repository once under --projects (benchmarks/sdists.py; for tests, a folder copied there).
Each request is grounded in the project as `codeassist gen` grounds it
(`grounding.with_context`, from the request's folder) and answered once through
`pipeline.run` without checks; it passes when every `must` pattern is in the code and no
`must_not` one is. Only APIs that the layouts before and after the stable-part prompt both
have are used, so `PYTHONPATH=<another checkout>` scores another layout with the same items.
Requests of one project and language run one after another: a model in this process keeps
the previous prompt's evaluated prefix, and `reused` says how many tokens it did not pay for.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import common

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: the shared helpers
from sdists import PROJECTS, fetch  # noqa: E402

from codeassist import pipeline  # noqa: E402
from codeassist.backends.base import Backend, Options  # noqa: E402
from codeassist.pipeline import grounding  # noqa: E402

DATA = Path(__file__).with_name("grounded.toml")


@dataclass(frozen=True)
class Item:
    project: str
    lang: str
    request: str
    must: list[str]
    must_not: list[str] = field(default_factory=list)
    cwd: str = ""


@dataclass
class Scored:
    item: Item
    passed: bool
    missing: list[str]
    code: str
    seconds: float
    ttft: float
    prompt_tokens: int
    reused: int


def load(path: Path) -> tuple[dict[str, dict[str, str]], list[Item]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    projects = {p["name"]: p for p in data.get("project", [])}
    return projects, [Item(**raw) for raw in data.get("item", [])]


def judge(item: Item, code: str) -> list[str]:
    """The patterns the code fails: `must` ones not found, `must_not` ones found."""
    missing = [p for p in item.must if not re.search(p, code, re.M)]
    return missing + [f"not {p}" for p in item.must_not if re.search(p, code, re.M)]


def score(item: Item, repo: Path, backend: Backend, budget: int, max_tokens: int) -> Scored:
    cwd = repo / item.cwd
    request = pipeline.Request(
        item.request, language=item.lang, cwd=cwd, verify=False,
        options=Options(max_tokens=max_tokens, temperature=0.0),
    )  # fmt: skip
    started = time.perf_counter()
    request = grounding.with_context(request, backend, item.lang, budget)
    result = pipeline.run(request, backend)
    seconds = time.perf_counter() - started
    last: Any = getattr(backend, "last", None)
    missing = judge(item, result.code)
    reused = int(getattr(last, "reused", 0) or 0)  # of the first round's prompt
    prompt = reused + int(getattr(last, "evaluated", 0) or 0)
    return Scored(item, not missing, missing, result.code, seconds, result.timings.ttft_s or 0.0,
                  prompt, reused)  # fmt: skip


def table(model: str, label: str, scored: list[Scored]) -> str:
    """model | layout | project | lang | n | pass rate | mean latency | ttft | reused prompt."""
    head = (
        f"{'model':<20} {'layout':<8} {'project':<8} {'lang':<7} {'n':>3} {'pass rate':>9} "
        f"{'mean s':>7} {'ttft s':>7} {'reused':>11}"
    )
    lines = [head, "-" * len(head)]
    groups: dict[tuple[str, str], list[Scored]] = {}
    for s in scored:
        groups.setdefault((s.item.project, s.item.lang), []).append(s)
    for (project, lang), rows in [*sorted(groups.items()), (("all", ""), scored)]:
        n = len(rows)
        passed = 100 * sum(r.passed for r in rows) / n if n else 0.0
        mean = statistics.mean(r.seconds for r in rows) if rows else 0.0
        ttft = statistics.mean(r.ttft for r in rows) if rows else 0.0
        reused = sum(r.reused for r in rows)
        prompt = sum(r.prompt_tokens for r in rows)
        lines.append(
            f"{model:<20} {label:<8} {project:<8} {lang:<7} {n:>3} {passed:>8.1f}% "
            f"{mean:>7.1f} {ttft:>7.2f} {f'{reused}/{prompt}':>11}"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--projects", type=Path, default=PROJECTS, help="where projects are kept")
    p.add_argument("--limit", type=int, default=0, help="how many items, spread (0: all)")
    p.add_argument("--model", default=None, help="model name or .gguf path (default: config)")
    p.add_argument("--label", default="", help="the layout's name in the table (e.g. old, new)")
    p.add_argument("--budget", type=int, default=1024, help="context budget in tokens")
    p.add_argument("--max-tokens", type=int, default=256)
    p.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: its choice)")
    p.add_argument("--out", type=Path, default=None, help="one JSON line per item")
    args = p.parse_args()
    projects, items = load(args.data)
    items = [items[i] for i in common.spread(len(items), args.limit)]
    items.sort(key=lambda i: (i.project, i.lang))  # one after another: the prefix is reused
    args.projects.mkdir(parents=True, exist_ok=True)
    repos = {name: fetch(projects[name], args.projects) for name in {i.project for i in items}}
    backend = common.open_model(args.model, args.threads)
    scored = []
    for n, item in enumerate(items, 1):
        s = score(item, repos[item.project], backend, args.budget, args.max_tokens)
        scored.append(s)
        mark = "+" if s.passed else "x"
        print(f"[{n}/{len(items)}] {mark} {item.project} {item.lang}: {item.request[:60]} "
              f"{s.seconds:.1f}s {'; '.join(s.missing)}", file=sys.stderr, flush=True)  # fmt: skip
        if args.out:
            with args.out.open("a", encoding="utf-8") as sink:
                row = {"item": item.__dict__, "passed": s.passed, "missing": s.missing,
                       "code": s.code, "seconds": s.seconds, "ttft": s.ttft,
                       "prompt_tokens": s.prompt_tokens, "reused": s.reused}  # fmt: skip
                sink.write(json.dumps(row) + "\n")
    print(table(backend.name, args.label or "-", scored))


if __name__ == "__main__":
    main()

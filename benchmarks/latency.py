"""A second, not twelve: `codeassist gen` answer times inside real repositories.

    python benchmarks/latency.py [--model M] [--repos django,click] [--quick] [--threads N]
        [--max-tokens N] [--out results.jsonl] [--data latency.toml] [--projects DIR]
        [--langs shell,python,sql] [--no-in-process] [--unforked] [--set KEY=VALUE ...]

Every request runs the real CLI as the shell widget calls it (`codeassist gen --lang L --json
-- "request"`, stdout piped, no stdin) in a checkout of a real project: sdists from the
package registry (benchmarks/sdists.py), each with a small SQLite database for `--db`. The
requests (benchmarks/latency.toml) are written for each project and never repeat.

1. Server: a warm `codeassist serve --detach` for the model (and, before a project's shell
   requests, `codeassist warm --lang shell`, as the widget does on `cd`); per project and
   language the median and p90 of the wall time and of the time to first token, the prompt
   tokens evaluated and reused (gen --json's prompt_tokens, where it has them), and the median wall
   against the same requests with `--no-context`.
2. The first request after a restart with an empty prompt-cache store: once with no
   prewarm, once after `codeassist warm --lang shell --quiet` (then a second request), and
   the second request again, asked first after prewarm in a fresh server: the goal compares
   the two runs of that one request, whose answers are the same.
3. The table of 1 in-process (CODEASSIST_NO_SERVER=1): the path without a server stays honest.

The benchmark's server state is its own (a fresh CODEASSIST_HOME in /tmp, with links to the
installed models and default settings); the context caches are built before the timing.
`--threads N` pins this process and everything it starts to N CPUs. `--quick` runs a few
requests per language (a smoke run: `--model smollm2-135m --quick`). `--langs` and
`--no-in-process` narrow a run to what a change touched. `--unforked` runs table 1 again with
the CLI started whole for each request (CODEASSIST_IN_PROCESS=1) instead of forked from the
warm fork server, and prints per project and language the median time the fork saved a
request (each request against itself, where both cost the model the same). `--set
flash_attn=off` (repeatable) writes a setting into the benchmark's config: two runs compare two
settings on the real path.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import latency_kit as kit
from latency_kit import Home, Sample
from sdists import PROJECTS, fetch

DATA = Path(__file__).with_name("latency.toml")
LANGS = ("shell", "python", "sql")
QUICK = {"shell": 2, "python": 2, "sql": 1}
HEAD = ("| path | repo | lang | n | wall median | wall p90 | ttft median | ttft p90 | "
        "prompt evaluated | prompt reused | wall / --no-context |")  # fmt: skip
GOALS = (
    "goals: shell in a repository, warm: median wall <= 1.5 s and <= 1.3x --no-context; "
    "second different Python request: ttft <= 15% of the first; "
    "after prewarm: the first request as fast as the second (within 10%)"
)
Log = Callable[[Sample], None]


def measure(home: Home, path: str, repos: dict[str, Path], asks: dict[str, Any], args: Any,
            log: Log) -> list[Sample]:  # fmt: skip
    """Every request of every repository and language, with context, then without. Through
    a server, shell requests come after `codeassist warm --lang shell`, as in the widget, which
    runs it when the shell starts and after each `cd`."""
    samples = []
    for name, root in repos.items():
        for lang in args.langs:
            if path != "in-process" and lang == "shell" and kit.has_command("warm"):
                kit.cli(["warm", "--lang", "shell", "--quiet"], home.env(), root)
            for context in (True, False):
                for request in asks[name][lang]:
                    s = kit.gen(home, path, (name, root), lang, request, context=context,
                                max_tokens=args.max_tokens)  # fmt: skip
                    log(s)
                    samples.append(s)
    return samples


def table(samples: Sequence[Sample]) -> list[str]:
    """One markdown row per path, repository and language."""
    lines = [HEAD, "|" + "---|" * HEAD.count(" | ") + "---|"]
    keys = dict.fromkeys((s.path, s.repo, s.lang) for s in samples)
    for path, repo, lang in keys:
        group = [s for s in samples if (s.path, s.repo, s.lang) == (path, repo, lang)]
        ours = [s for s in group if s.context]
        bare = [s.wall for s in group if not s.context]
        walls, ttfts = [s.wall for s in ours], [s.ttft for s in ours if s.ttft is not None]
        wall = kit.median(walls)
        ratio = f"{wall / b:.2f}x" if wall and (b := kit.median(bare)) else "n/a"
        failed = sum(s.rc != 0 for s in ours)
        n = f"{len(ours)}" + (f" ({failed} failed)" if failed else "")
        times = [kit.seconds(v) for v in (wall, kit.p90(walls), kit.median(ttfts), kit.p90(ttfts))]
        tokens = [kit.token_median(ours, "evaluated"), kit.token_median(ours, "reused")]
        cells = (path, repo, lang, n, *times, *tokens, ratio)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def firsts(home: Home, repos: dict[str, Path], asks: dict[str, Any], args: Any,
           log: Log) -> list[tuple[str, str, Sample | None]]:  # fmt: skip
    """Per repository: the first shell request in a fresh server with no prompt cache, with
    no prewarm, then after `codeassist warm`, then the second after it."""
    rows: list[tuple[str, str, Sample | None]] = []
    warm = kit.has_command("warm")
    for name, root in repos.items():
        first, after, second = asks[name]["first"][:3]
        for prewarm in (False, True):
            if prewarm and not warm:
                rows.append((name, "after prewarm", None))
                continue
            kit.serve(home, root, stop=True)  # a fresh server, with an empty prompt-cache store
            home.forget_prompts()
            kit.serve(home, root)
            label = "no prewarm"
            if prewarm:
                done, took = kit.cli(["warm", "--lang", "shell", "--quiet"], home.env(), root)
                label = f"after prewarm (warm: {took:.2f} s, exit {done.returncode})"
            s = kit.gen(home, kit.SERVER, (name, root), "shell", after if prewarm else first,
                        max_tokens=args.max_tokens)  # fmt: skip
            log(s)
            rows.append((name, label, s))
            if prewarm:
                s2 = kit.gen(home, kit.SERVER, (name, root), "shell", second,
                             max_tokens=args.max_tokens)  # fmt: skip
                log(s2)
                rows.append((name, "second, after prewarm", s2))
        if warm:  # the second's own request, asked first: the same answer, so walls compare
            kit.serve(home, root, stop=True)
            home.forget_prompts()
            kit.serve(home, root)
            kit.cli(["warm", "--lang", "shell", "--quiet"], home.env(), root)
            s3 = kit.gen(home, kit.SERVER, (name, root), "shell", second,
                         max_tokens=args.max_tokens)  # fmt: skip
            log(s3)
            rows.append((name, "the second's request first, after prewarm", s3))
    return rows


def first_table(rows: Sequence[tuple[str, str, Sample | None]]) -> list[str]:
    head = "| repo | first shell request, fresh server | wall | ttft | prompt evaluated | reused |"
    lines = [head, "|---|---|---|---|---|---|"]
    for repo, label, s in rows:
        if s is None:
            lines.append(f"| {repo} | {label} | n/a (no warm command) | | | |")
            continue
        cells = (repo, label + (" (failed)" if s.rc else ""), kit.seconds(s.wall),
                 kit.seconds(s.ttft), kit.token_median([s], "evaluated"),
                 kit.token_median([s], "reused"))  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def goals(warm: Sequence[Sample], rows: Sequence[tuple[str, str, Sample | None]]) -> list[str]:
    """What each goal measured, per repository (server path)."""
    out = [GOALS]
    for repo in dict.fromkeys(s.repo for s in warm):
        shell = [s for s in warm if (s.repo, s.lang) == (repo, "shell")]
        wall = kit.median([s.wall for s in shell if s.context]) or 0.0
        bare = kit.median([s.wall for s in shell if not s.context]) or 0.0
        ok = wall <= 1.5 and bare and wall <= 1.3 * bare
        out.append(f"- {repo} shell: median wall {wall:.2f} s, {wall / (bare or 1):.2f}x "
                   f"--no-context ({'met' if ok else 'missed'})")  # fmt: skip
        py = [s.ttft for s in warm if (s.repo, s.lang, s.context) == (repo, "python", True)]
        if len(py) >= 2 and py[0] and py[1] is not None:
            share = py[1] / py[0]
            out.append(f"- {repo} python: second ttft {share:.0%} of the first "
                       f"({'met' if share <= 0.15 else 'missed'})")  # fmt: skip
        mine = {label.split(" (")[0]: s for r, label, s in rows if r == repo and s}
        same = "the second's request first, after prewarm"
        if same in mine and "second, after prewarm" in mine:
            # one request, asked first after prewarm and asked second: the same answer
            ratio = mine[same].wall / mine["second, after prewarm"].wall
            out.append(f"- {repo} after prewarm: a request asked first takes {ratio:.2f}x its "
                       f"wall asked second ({'met' if ratio <= 1.1 else 'missed'})")  # fmt: skip
        else:
            out.append(f"- {repo} after prewarm: n/a (no warm command)")
    return out


def forked_ratios(samples: Sequence[Sample]) -> list[str]:
    """Per repository and language, each request paired with itself through the fork server
    and started whole, where both cost the model the same (prompt tokens reused and evaluated,
    answer tokens): the median time saved."""
    lines = []
    for repo, lang in dict.fromkeys((s.repo, s.lang) for s in samples):
        pairs: dict[tuple[str, bool], dict[str, Sample]] = {}
        for s in samples:
            if (s.repo, s.lang) == (repo, lang) and s.rc == 0:
                pairs.setdefault((s.request, s.context), {})[s.path] = s
        saved = [p[kit.UNFORKED].wall - p[kit.SERVER].wall for p in pairs.values()
                 if len(p) == 2 and _same_work(p[kit.SERVER], p[kit.UNFORKED])]  # fmt: skip
        whole = [p[kit.UNFORKED].wall for (_, context), p in pairs.items()
                 if context and kit.UNFORKED in p]  # fmt: skip
        if saved and whole:
            lines.append(
                f"fork server, {repo} {lang}: {kit.median(saved):.2f} s saved a request (median "
                f"of {len(saved)} pairs that cost the model the same; started whole, in the "
                f"repository: median {kit.median(whole):.2f} s)"
            )
    return lines


def _same_work(a: Sample, b: Sample) -> bool:
    return (a.tokens, a.generated) == (b.tokens, b.generated)


def setup(args: Any) -> tuple[dict[str, Path], dict[str, Any]]:
    """The chosen projects as committed checkouts with their databases, and their requests."""
    data = tomllib.loads(args.data.read_text(encoding="utf-8"))
    projects = {p["name"]: p for p in data["project"]}
    chosen = args.repos.split(",") if args.repos else list(projects)
    unknown = [n for n in chosen if n not in projects]
    if unknown:
        raise SystemExit(f"unknown --repos {unknown}: choose from {sorted(projects)}")
    repos, asks = {}, {}
    for name in chosen:
        repos[name] = fetch(projects[name], args.projects)
        kit.add_database(projects[name], repos[name])
        asks[name] = {k: projects[name][k][: QUICK.get(k, 3)] if args.quick else projects[name][k]
                      for k in (*LANGS, "first")}  # fmt: skip
    return repos, asks


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default=None, help="model name or .gguf path (default: config)")
    p.add_argument("--repos", default="", help="comma-separated project names (default: all)")
    p.add_argument("--quick", action="store_true", help="a few requests per language")
    p.add_argument("--threads", type=int, default=0, help="pin to this many CPUs (0: all)")
    p.add_argument("--max-tokens", type=int, default=None, help="passed to gen (default: its)")
    p.add_argument("--out", type=Path, default=None, help="one JSON line per request")
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--projects", type=Path, default=PROJECTS, help="where projects are kept")
    p.add_argument("--langs", default=",".join(LANGS), help="comma-separated languages")
    p.add_argument("--no-in-process", action="store_true", help="skip table 3 (no server)")
    p.add_argument(
        "--unforked",
        action="store_true",
        help="also run table 1 with the CLI started whole, not through the fork server",
    )
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a config setting for the benchmark's home (repeatable)")  # fmt: skip
    args = p.parse_args()
    args.langs = [lang for lang in args.langs.split(",") if lang]
    if unknown := set(args.langs) - set(LANGS):
        p.error(f"unknown --langs {sorted(unknown)}: choose from {', '.join(LANGS)}")
    from codeassist import config, paths

    if args.threads > 0:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.threads])
    model = args.model or config.load().model
    repos, asks = setup(args)
    settings = dict(item.split("=", 1) for item in args.set if "=" in item)
    if bad := [item for item in args.set if "=" not in item]:
        p.error(f"--set takes KEY=VALUE, not {bad[0]!r}")
    home = Home(model, paths.models_dir(), paths.cache_dir(), settings)

    def log(s: Sample) -> None:
        print(f"{s.path} {s.repo} {s.lang} {'ctx' if s.context else 'bare'} {s.wall:.2f}s "
              f"rc={s.rc} {s.request[:50]} {s.note}", file=sys.stderr, flush=True)  # fmt: skip
        if args.out:
            with args.out.open("a", encoding="utf-8") as sink:
                sink.write(json.dumps({**s.row(), "model": model}) + "\n")

    try:
        for name, root in repos.items():  # the context caches, outside the timing
            t0 = time.perf_counter()
            for lang in LANGS:
                kit.cli(["context", "--lang", lang, "--json"], home.env(False), root)
            print(f"{name}: context caches built in {time.perf_counter() - t0:.1f} s",
                  file=sys.stderr)  # fmt: skip
        first_root = next(iter(repos.values()))
        kit.serve(home, first_root)
        served = measure(home, kit.SERVER, repos, asks, args, log)
        if args.unforked:
            served += measure(home, kit.UNFORKED, repos, asks, args, log)
        rows = firsts(home, repos, asks, args, log)
        kit.serve(home, first_root, stop=True)
        local = [] if args.no_in_process else measure(home, "in-process", repos, asks, args, log)
    finally:
        kit.cli(["serve", "--stop"], home.env(), Path.cwd(), timeout=60)
        home.remove()
    cpus = len(os.sched_getaffinity(0))
    chosen = "".join(f", {k}={v}" for k, v in settings.items())
    print(f"\nmodel {model}{chosen}, {cpus} CPUs{' (quick)' if args.quick else ''}\n")
    local_table = [*table(local), ""] if local else []
    print("\n".join([*table(served), "", *first_table(rows), "", *local_table]))
    print("\n".join(goals([s for s in served if s.path == kit.SERVER], rows)))
    if args.unforked:
        print("\n".join(["", *forked_ratios(served)]))


if __name__ == "__main__":
    main()

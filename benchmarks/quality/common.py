"""What the three quality benchmarks share: options, the model, sampling, the run loop, the table.

Each item is answered twice through `pipeline.run`: bare (verify=False: one round, the plain
model) and verified (checks + repair). At temperature 0 the verified run's first round is the
bare answer, so a replaying backend serves it from memory: the verified run pays only for its
repair rounds, and its latency is reported as the bare latency plus those rounds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from codeassist import config, pipeline
from codeassist.backends.base import Backend, Message, Options

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"


def parser(description: str, default_limit: int) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--limit", type=int, default=default_limit, help="how many items (0: all)")
    p.add_argument("--model", default=None, help="model name or .gguf path (default: config)")
    p.add_argument("--eval-dir", type=Path, default=EVAL, help="the shared eval data folder")
    p.add_argument("--out", type=Path, default=None, help="write one JSON line per item here")
    p.add_argument("--resume", action="store_true", help="keep the items already in --out")
    p.add_argument(
        "--reverse", action="store_true",
        help="last item first (a second process on the same items meets the first midway)",
    )  # fmt: skip
    p.add_argument("--max-repairs", type=int, default=2)
    p.add_argument(
        "--samples", type=int, default=0,
        help="also answer best of K (checks, then K candidates unless confirmed); 0: off",
    )  # fmt: skip
    p.add_argument("--max-tokens", type=int, default=512)
    p.add_argument(
        "--threads", type=int, default=0,
        help="llama.cpp threads (0: the backend's choice); 1 is far faster on a busy machine",
    )  # fmt: skip
    return p


def spread(n_items: int, limit: int, reverse: bool = False, offset: int = 0) -> list[int]:
    """`limit` indices spread evenly over the set (all when limit is 0 or too large), each
    moved `offset` on: another sample of the same spread, for a rule found on the first."""
    chosen = list(range(n_items))
    if 0 < limit < n_items:
        chosen = [(i * n_items // limit + offset) % n_items for i in range(limit)]
    return chosen[::-1] if reverse else chosen


class Replay:
    """A backend that remembers each (messages, options) answer, with the seconds it took, and
    replays it when asked again; `owed` sums the seconds replays saved, so a caller can charge
    a mode for an answer another mode decoded. `forget` starts over (the next item)."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.memory: dict[str, tuple[list[str], float]] = {}
        self.pinned: dict[str, list[str]] = {}  # replayed whatever came since (best_of)
        self.owed = 0.0

    def forget(self) -> None:
        self.memory, self.owed = {}, 0.0

    def _key(self, messages: Sequence[Message], options: Options) -> str:
        return json.dumps([[m.role, m.content] for m in messages] + [repr(options)])

    def stream(self, messages: Sequence[Message], options: Options) -> Iterator[str]:
        key = self._key(messages, options)
        if key in self.memory:
            pieces, seconds = self.memory[key]
            self.owed += seconds
            yield from pieces
            return
        if key in self.pinned:
            yield from self.pinned[key]
            return
        pieces = []
        started = time.perf_counter()
        self.memory[key] = (pieces, 0.0)
        try:  # the reader may stop early (a closed code block): what it read is the answer
            for piece in self.inner.stream(messages, options):
                pieces.append(piece)
                yield piece
        finally:
            self.memory[key] = (pieces, time.perf_counter() - started)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def pin(self, messages: Sequence[Message], options: Options, reply: str) -> None:
        """Replay `reply` to this prompt until the next pin (the bare answer, for best of k)."""
        self.pinned = {self._key(messages, options): [reply]}


def open_model(name: str | None, threads: int = 0) -> Backend:
    """The model loaded in this process: never a `codeassist serve` that happens to be running
    (its settings, load and lifetime are not the benchmark's)."""
    from codeassist.backends.select import open_local

    if threads > 0:  # the backend sizes its thread pool from this function
        from codeassist.backends.llamacpp import loader

        loader.threads = lambda: threads  # type: ignore[assignment]
    cfg = config.load()
    return open_local(cfg, name or cfg.model)


@dataclass
class Outcome:
    """One item, bare and verified; `judged` False when it could not be scored."""

    item: str
    bare_pass: bool
    verified_pass: bool
    bare_s: float
    verified_s: float
    repairs: int
    judged: bool = True
    bare_code: str = ""
    verified_code: str = ""
    checks: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    best_pass: bool | None = None  # best of k (None: not run)
    best_s: float = 0.0
    drawn: int = 0  # candidates best of k drew
    best_code: str = ""


def answer_twice(
    backend: Backend, request: pipeline.Request
) -> tuple[pipeline.Result, pipeline.Result, float, float]:
    """The bare and the verified answers, with their wall-clock latencies."""
    t0 = time.perf_counter()
    bare = pipeline.run(dataclasses.replace(request, verify=False), backend)
    bare_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    verified = pipeline.run(request, backend)
    return bare, verified, bare_s, bare_s + (time.perf_counter() - t1)


def best_of(
    backend: Replay, request: pipeline.Request, bare: pipeline.Result, bare_s: float, k: int
) -> tuple[pipeline.Result, float]:
    """The best-of-k answer and its latency: the bare answer replayed as its first round, so
    the latency is the bare one plus the checks, the extra candidates and any repair."""
    lang = pipeline.resolve_language(request)
    backend.pin(pipeline.messages_for(request, lang), request.options, bare.reply)
    t0 = time.perf_counter()
    best = pipeline.run(dataclasses.replace(request, samples=k), backend)
    return best, bare_s + (time.perf_counter() - t0)


def p90(values: Sequence[float]) -> float:
    """The 90th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, -(-9 * len(ordered) // 10) - 1)] if ordered else 0.0


def table_best(model: str, rows: list[tuple[str, list[Outcome]]], k: int) -> str:
    """Per set: bare model; checks and repair; best of k: pass rate, mean and p90 latency."""
    ways = ("bare model", "checks and repair", f"best of {k}")
    head = f"{'model':<22} {'set':<24} {'n':>4} " + " ".join(f"{w:>24}" for w in ways)
    sub = f"{'':<52} " + " ".join(f"{'pass  mean s   p90 s':>24}" for _ in ways)
    lines = [head, sub, "-" * len(head)]
    for name, outcomes in _with_best_subsets(rows):
        judged = [o for o in outcomes if o.judged]
        cols = []
        for passed, secs in (
            ([o.bare_pass for o in judged], [o.bare_s for o in outcomes]),
            ([o.verified_pass for o in judged], [o.verified_s for o in outcomes]),
            ([bool(o.best_pass) for o in judged], [o.best_s for o in outcomes]),
        ):
            rate = 100 * sum(passed) / len(passed) if passed else 0.0
            mean = statistics.mean(secs) if secs else 0.0
            cols.append(f"{rate:>5.1f}% {mean:>7.1f} {p90(secs):>7.1f}".rjust(24))
        if any(o.best_pass is None for o in outcomes):
            cols[-1] = "n/a".rjust(24)
        drawn = statistics.mean(o.drawn for o in outcomes) if outcomes else 0.0
        lines.append(f"{model:<22} {name:<24} {len(outcomes):>4} " + " ".join(cols)
                     + f"   drawn {drawn:.1f}")  # fmt: skip
    return "\n".join(lines)


def _with_best_subsets(rows: list[tuple[str, list[Outcome]]]) -> list[tuple[str, list[Outcome]]]:
    """Each row, and after a row where best of k ran on some items only (a run resumed
    without --samples), those items alone: all three ways compared on the same items."""
    out = []
    for name, outcomes in rows:
        out.append((name, outcomes))
        some = [o for o in outcomes if o.best_pass is not None]
        if 0 < len(some) < len(outcomes):
            out.append((f"{name}, best ran", some))
    return out


def earlier(out: Path | None) -> dict[str, Outcome]:
    """The outcomes an interrupted run already wrote to `out`, by item (for --resume)."""
    if out is None or not out.exists():
        return {}
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line]
    return {row["item"]: Outcome(**row) for row in rows}


def run_all(
    items: Sequence[Any], score: Callable[[Any], Outcome], out: Path | None, label: str,
    kept: dict[str, Outcome] | None = None, name: Callable[[Any], str] = str,
) -> list[Outcome]:  # fmt: skip
    """Score each item, printing progress to stderr and appending JSON lines to `out`; an item
    whose `name` is in `kept` is not scored again."""
    outcomes: list[Outcome] = []
    kept = kept or {}
    sink = out.open("a", encoding="utf-8") if out else None
    try:
        for i, item in enumerate(items, 1):
            if name(item) in kept:
                outcomes.append(kept[name(item)])
                continue
            outcome = score(item)
            outcomes.append(outcome)
            if sink:
                sink.write(json.dumps(asdict(outcome)) + "\n")
                sink.flush()
            judged = [o for o in outcomes if o.judged]
            bare = sum(o.bare_pass for o in judged)
            ver = sum(o.verified_pass for o in judged)
            mark = "-" if not outcome.judged else "+" if outcome.verified_pass else "x"
            print(
                f"[{label} {i}/{len(items)}] {mark} {outcome.item} bare {bare}/{len(judged)} "
                f"verified {ver}/{len(judged)} repairs {outcome.repairs} "
                f"{outcome.verified_s:.1f}s {outcome.note}",
                file=sys.stderr,
                flush=True,
            )
    finally:
        if sink:
            sink.close()
    return outcomes


def table(model: str, rows: list[tuple[str, list[Outcome]]]) -> str:
    """model | set | n | pass rate | with verification | mean latency (bare / verified)."""
    head = (
        f"{'model':<22} {'set':<24} {'n':>4} {'judged':>6} {'pass rate':>9} "
        f"{'with verification':>17} {'repaired':>8} {'mean latency':>18}"
    )
    lines = [head, "-" * len(head)]
    for name, outcomes in rows:
        judged = [o for o in outcomes if o.judged]
        n = len(judged)
        bare = 100 * sum(o.bare_pass for o in judged) / n if n else 0.0
        ver = 100 * sum(o.verified_pass for o in judged) / n if n else 0.0
        repaired = sum(o.repairs > 0 for o in outcomes)
        lat_b = statistics.mean(o.bare_s for o in outcomes) if outcomes else 0.0
        lat_v = statistics.mean(o.verified_s for o in outcomes) if outcomes else 0.0
        lines.append(
            f"{model:<22} {name:<24} {len(outcomes):>4} {n:>6} {bare:>8.1f}% "
            f"{ver:>16.1f}% {repaired:>8} {lat_b:>7.1f}s / {lat_v:>6.1f}s"
        )
    return "\n".join(lines)

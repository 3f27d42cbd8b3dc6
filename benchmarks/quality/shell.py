"""Shell quality by execution: NL2Bash requests, answers run in a sandbox over a fixture tree.

    python benchmarks/quality/shell.py [--limit 60] [--model M] [--threads 1] [--out f.jsonl]
        [--modes bare,checked,best] [--samples 3] [--split test|dev] [--rebuild]

Tasks are the NL2Bash test pairs whose reference can be judged here (shell_tasks.py; saved
in shell_tasks.jsonl, recomputed with --rebuild); `--split dev` takes the dev pairs instead
(shell_tasks_dev.jsonl), to try a change on before it is measured on test. The reference and
each answer run in codeassist's sandbox (user, mount, PID and network namespaces: read-only
file system, no network, 5 s) over a fresh copy of the same fixture (shell_fixture.py);
shell_judge.py says how outputs and trees are compared. Modes, one row each:

- bare: the model alone. One user message, no system prompt, no working directory, no
  operating system, no repository facts, no checks, no repair: `BARE` below, greedy.
- checked: codeassist's path today, as `codeassist gen --lang shell` in that folder: its
  prompt (with the operating system, shell and working directory), checks, repair rounds.
- best: best-of-k (`--samples K`, 3 when not given): codeassist's path with the pipeline's
  best of k (pipeline/best.py): more candidates when the checks do not confirm the first.
Latency is the answer's wall-clock time on this machine (the judging runs not counted). Each
task is answered in every mode before the next (bare on a model of its own, so that it does
not evict codeassist's evaluated system prompt, as a resident server keeps it); best of k's
greedy first answer is the one `checked` decoded, replayed and charged the seconds it took.
`--resume` keeps the answers an interrupted run wrote to `--out`.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import common
import shell_fixture
import shell_judge
import shell_tasks

from codeassist import pipeline
from codeassist.backends.base import Backend, Message, Options, Response
from codeassist.pipeline.extract import extract

MODES = ("bare", "checked", "best")
BARE = (
    "Write a bash command line for this task. Reply with only the command, in one ```bash "
    "fenced block.\n\nTask: {request}"
)


@dataclass
class Answer:
    """One task answered in one mode, and how it was judged."""

    task: str
    mode: str
    code: str
    seconds: float
    passed: bool
    repairs: int = 0
    note: str = ""


def bare(backend: Backend, text: str, options: Options) -> tuple[str, int]:
    """The bare model's command for `text` (see the module's docstring), no repairs."""
    response = Response(backend.stream([Message("user", BARE.format(request=text))], options))
    for _ in response:
        if extract(response.text, "shell").closed_block:
            break
    response.finish()
    return extract(response.text, "shell").code, 0


def through_pipeline(
    backend: Backend, fixture: Path, options: Options, max_repairs: int, samples: int = 0
) -> Callable[[str], tuple[str, int]]:
    """codeassist's answer (checks and repair; best-of-`samples` when asked)."""

    def answer(text: str) -> tuple[str, int]:
        request = pipeline.Request(
            text, language="shell", cwd=fixture, options=options, max_repairs=max_repairs
        )
        if samples:
            request = dataclasses.replace(request, samples=samples)
        result = pipeline.run(request, backend)
        return result.code, result.repairs

    return answer


class Judge:
    """Runs references (once each) and candidates over the fixture and compares them."""

    def __init__(self, fixture: Path) -> None:
        self.fixture = fixture
        self.references: dict[str, tuple[str, shell_fixture.Tree]] = {}

    def __call__(self, task: shell_tasks.Task, code: str) -> tuple[bool, str]:
        if task.id not in self.references:
            ref, tree = shell_fixture.execute(task.reference, self.fixture)
            self.references[task.id] = (ref.stdout, tree)
        if not code.strip():
            return False, "no command"
        got, tree = shell_fixture.execute(code, self.fixture)
        if got.timed_out:
            return False, "timed out"
        want, want_tree = self.references[task.id]
        fits = shell_judge.same(task.reference, want, want_tree, got.stdout, tree, self.fixture)
        return fits, ""


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)] if ordered else 0.0


def table(
    model: str, judged: int, total: int, ran: int, rows: dict[str, list[Answer] | None],
    split: str = "test",
) -> str:  # fmt: skip
    """One row per mode: tasks, pass rate, repaired, mean and p90 latency."""
    head = (
        f"{'model':<22} {'mode':<18} {'tasks':>5} {'pass rate':>9} {'repaired':>8} "
        f"{'mean latency':>12} {'p90 latency':>11}"
    )
    lines = [head, "-" * len(head)]
    names = {"bare": "bare model", "checked": "checks and repair", "best": "best-of-k"}
    for mode, answers in rows.items():
        if answers is None:
            lines.append(f"{model:<22} {names[mode]:<18} {'n/a':>5} {'n/a':>9} {'n/a':>8} "
                         f"{'n/a':>12} {'n/a':>11}")  # fmt: skip
            continue
        n = len(answers)
        rate = 100 * sum(a.passed for a in answers) / n if n else 0.0
        secs = [a.seconds for a in answers]
        mean = statistics.mean(secs) if secs else 0.0
        lines.append(
            f"{model:<22} {names[mode]:<18} {n:>5} {rate:>8.1f}% "
            f"{sum(a.repairs > 0 for a in answers):>8} {mean:>11.2f}s {p90(secs):>10.2f}s"
        )
    lines.append(f"judgeable here: {judged} of {total} NL2Bash {split} pairs; run on {ran} of them")
    return "\n".join(lines)


def arguments() -> argparse.Namespace:
    p = common.parser(__doc__.splitlines()[0], default_limit=0)
    p.add_argument("--modes", default=",".join(MODES), help="comma list of: bare,checked,best")
    p.add_argument("--rebuild", action="store_true", help="recompute the judgeable task list")
    p.add_argument(
        "--split", choices=shell_tasks.SPLITS, default="test",
        help="NL2Bash split: test (what is reported) or dev (for trying changes first)",
    )  # fmt: skip
    args = p.parse_args()
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if unknown := set(args.modes) - set(MODES):
        p.error(f"unknown mode(s): {', '.join(sorted(unknown))}")
    return args


def main() -> None:
    args = arguments()
    nl2bash = args.eval_dir / "nl2bash"

    def build(fixture: Path) -> None:
        if args.rebuild or not shell_tasks.tasks_file(args.split).exists():
            kept, why = shell_tasks.rebuild(nl2bash, fixture, args.split)
            saved = shell_tasks.tasks_file(args.split).name
            print(f"rebuilt {saved}: {len(kept)} judgeable; left out: "
                  f"{dict(why.most_common())}", file=sys.stderr)  # fmt: skip
        else:
            shell_tasks.build_fixture(nl2bash, fixture, args.split)

    with shared_fixture(args.split, build) as (fixture, built):
        if args.rebuild and not built:
            print("--rebuild not done: another run is using the fixture", file=sys.stderr)
        run(args, nl2bash, fixture)


@contextlib.contextmanager
def shared_fixture(split: str, build: Callable[[Path], None]) -> Iterator[tuple[Path, bool]]:
    """The fixture's one place for the split, and whether `build` built it afresh (it does
    unless another run is using it).

    The working directory is in every prompt: under a random name (mkdtemp) the same request
    got another greedy answer from run to run (38 of 208). So every run uses one path, and
    runs side by side share the fixture: the first builds it (file ages count from then), the
    others use it as it is (nothing writes to it: commands run on copies of it).
    """
    root = Path(tempfile.gettempdir()) / "codeassist-shellbench" / split
    root.mkdir(parents=True, exist_ok=True)
    with (root / "build.lock").open("a") as building, (root / "use.lock").open("a") as using:
        fcntl.flock(building, fcntl.LOCK_EX)  # one run at a time decides, and builds
        built = False
        try:
            try:
                fcntl.flock(using, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pass  # in use: the run using it built it
            else:
                shutil.rmtree(root / "work", ignore_errors=True)
                build(root / "work")
                built = True
            fcntl.flock(using, fcntl.LOCK_SH)  # a shared lock: held while this run uses it
        finally:
            fcntl.flock(building, fcntl.LOCK_UN)
        yield root / "work", built


def earlier(out: Path | None) -> dict[tuple[str, str], Answer]:
    """The answers an interrupted run already wrote to `out` (for --resume)."""
    if out is None or not out.exists():
        return {}
    rows = [Answer(**json.loads(line)) for line in out.read_text().splitlines() if line]
    return {(row.task, row.mode): row for row in rows}


def run(a: argparse.Namespace, nl2bash: Path, fixture: Path) -> None:
    """Answer each chosen task in each mode, judge the answers, print the table."""
    tasks = shell_tasks.load(a.split)
    chosen = [tasks[i] for i in common.spread(len(tasks), a.limit, a.reverse)]
    inner = common.open_model(a.model, a.threads)
    backend = common.Replay(inner)
    # The bare prompt shares no prefix with codeassist's: on one model, each bare answer would
    # evict the system prompt that a resident server keeps evaluated across requests.
    plain = common.open_model(a.model, a.threads) if len(a.modes) > 1 else inner
    options = Options(max_tokens=min(a.max_tokens, 256), temperature=0.0)
    reps: int = a.max_repairs
    answerers: dict[str, Callable[[str], tuple[str, int]]] = {
        "bare": lambda text: bare(plain, text, options),
        "checked": through_pipeline(backend, fixture, options, reps),
        "best": through_pipeline(backend, fixture, options, reps, a.samples or 3),
    }  # fmt: skip
    judge = Judge(fixture)
    kept = earlier(a.out) if a.resume else {}
    rows: dict[str, list[Answer] | None] = {mode: [] for mode in a.modes}
    sink = a.out.open("a", encoding="utf-8") if a.out else None
    for i, task in enumerate(chosen, 1):
        backend.forget()
        for mode in a.modes:
            done = kept.get((task.id, mode))
            if done is None:
                done = answered(task, mode, answerers[mode], judge, backend)
                if sink:
                    sink.write(json.dumps(dataclasses.asdict(done)) + "\n")
                    sink.flush()
                mark = "+" if done.passed else "x"
                print(f"[{mode} {i}/{len(chosen)}] {mark} {task.id} {done.seconds:.1f}s "
                      f"{done.code[:60]!r}", file=sys.stderr, flush=True)  # fmt: skip
            rows[mode].append(done)  # type: ignore[union-attr]
    if sink:
        sink.close()
    total = shell_tasks.total(nl2bash, a.split)
    print(table(inner.name, len(tasks), total, len(chosen), rows, a.split))


def answered(
    task: shell_tasks.Task, mode: str, answer: Callable[[str], tuple[str, int]], judge: Judge,
    backend: common.Replay,
) -> Answer:  # fmt: skip
    """One task answered in one mode and judged; its seconds include what a replay saved."""
    owed, started = backend.owed, time.perf_counter()
    code, repairs = answer(task.request)
    seconds = time.perf_counter() - started + backend.owed - owed
    passed, note = judge(task, code)
    return Answer(task.id, mode, code, seconds, passed, repairs, note)


if __name__ == "__main__":
    main()

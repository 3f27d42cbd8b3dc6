"""Which NL2Bash pairs the shell benchmark can judge: computed once per split, and saved
(shell_tasks.jsonl for test, shell_tasks_dev.jsonl for dev).

A pair is judgeable when its reference command passes `shell_judge.reference_problem`, runs
in the sandbox over the fixture without error or time-out, has an observable effect (output,
or a changed tree), and does so deterministically: run twice, both runs print the same
(normalized) output and leave the same tree. Output cut at the sandbox's limit is not judged.
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import shell_fixture
import shell_judge
import shell_names

from codeassist.verify import sandbox

# NL2Bash's held-out splits: `test` is what the benchmark reports; `dev` is for trying changes
# (a prompt, a check) before they are measured on `test`, so that they are not fitted to it.
SPLITS = ("test", "dev")


def tasks_file(split: str = "test") -> Path:
    """Where a split's judgeable tasks are saved."""
    return Path(__file__).with_name(
        "shell_tasks.jsonl" if split == "test" else f"shell_tasks_{split}.jsonl"
    )


@dataclass(frozen=True)
class Task:
    id: str  # split:line (0-based) in the NL2Bash split files
    request: str
    reference: str


def pairs(nl2bash: Path, split: str = "test") -> list[Task]:
    """Every pair of a split."""
    nl = (nl2bash / "split" / f"{split}.nl").read_text(encoding="utf-8").splitlines()
    cm = (nl2bash / "split" / f"{split}.cm").read_text(encoding="utf-8").splitlines()
    rows = enumerate(zip(nl, cm, strict=True))
    return [Task(f"{split}:{i}", n.strip(), c.strip()) for i, (n, c) in rows]


def build_fixture(nl2bash: Path, fixture: Path, split: str = "test") -> None:
    """The fixture, with what the split's commands name."""
    named = shell_names.names([t.reference for t in pairs(nl2bash, split)])
    shell_fixture.build(fixture, named=named)


def why_not(task: Task, fixture: Path, untouched: shell_fixture.Tree) -> str | None:
    """None when the pair can be judged; else why not."""
    problem = shell_judge.reference_problem(task.reference, fixture)
    if problem:
        return problem
    runs = [shell_fixture.execute(task.reference, fixture) for _ in range(2)]
    first, tree = runs[0]
    if first.timed_out:
        return "times out"
    if not first.ok:
        return "fails"
    if len(first.stdout) >= sandbox.OUTPUT_LIMIT:
        return "output too long"
    if not first.stdout.strip() and tree == untouched:
        return "no observable effect"
    keep = shell_judge.ordered(task.reference)
    outputs = {tuple(shell_judge.normalize(o.stdout, fixture, keep)) for o, _ in runs}
    if len(outputs) > 1 or runs[1][1] != tree:
        return "not deterministic"
    return None


def rebuild(
    nl2bash: Path, fixture: Path, split: str = "test", jobs: int = 4
) -> tuple[list[Task], Counter[str]]:
    """A split's judgeable tasks (saved to its `tasks_file`) and, for the rest, why not."""
    build_fixture(nl2bash, fixture, split)
    untouched = shell_fixture.execute("true", fixture)[1]  # the tree as a run leaves it
    everything = pairs(nl2bash, split)
    with ThreadPoolExecutor(jobs) as pool:
        reasons = list(pool.map(lambda t: why_not(t, fixture, untouched), everything))
    kept = [t for t, r in zip(everything, reasons, strict=True) if r is None]
    saved = "".join(json.dumps(asdict(t)) + "\n" for t in kept)
    tasks_file(split).write_text(saved, encoding="utf-8")
    return kept, Counter(r.split(":")[0] for r in reasons if r)


def load(split: str = "test") -> list[Task]:
    """A split's saved judgeable tasks."""
    lines = tasks_file(split).read_text(encoding="utf-8").splitlines()
    return [Task(**json.loads(line)) for line in lines if line.strip()]


def total(nl2bash: Path, split: str = "test") -> int:
    """How many pairs a split holds."""
    return len(pairs(nl2bash, split))

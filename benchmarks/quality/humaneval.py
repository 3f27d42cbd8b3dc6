"""HumanEval pass@1 (greedy), bare and verified, the hidden tests executed in the sandbox.

    python benchmarks/quality/humaneval.py [--limit 20] [--model qwen2.5-coder-1.5b] [--out f.jsonl]
        [--samples 5]   (adds best of 5: bare | checks and repair | best of k)

The request is the task's prompt (signature + docstring). Verification sees only what a user
would give: the examples in the docstring (python.examples); the hidden tests are used only to
score. A program is the prompt, then the answer, then the task's tests and `check(entry_point)`,
run with a 15 s limit and no network.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import common

from codeassist import pipeline
from codeassist.backends.base import Options
from codeassist.verify import sandbox

REQUEST = (
    "Complete this Python function. Keep its name and signature; reply with the whole "
    "function (and any imports it needs).\n```python\n{prompt}```"
)


def load(eval_dir: Path) -> list[dict[str, Any]]:
    with gzip.open(eval_dir / "humaneval" / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def program(task: dict[str, Any], code: str) -> str:
    """The answer as a runnable module, after the task's prompt.

    A whole function redefines the prompt's stub (helpers the prompt defines stay); an answer
    that is only the body continues the prompt.
    """
    joint = "\n" if f"def {task['entry_point']}(" in code else ""
    return f"{task['prompt']}{joint}{code}\n\n{task['test']}\n\ncheck({task['entry_point']})\n"


def passes(task: dict[str, Any], code: str) -> bool:
    outcome = sandbox.run_python(program(task, code), limits=sandbox.Limits(timeout_s=15))
    return outcome.ok


def main() -> None:
    args = common.parser(__doc__.splitlines()[0], default_limit=20).parse_args()
    tasks = load(args.eval_dir)
    chosen = [tasks[i] for i in common.spread(len(tasks), args.limit, args.reverse)]
    backend = common.Replay(common.open_model(args.model, args.threads))
    options = Options(max_tokens=args.max_tokens, temperature=0.0)

    def score(task: dict[str, Any]) -> common.Outcome:
        request = pipeline.Request(
            REQUEST.format(prompt=task["prompt"]), language="python", options=options,
            max_repairs=args.max_repairs,
        )  # fmt: skip
        bare, verified, bare_s, verified_s = common.answer_twice(backend, request)
        outcome = common.Outcome(
            item=task["task_id"], bare_pass=passes(task, bare.code),
            verified_pass=passes(task, verified.code), bare_s=bare_s, verified_s=verified_s,
            repairs=verified.repairs, bare_code=bare.code, verified_code=verified.code,
            checks=[{"name": c.name, "passed": c.passed} for c in verified.checks],
        )  # fmt: skip
        if args.samples:
            best, outcome.best_s = common.best_of(backend, request, bare, bare_s, args.samples)
            outcome.best_pass, outcome.best_code = passes(task, best.code), best.code
            outcome.drawn = best.samples.drawn if best.samples else 1
        return outcome

    kept = common.earlier(args.out) if args.resume else {}
    outcomes = common.run_all(
        chosen, score, args.out, "humaneval", kept, lambda task: str(task["task_id"])
    )
    rows = [("HumanEval", outcomes)]
    if args.samples or any(o.best_pass is not None for o in outcomes):
        k = args.samples or max(o.drawn for o in outcomes)
        print(common.table_best(backend.name, rows, k))
    else:
        print(common.table(backend.name, rows))


if __name__ == "__main__":
    main()

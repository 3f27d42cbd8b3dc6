"""Python candidates: the most examples passed, then agreement on inputs the model proposes.

As CodeT's dual agreement: among the candidates passing the most of the request's examples,
those that return the same outputs on further inputs form a group, and the largest group wins
(ties: the earlier candidate). The inputs come from one short model call asking for edge-case
calls of the function; only calls whose arguments are Python literals are kept (parsed with
`ast.literal_eval` and written back from their values), and each candidate runs all of them in
one sandbox run with a time limit. Outputs are compared by their repr (an exception by its type).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Hashable, Sequence

from codeassist import syntax
from codeassist.verify import Check, Subject, sandbox
from codeassist.verify.select import Candidate, Choice, Propose, alone, group, largest, score

MAX_CALLS = 8
CALLS_TIMEOUT_S = 5.0  # one sandbox run per candidate, all its calls
OUTPUT_CHARS = 300  # of each output's repr, compared
ASK = (
    "Here is a Python function:\n```python\n{code}\n```\n"
    "Write {n} calls of `{name}` with edge-case arguments (empty, zero, negative, large, "
    "unusual values), one call per line, each like `{name}(...)` with only literal arguments. "
    "Reply with the calls only."
)
_MARK = "@@codeassist-outputs@@ "
_RUNNER = """
import json as _json
import solution as _s
_outs = []
for _call in _CALLS:
    try:
        _outs.append(repr(eval(_call, {"_s": _s}))[:_CHARS])
    except Exception as _e:
        _outs.append("raised " + type(_e).__name__)
print(_MARK + _json.dumps(_outs))
"""
_EXAMPLES = re.compile(r"(\d+) of (\d+) examples fail")


def choose(subject: Subject, candidates: Sequence[Candidate], propose: Propose | None) -> Choice:
    """Most examples passed, then the largest group agreeing on proposed inputs."""
    passed = [examples(c.checks) for c in candidates]
    scores = [score(c.checks) for c in candidates]
    keys = [(p[0], s) for p, s in zip(passed, scores, strict=True)]
    top = [i for i, key in enumerate(keys) if key == max(keys)]
    name = entry(candidates[top[0]].code, subject.request)
    calls: list[str] = []
    if propose is not None and name and len(top) > 1 and not sandbox.unavailable():
        calls = proposed(propose, candidates[top[0]].code, name)
    signatures: list[Hashable | None] = [None] * len(candidates)
    ran: dict[str, Hashable | None] = {}  # a code drawn twice runs once
    for i in top:
        code = candidates[i].code
        if code not in ran:
            ran[code] = outputs(code, calls, subject.timeout_s) if calls else 0
        signatures[i] = ran[code]
    groups = group(signatures)
    members = largest(groups) or top
    winner = members[0]
    said = []
    if passed[winner][1]:
        said.append(f"passes {passed[winner][0]}/{passed[winner][1]} examples")
    if calls and len(members) > 1:
        n = len(members) - 1
        agree = f"{n} others agree" if n > 1 else "1 other agrees"
        agree = agree if said else f"{n + 1} of {len(candidates)} candidates agree"
        said.append(f"{agree} on {len(calls)} proposed inputs")
    elif calls and len(top) > 1:
        said.append(f"no two of {len(top)} agree on {len(calls)} proposed inputs: the first")
    if not said and len(top) == 1:
        return alone(candidates, winner)
    if not said:
        said.append(f"passes the most checks (the first of {len(top)} that do)")
    return Choice(winner, "; ".join(said), groups, scores)


def examples(checks: list[Check]) -> tuple[int, int]:
    """(passed, total) of the request's examples; (0, 0) when there were none or none ran."""
    for c in checks:
        if c.name != "python.examples" or not c.ran:
            continue
        if c.passed:
            n = c.detail.split()[0] if c.detail else "0"
            return (int(n), int(n)) if n.isdigit() else (1, 1)
        if m := _EXAMPLES.search(c.detail):
            fail, total = int(m.group(1)), int(m.group(2))
            return total - fail, total
    return 0, 0


def entry(code: str, request: str) -> str | None:
    """The function the request is about: the first one defined that it names, else the last."""
    try:
        tree = syntax.parse_python(code)
    except SyntaxError:
        return None
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    functions = [n.name for n in tree.body if isinstance(n, kinds)]
    named = [f for f in functions if re.search(rf"\b{re.escape(f)}\b", request)]
    found = named or functions[-1:]
    return found[0] if found else None


def proposed(propose: Propose, code: str, name: str) -> list[str]:
    """Edge-case calls of `name` the model proposes, rewritten from their literal values."""
    reply = propose(ASK.format(code=code, n=MAX_CALLS // 2 + 1, name=name))
    calls: list[str] = []
    for line in reply.splitlines():
        call = literal_call(line.strip().strip("`").removeprefix(">>>").strip(), name)
        if call and call not in calls:
            calls.append(call)
    return calls[:MAX_CALLS]


def literal_call(text: str, name: str) -> str | None:
    """`_s.name(args)` for a call of `name` with only literal arguments, else None."""
    try:
        node = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError):
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return None
    if node.func.id != name or any(k.arg is None for k in node.keywords):
        return None
    try:
        args = [repr(ast.literal_eval(a)) for a in node.args]
        args += [f"{k.arg}={ast.literal_eval(k.value)!r}" for k in node.keywords]
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return f"_s.{name}({', '.join(args)})"


def outputs(code: str, calls: list[str], timeout_s: float) -> Hashable | None:
    """The reprs of each call's result in one sandbox run; None when it did not finish."""
    if sandbox.unavailable():
        return None
    script = f"_MARK = {_MARK!r}\n_CALLS = {calls!r}\n_CHARS = {OUTPUT_CHARS}\n" + _RUNNER
    limits = sandbox.Limits(min(timeout_s, CALLS_TIMEOUT_S))
    outcome = sandbox.run_python(script, files={"solution.py": code}, limits=limits)
    marked = [ln for ln in outcome.stdout.splitlines() if ln.startswith(_MARK)]
    if outcome.timed_out or not marked:
        return None
    return tuple(json.loads(marked[-1][len(_MARK) :]))

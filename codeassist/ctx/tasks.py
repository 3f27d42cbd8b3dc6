"""The project's named tasks, as a shell request should call them: `make test`, `tox -e flake8`.

Read from the files that define them (Makefile, justfile, package.json, pyproject.toml,
tox.ini, noxfile.py, Taskfile.yml) in the repository root and the working directory; one
line per file: how to run a task, then its names. Only small regular files inside the repository
are read (a link is followed only to a file inside it), and none is run.
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from codeassist.ctx.files import read_regular, shown

MAX_BYTES = 256_000  # a task file larger than this is not read
MAX_NAMES = 24  # task names per file
MAX_FOUND = 1000  # tox names made from one file at most: `{a,b}` groups multiply
MAX_ENTRY = 256  # a longer tox envlist entry is not a name
TASK_FILES: dict[str, tuple[str, Callable[[str], list[str]]]] = {}  # filled below

_MAKE_RULE = re.compile(r"^([A-Za-z0-9_][^:#=%\s]*(?:[ \t]+[^:#=%\s]+)*)[ \t]*:(?![:=])", re.M)
_JUST_RULE = re.compile(r"^@?([A-Za-z_][\w-]*)(?:[ \t]+[^:=\n]*)?:(?!=)", re.M)
_JUST_SKIP = ("set", "alias", "export", "import", "mod")
# A line's session decorator (its arguments bounded: an unclosed one costs little) or a `def`.
_NOX = re.compile(
    r"@nox\.session(?:\((?P<args>[^)]{0,1000}+)\))?[ \t]*$|^[ \t]*def[ \t]+(?P<func>\w+)", re.M
)
_NOX_NAME = re.compile(r"name\s*=\s*['\"]([\w.-]+)['\"]")


def tasks(root: Path, cwd: Path) -> list[str]:
    """One line per task file of `root` and `cwd`: `how (file): name name …`."""
    lines = []
    root = root.resolve()
    for folder in dict.fromkeys((cwd.resolve(), root)):
        base = root if folder.is_relative_to(root) else folder
        for name, (how, read) in TASK_FILES.items():
            rel = (folder / name).relative_to(base).as_posix()
            text = _read(base, rel)
            if text is None:
                continue
            try:
                names = _unique(read(text))
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
                continue  # not valid, or nested too deep to parse
            if not names:
                continue
            where = name if folder == root else shown(str(folder / name) if base != root else rel)
            runner = _node_runner(folder) if how == "npm run" else how
            plus = "+" if len(names) >= MAX_FOUND else ""  # tox stops making names there
            more = f" … {len(names) - MAX_NAMES}{plus} more" if len(names) > MAX_NAMES else ""
            lines.append(f"{runner} ({where}): {', '.join(names[:MAX_NAMES])}{more}")
    return lines


def _read(base: Path, rel: str) -> str | None:
    """The text of the regular file `rel` under `base`; a link only to a file inside `base`."""
    try:
        return read_regular(base, rel, MAX_BYTES).decode("utf-8", errors="replace")
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            return None  # missing, too large, a FIFO or a device
    target = Path(os.path.realpath(base / rel))  # a link: read what it names, if inside
    if not target.is_relative_to(base) or target == base:
        return None
    try:
        data = read_regular(base, target.relative_to(base).as_posix(), MAX_BYTES)
    except OSError:
        return None
    return data.decode("utf-8", errors="replace")


def _unique(names: Iterable[str]) -> list[str]:
    return [n for n in dict.fromkeys(names) if n]


def make_targets(text: str) -> list[str]:
    """Explicit targets of a Makefile (not special `.X` ones, patterns or variables)."""
    text = re.sub(r"\\\n", " ", text)
    found: list[str] = []
    for match in _MAKE_RULE.finditer(text):
        found.extend(t for t in match.group(1).split() if not t.startswith((".", "$")))
    return found


def just_recipes(text: str) -> list[str]:
    return [
        m.group(1) for m in _JUST_RULE.finditer(text)
        if m.group(1) not in _JUST_SKIP and not m.group(1).startswith("_")
    ]  # fmt: skip


def npm_scripts(text: str) -> list[str]:
    scripts = json.loads(text).get("scripts") or {}
    return [str(name) for name in scripts if not str(name).startswith(("pre", "post"))]


def pyproject_scripts(text: str) -> list[str]:
    """Console scripts ([project.scripts], poetry's) and task runners' tasks (poe, pdm, hatch)."""
    data = tomllib.loads(text)
    tool = data.get("tool", {})
    found = list(data.get("project", {}).get("scripts", {}))
    found += list(tool.get("poetry", {}).get("scripts", {}))
    found += [f"poe {name}" for name in tool.get("poe", {}).get("tasks", {})]
    found += [f"pdm run {name}" for name in tool.get("pdm", {}).get("scripts", {})]
    for env, spec in tool.get("hatch", {}).get("envs", {}).items():
        prefix = "" if env == "default" else f"{env}:"
        found += [f"hatch run {prefix}{name}" for name in spec.get("scripts", {})]
    if legacy := tool.get("tox", {}).get("legacy_tox_ini"):
        found += [f"tox -e {name}" for name in tox_envs(legacy)]
    found += [f"tox -e {name}" for name in tool.get("tox", {}).get("env", {})]
    return found


def tox_envs(text: str) -> list[str]:
    """The envlist (factors expanded: `py3{12,13}`) and every `[testenv:NAME]` section.

    No pattern here reaches past its line (or an envlist's indented lines): a file of blank
    lines or unclosed brackets costs one pass, not one per line.
    """
    found: list[str] = []
    listed = re.search(r"^[ \t]*env_?list[ \t]*=[ \t]*((?:.*\n?)(?:[ \t]+\S.*\n?)*)", text, re.M)
    sections = re.findall(r"^\[testenv:([^\]\n]+)\]", text, re.M)
    for spec in ([listed.group(1)] if listed else []) + sections:
        for entry in re.findall(r"(?:[^,\s{]|\{[^{}\n]*\})+", spec):
            if len(entry) <= MAX_ENTRY:
                found += itertools.islice(_expand(entry), MAX_FOUND - len(found))
            if len(found) >= MAX_FOUND:
                return found
    return found


def _expand(entry: str) -> Iterator[str]:
    """`py3{12,13}-django` as py312-django, py313-django: made one by one, as they are taken."""
    pieces = re.split(r"\{([^{}]*)\}", entry)  # text, group, text, group, …, text
    choices = [
        [p] if i % 2 == 0 else [c.strip() for c in p.split(",")] for i, p in enumerate(pieces)
    ]
    return ("".join(names) for names in itertools.product(*choices))


def nox_sessions(text: str) -> list[str]:
    """Functions decorated `@nox.session` (or its `name=`), found in one pass over the text."""
    found: list[str] = []
    session: re.Match[str] | None = None  # the decorator waiting for its `def`
    end = 0
    for match in _NOX.finditer(text):
        if session is not None and not _decorators_only(text[end : match.start()]):
            session = None  # code between the decorator and this line
        end = match.end()
        if match.group("func") is None:
            session = session or match
        elif session is not None:
            name = _NOX_NAME.search(session.group("args") or "")
            found.append(name.group(1) if name else match.group("func"))
            session = None
    return found


def _decorators_only(between: str) -> bool:
    """True when the text after a decorator holds only blank lines and more decorators."""
    first, *rest = between.split("\n")
    return not first.strip() and all(not ln.strip() or ln.lstrip().startswith("@") for ln in rest)


def taskfile_tasks(text: str) -> list[str]:
    """Names under `tasks:` at the first indent (YAML read by lines, without a YAML parser)."""
    found: list[str] = []
    inside = False
    for line in text.splitlines():
        if re.match(r"^tasks:\s*$", line):
            inside = True
        elif inside and re.match(r"^\S", line):
            break
        elif inside and (m := re.match(r"^  ([\w:.-]+):", line)):
            found.append(m.group(1))
    return found


def _node_runner(folder: Path) -> str:
    for lock, runner in (("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"), ("bun.lockb", "bun")):
        if (folder / lock).exists():
            return runner + " run"
    return "npm run"


TASK_FILES.update({
    "Makefile": ("make", make_targets), "makefile": ("make", make_targets),
    "GNUmakefile": ("make", make_targets), "justfile": ("just", just_recipes),
    "Justfile": ("just", just_recipes), "package.json": ("npm run", npm_scripts),
    "pyproject.toml": ("commands", pyproject_scripts), "tox.ini": ("tox -e", tox_envs),
    "noxfile.py": ("nox -s", nox_sessions), "Taskfile.yml": ("task", taskfile_tasks),
    "Taskfile.yaml": ("task", taskfile_tasks),
})  # fmt: skip

"""What a request points at, and so where the ranking walk restarts and why a file is there.

The walk restarts at files and names the request mentions (written like code, or as plain
words equal to or inside names and file stems), the current directory, files changed in the
working tree or in recent commits, and files in the language asked for. Each file the request
points at keeps its best reason, for the user to read.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

from codeassist.ctx.graph import Graph


class Signal(StrEnum):
    """What in the request, or around it, makes the walk restart at a file or name."""

    NAMED = "named"  # files and names written like code in the request
    WORDS = "words"  # plain words equal to, or inside, names and file stems
    CHANGED = "changed"  # modified or untracked in the working tree
    RECENT = "recent"  # touched by the last commits
    CWD = "cwd"  # under the current directory
    LANGUAGE = "language"  # files in the language asked for


# Where the walk restarts: each signal present gets its share of the restart mass, split
# among the files and names it points at (so forty untracked files do not drown one name).
RESTART_SHARE = {
    Signal.NAMED: 6.0,
    Signal.WORDS: 2.0,
    Signal.CHANGED: 1.5,
    Signal.RECENT: 0.5,
    Signal.CWD: 1.0,
    Signal.LANGUAGE: 0.3,
}
WORD_INSIDE = 0.15  # a word inside a name counts this much of a word equal to a name
MIN_WORD = 4  # shorter plain words of the request are not looked for


class Priority(IntEnum):
    """Why a file is in the context; when several reasons apply, the lowest is given."""

    PATH_NAMED = 0
    DEFINES_NAMED = 1
    DEFINES_WORD = 2
    STEM_NAMED = 3
    CHANGED = 4
    IN_CWD = 5
    RECENT = 6


REASON_TEXT = {  # {name}: the name the file defines
    Priority.PATH_NAMED: "named in the request",
    Priority.DEFINES_NAMED: "defines {name}, named in the request",
    Priority.DEFINES_WORD: "defines {name}, a word of the request",
    Priority.STEM_NAMED: "its name is in the request",
    Priority.CHANGED: "changed in the working tree",
    Priority.IN_CWD: "in the current directory",
    Priority.RECENT: "changed in a recent commit",
}


@dataclass(frozen=True)
class Reason:
    """Why a file is in the context, as found; `text` says it."""

    priority: Priority
    name: str = ""  # the name a file defines, for the reasons that say it

    @property
    def text(self) -> str:
        return REASON_TEXT[self.priority].format(name=self.name)


# Plain words that say nothing about the repository, and the files each language asks for.
STOPWORDS = frozenset(
    "that this with from into have which where what when than then them they there their "
    "should would could about also make write code function file files return returns "
    "using uses each every list take takes give gives show find print some more most "
    "project projects repository module modules package".split()  # "the project's X"
)
STEM_FILES = 3  # a word that is the stem of this many files or fewer names them, as code would
LANGUAGE_FILES = {"python": {"python"}, "sql": {"sql"}, "shell": {"bash", "make"}}


@dataclass(frozen=True)
class Signals:
    """What the request points at, besides its words."""

    request: str
    cwd: str | None = None  # repository-relative folder, None at the root
    changed: frozenset[str] = frozenset()  # modified or untracked in the working tree
    recent: frozenset[str] = frozenset()  # touched by recent commits
    language: str | None = None


@dataclass(frozen=True)
class Restart:
    """Where the walk restarts, and why the request points at each file it points at."""

    weights: Any  # per node: its part of the restart mass (not normalized)
    reasons: dict[str, str]  # path → reason
    named: frozenset[str] = frozenset()  # files the request names by path or dotted module


def words_of(request: str) -> tuple[set[str], set[str]]:
    """Names written like code (snake_case, CamelCase, `quoted`, call(), a dotted path:
    `django.utils.text.slugify`, resolved against the repository by `modules_named`), and
    plain words."""
    names: set[str] = set(re.findall(r"`([^`\s]+)`", request))
    words: set[str] = set()
    for position, match in enumerate(re.finditer(r"[A-Za-z_][A-Za-z0-9_.]*(\()?", request)):
        token = match.group(0).rstrip("(.")
        if dotted(token):
            names.add(token)
        for part in {token, *token.split(".")}:
            looks_like_code = (
                "_" in part
                or any(c.isupper() for c in part[1:])
                or any(c.isdigit() for c in part)
                or (part[:1].isupper() and position > 0)
                or match.group(1) is not None
            )
            if looks_like_code:
                names.add(part)
            elif len(part) >= MIN_WORD and part.lower() not in STOPWORDS:
                words.add(part.lower())
    return names, words


FILE_SUFFIXES = frozenset(
    "py pyi txt md rst json toml yaml yml cfg ini sh bash sql js ts html css csv lock log "
    "c h cc cpp go rs java rb xml".split()
)


def dotted(token: str) -> bool:
    """Whether a word is a dotted path written like code (`os.path.join`, `click.echo`), not
    an abbreviation (`e.g`, `i.e`) or a file name, which the path rule finds (`setup.py`)."""
    parts = token.split(".")
    return (
        len(parts) >= 2
        and all(len(p) >= 2 and p.isidentifier() for p in parts)
        and parts[-1].lower() not in FILE_SUFFIXES
    )


def module_paths(tokens: set[str]) -> set[str]:
    """The files a dotted path may name: `django.utils.text.slugify` gives
    django/utils/text/slugify.py, django/utils/text.py, django/utils.py, each as a package's
    __init__.py too, and django/__init__.py (a first part alone names only a package)."""
    found: set[str] = set()
    for token in filter(dotted, tokens):
        parts = token.split(".")
        for n in range(len(parts), 0, -1):
            base = "/".join(parts[:n])
            found.update(
                (f"{base}.py", f"{base}/__init__.py") if n > 1 else (f"{base}/__init__.py",)
            )
    return found


@dataclass(frozen=True)
class Module:
    """A dotted path of the request found in the repository: the files of its longest part
    that is a module here, and the name right after that part ("" where the path ends there)."""

    files: tuple[int, ...]
    attribute: str


def modules_named(g: Graph, tokens: set[str]) -> list[Module]:
    """The request's dotted paths that lead into this repository (`django.utils.text.slugify`
    in Django: django/utils/text.py, `slugify`); `os.path.join` leads nowhere here, so its
    parts stay plain words. One pass over the paths, and none without a dotted path."""
    wanted = module_paths(tokens)
    if not wanted:
        return []
    ends = tuple(f"/{m}" for m in wanted)
    as_module: dict[str, list[int]] = {}  # a module file's path in the request → its files
    for f, path in enumerate(g.paths):
        if path in wanted or path.endswith(ends):
            for m in wanted:
                if path == m or (path.endswith(f"/{m}") and _deep_enough(path, m)):
                    as_module.setdefault(m, []).append(f)
    found = []
    for token in sorted(filter(dotted, tokens)):
        parts = token.split(".")
        for n in range(len(parts), 0, -1):
            base = "/".join(parts[:n])
            hits = as_module.get(f"{base}.py", []) + as_module.get(f"{base}/__init__.py", [])
            if hits:
                found.append(Module(tuple(hits), parts[n] if n < len(parts) else ""))
                break
    return found


def _deep_enough(path: str, module: str) -> bool:
    """A package named by one word (`json` of `json.dumps`) counts at the top of the
    repository or one folder down (src/click/__init__.py), not anywhere (tests/json/)."""
    one_word = module.endswith("/__init__.py") and module.count("/") == 1
    return not one_word or path.count("/") <= 2


def restart(
    g: Graph, signals: Signals, tokens: set[str], words: set[str], modules: list[Module]
) -> Restart:
    """The restart weights for a request's names (`tokens`), `words`, the `modules` its dotted
    paths name, and other `signals`."""
    seeds = _Seeds(g.size)
    _point_files(seeds, g, tokens, signals, modules)
    _point_names(seeds, g, tokens, words)
    inside = _point_inside_names(seeds, g, words)
    reasons = {p: why.text for p, why in seeds.reasons.items()}
    named = frozenset(p for p, why in seeds.reasons.items() if why.priority is Priority.PATH_NAMED)
    return Restart(seeds.restart(inside), reasons, named)


class _Seeds:
    """Where the walk restarts (weighted points per signal), and the best reason per file."""

    def __init__(self, size: int) -> None:
        self.size = size  # nodes
        self.points: dict[Signal, dict[int, float]] = {signal: {} for signal in RESTART_SHARE}
        self.reasons: dict[str, Reason] = {}

    def point(self, signal: Signal, node: int, weight: float = 1.0) -> None:
        if node >= 0:
            self.points[signal][node] = self.points[signal].get(node, 0.0) + weight

    def why(self, path: str, priority: Priority, name: str = "") -> None:
        """Give `path` this reason unless it has one of a lower (better) priority already."""
        if path not in self.reasons or self.reasons[path].priority > priority:
            self.reasons[path] = Reason(priority, name)

    def restart(self, inside: Any) -> Any:
        """The restart mass per node; `inside`: the words' small points, added up in bulk."""
        import numpy as np

        restart = np.zeros(self.size)
        for signal, pointed in self.points.items():
            extra = inside if signal is Signal.WORDS else None
            total = sum(pointed.values()) + (float(extra.sum()) if extra is not None else 0.0)
            for node, weight in pointed.items():
                restart[node] += RESTART_SHARE[signal] * weight / total
            if extra is not None and total > 0:
                restart += RESTART_SHARE[signal] * extra / total
        return restart


def _point_files(
    seeds: _Seeds, g: Graph, tokens: set[str], signals: Signals, modules: list[Module]
) -> None:
    """Files named in the request (by path or dotted module), changed, recent, under the
    current folder, in the language.

    One pass each over the sorted paths and languages; none per file in Python.
    """
    paths = g.paths
    request, ends = signals.request, tuple(f"/{t}" for t in tokens)
    for f, path in enumerate(paths):
        if (len(path) > 3 and path in request) or path in tokens or path.endswith(ends):
            seeds.point(Signal.NAMED, f)
            seeds.why(path, Priority.PATH_NAMED)
    for f in (f for module in modules for f in module.files):
        seeds.point(Signal.NAMED, f)
        seeds.why(paths[f], Priority.PATH_NAMED)
    for signal, chosen, priority in (
        (Signal.CHANGED, signals.changed, Priority.CHANGED),
        (Signal.RECENT, signals.recent, Priority.RECENT),
    ):
        for path in chosen:
            f = bisect.bisect_left(paths, path)
            if f < len(paths) and paths[f] == path:
                seeds.point(signal, f)
                seeds.why(path, priority)
    if signals.cwd:
        start = bisect.bisect_left(paths, signals.cwd + "/")
        for f in range(start, bisect.bisect_left(paths, signals.cwd + "0", start)):
            seeds.point(Signal.CWD, f)
            seeds.why(paths[f], Priority.IN_CWD)
    wanted = LANGUAGE_FILES.get(signals.language or "", set())
    for f in [f for f, lang in enumerate(g.languages) if lang in wanted] if wanted else []:
        seeds.point(Signal.LANGUAGE, f)


def _point_names(seeds: _Seeds, g: Graph, tokens: set[str], words: set[str]) -> None:
    """Files whose stem is a name or word of the request, and the names the request writes."""
    stems = {t.lower() for t in tokens} | words
    by_stem: dict[str, list[int]] = {}
    for f, stem in enumerate(g.stems):
        if stem in stems:
            by_stem.setdefault(stem, []).append(f)
    for token in stems:
        matched = by_stem.get(token, [])
        signal = Signal.NAMED if len(matched) <= STEM_FILES else Signal.WORDS
        for f in matched:
            seeds.point(signal, f, 1.0 / len(matched))
            seeds.why(g.paths[f], Priority.STEM_NAMED)
    for name in sorted(tokens):
        if (u := g.find(name)) is not None:
            seeds.point(Signal.NAMED, int(g.node_of[u]))
            for f in g.files_defining(u):
                seeds.why(g.paths[f], Priority.DEFINES_NAMED, name)


def _point_inside_names(seeds: _Seeds, g: Graph, words: set[str]) -> Any:
    """Names equal to a word of the request; the small points of names holding one, per node.

    One string of all names, one per line, searched in C rather than name by name.
    """
    import numpy as np

    inside = np.zeros(g.size)
    if not words:
        return inside
    lowered, starts = g.low_text, g.low_starts
    lengths = np.diff(starts, append=len(lowered) + 1) - 1
    for word in sorted(words):
        hits = [m.start() for m in re.finditer(re.escape(word), lowered)]
        found = np.searchsorted(starts, hits, side="right") - 1
        lines = np.asarray(sorted(set(found.tolist())), dtype=np.intp)  # np.unique: +numpy.ma
        same = lengths[lines] == len(word)  # a line holding the word, as long as it
        for u in lines[same].tolist():
            seeds.point(Signal.WORDS, int(g.node_of[u]))
            for f in g.files_defining(u):
                seeds.why(g.paths[f], Priority.DEFINES_WORD, g.unique[u])
        part = lines[~same & (lengths[lines] > MIN_WORD)]
        nodes = g.node_of[part]
        np.add.at(inside, nodes[nodes >= 0], WORD_INSIDE / max(len(part), 1))
    return inside

"""What the request names itself comes first in its part of the context: a module written as
a dotted path (`pkg.utils.dateparse`), a class with its members (`Truncator`: `words`); and
the files of a commit that imported a whole tree are not "recent"."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeassist.backends.base import estimate_tokens
from codeassist.context import ContextPack, build_context, request_context
from codeassist.ctx import changes
from codeassist.ctx.index import build_index
from codeassist.ctx.pack import pack
from codeassist.ctx.rank import RankedTag
from codeassist.ctx.signals import dotted, module_paths, modules_named, words_of
from codeassist.ctx.tags import FileTags
from tests.helpers.repos import git

TEXT = '''\
def add_truncation_text(text, truncate=None):
    return text + (truncate or "...")


def capfirst(text):
    return text[:1].upper() + text[1:]


def wrap(text, width):
    return text


class Truncator:
    """Truncate text, either by characters or words."""

    def chars(self, num, truncate=None):
        return self.text[:num]

    def _text_chars(self, length, truncate):
        """Truncate a string after a certain number of chars."""
        return self.text[:length]

    def words(self, num, truncate=None, html=False):
        """Truncate a string after a certain number of words."""
        return " ".join(self.text.split()[:num])
'''
DATEPARSE = '''\
def parse_date(value):
    """Parse a string and return a datetime.date."""


def parse_time(value):
    """Parse a string and return a datetime.time."""


def parse_duration(value):
    """Parse a duration string and return a datetime.timedelta."""
'''
FILTERS = """\
from pkg.utils.text import Truncator, capfirst, wrap


def date(value, arg=None):
    return capfirst(wrap(value, 10))


def time(value, arg=None):
    return date(value)


def truncatewords(value, arg):
    return Truncator(value).words(int(arg))
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A package whose filters module defines `date` and `time` and uses the text helpers
    everywhere, so the plain words of a request point there unless the request names more."""
    root = tmp_path_factory.mktemp("named") / "repo"
    (root / "pkg" / "utils").mkdir(parents=True)
    (root / "pkg" / "template").mkdir()
    for folder in ("pkg", "pkg/utils", "pkg/template"):
        (root / folder / "__init__.py").write_text("")
    (root / "pkg" / "utils" / "text.py").write_text(TEXT)
    (root / "pkg" / "utils" / "dateparse.py").write_text(DATEPARSE)
    (root / "pkg" / "template" / "filters.py").write_text(FILTERS)
    (root / "pkg" / "utils" / "proc.py").write_text("def run(*argv):\n    return argv\n")
    (root / "pkg" / "jobs.py").write_text("from pkg.utils.proc import run\n\nrun('make')\n")
    for n in range(8):  # users of the filters and text helpers: the graph ranks those high
        (root / "pkg" / f"view{n}.py").write_text(
            "from pkg.template.filters import date, time\nfrom pkg.utils.text import capfirst\n\n"
            f"def show{n}(v):\n    return capfirst(date(v)) + time(v)\n"
        )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "import")
    for n in range(changes.RECENT_COMMITS):  # the import is older than the recent commits
        (root / "NEWS.txt").write_text(f"release {n}\n")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"release {n}")
    return root


def own_part(repo: Path, request: str, budget: int = 60) -> ContextPack:
    return build_context(repo, request, budget=budget, count_tokens=estimate_tokens)


def test_a_dotted_module_path_puts_that_module_first(repo: Path) -> None:
    pack = own_part(repo, "read a date and a time from ISO strings with pkg.utils.dateparse")
    assert pack.files[0].path == "pkg/utils/dateparse.py"
    assert pack.files[0].reason == "named in the request"
    assert "def parse_date(value):" in pack.text and "def parse_time(value):" in pack.text


def test_without_the_dotted_path_the_plain_words_win(repo: Path) -> None:
    """The control: the same words without the module path point at the filters."""
    pack = own_part(repo, "read a date and a time from ISO strings")
    assert pack.files[0].path != "pkg/utils/dateparse.py"


def test_a_named_class_brings_its_members_first(repo: Path) -> None:
    pack = own_part(repo, "cut a text down to 10 words with pkg.utils.text.Truncator", budget=70)
    assert "class Truncator:" in pack.text
    assert "def words(self, num, truncate=None, html=False):" in pack.text
    assert "def capfirst" not in pack.text  # the module's other helpers wait their turn
    assert "_text_chars" not in pack.text  # a private helper of the class, too


@pytest.mark.parametrize(
    ("token", "is_dotted"),
    [("django.utils.text.slugify", True), ("os.path", True), ("click.echo", True),
     ("e.g", False), ("i.e", False), ("setup.py", False), ("notes.txt", False),
     ("v1.2", False), ("slugify", False)],
)  # fmt: skip
def test_what_counts_as_a_dotted_path(token: str, is_dotted: bool) -> None:
    assert dotted(token) is is_dotted


def test_a_dotted_path_is_a_name_and_maps_to_module_files() -> None:
    names, words = words_of("escape it with django.utils.html.escape, e.g. in a view")
    assert "django.utils.html.escape" in names
    assert "e.g" not in names
    assert {"django/utils/html.py", "django/utils/html/escape.py", "django/__init__.py"} <= (
        module_paths(names)
    )
    assert "django.py" not in module_paths(names)  # a first part alone: only a package


def test_a_dotted_path_names_its_attribute_only_where_its_module_is_here(repo: Path) -> None:
    graph = build_index(repo).graph
    assert graph is not None
    found = modules_named(graph, {"pkg.utils.text.Truncator", "os.path.join", "json.dumps"})
    assert [(sorted(graph.paths[f] for f in m.files), m.attribute) for m in found] == [
        (["pkg/utils/text.py"], "Truncator")
    ]
    package = modules_named(graph, {"pkg.capfirst"})  # a package's own name
    assert [(sorted(graph.paths[f] for f in m.files), m.attribute) for m in package] == [
        (["pkg/__init__.py"], "capfirst")
    ]


def test_a_dotted_path_from_elsewhere_pulls_in_nothing_new(repo: Path) -> None:
    """`subprocess.run`: no module of the repository, so `run` stays a plain word (too short to
    look for) rather than a name of the request, which would bring pkg/utils/proc.py's `run`."""
    with_path = own_part(repo, "start the worker with subprocess.run")
    without = own_part(repo, "start the worker")
    assert with_path.text == without.text
    assert "def run" not in with_path.text


def test_a_commit_of_a_whole_tree_is_not_recent(tmp_path: Path) -> None:
    root = tmp_path / "r"
    (root / "vendor").mkdir(parents=True)
    for n in range(changes.RECENT_MAX_FILES + 1):
        (root / "vendor" / f"m{n}.py").write_text(f"X = {n}\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "vendor a tree")
    (root / "app.py").write_text("print(1)\n")
    (root / "vendor" / "m1.py").write_text("X = 'one'\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a change")
    found = changes.GitChanges(root)
    try:
        changed, recent = found.result()
    finally:
        found.close()
    assert recent == {"app.py", "vendor/m1.py"}
    assert changed == frozenset()


def test_the_request_part_holds_only_what_the_request_points_at(repo: Path) -> None:
    """Beside the stable part (what the repository uses most), the request's own part adds no
    definition for its rank alone: a request that points at nothing adds nothing."""
    vague = request_context(repo, "make it nicer", "python", budget=160,
                            count_tokens=estimate_tokens)  # fmt: skip
    assert vague.specific.text == "" and vague.specific.files == []
    assert vague.stable  # the overview still says what the repository has
    named = request_context(repo, "read an ISO date with pkg.utils.dateparse", "python",
                            budget=160, count_tokens=estimate_tokens)  # fmt: skip
    assert "parse_date" not in named.stable
    assert [f.reason for f in named.specific.files] == ["named in the request"] * len(
        named.specific.files
    )
    assert "def parse_date(value):" in named.specific.text
    ranked = build_context(repo, "make it nicer", budget=60, count_tokens=estimate_tokens)
    assert ranked.files  # `codeassist context` on its own still ranks the whole repository


def test_a_one_word_package_counts_only_near_the_top(tmp_path: Path) -> None:
    """`json.dumps` names a `json` package at the top (or under src/), not tests/db/json/."""
    root = tmp_path / "r"
    for folder in ("tests/db/json", "src/mylib"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("def dumps(value):\n    return value\n")
    graph = build_index(root).graph
    assert graph is not None
    assert modules_named(graph, {"json.dumps"}) == []
    found = modules_named(graph, {"mylib.dumps"})
    assert [([graph.paths[f] for f in m.files], m.attribute) for m in found] == [
        (["src/mylib/__init__.py"], "dumps")
    ]


def test_a_definition_too_large_alone_is_passed_over() -> None:
    """A long typed signature that alone overflows the request's part does not leave it empty."""
    long = "def secho(" + ", ".join(f"arg{i}: t.Optional[t.Any] = None" for i in range(20)) + "):"
    defs = (("secho", "function", 1, 0, -1, long, ""),
            ("style", "function", 9, 0, -1, "def style(text):", ""))  # fmt: skip
    files = {"m.py": FileTags("python", defs)}
    tags = [RankedTag("m.py", 0, 2.0), RankedTag("m.py", 1, 1.0)]
    assert pack(tags, files, 30, estimate_tokens).text == ""  # as the overview packs
    kept = pack(tags, files, 30, estimate_tokens, pass_over=8)
    assert kept.text == "m.py:\n  def style(text):\n"


def test_a_named_class_brings_its_public_members_not_its_private_helpers(repo: Path) -> None:
    from codeassist.ctx.rank import rank
    from codeassist.ctx.signals import Signals

    index = build_index(repo)
    request = "cut a text down to 10 words with pkg.utils.text.Truncator"
    ranking = rank(index.files, Signals(request, language="python"), graph=index.graph)
    names = [index.files[t.path].definitions[t.index].name for t in ranking.tags]
    assert set(names[:3]) == {"Truncator", "chars", "words"}  # the class and what users call


def test_a_definition_named_one_by_one_is_the_request_part_alone(repo: Path) -> None:
    """`pkg.utils.dateparse.parse_duration` names one function: the part shows it alone, not
    its module's other functions (fewer tokens for the server to evaluate)."""

    def part(request: str) -> str:
        return request_context(repo, request, "python", budget=160,
                               count_tokens=estimate_tokens).specific.text  # fmt: skip

    one = part("read a duration with pkg.utils.dateparse.parse_duration")
    assert one == (
        "pkg/utils/dateparse.py:\n  def parse_duration(value):\n"
        "    # Parse a duration string and return a datetime.timedelta.\n"
    )
    assert "def parse_date(" in part("read a duration with pkg.utils.dateparse")  # the control
    assert part("read a time of day with parse_time") == (
        "pkg/utils/dateparse.py:\n  def parse_time(value):\n"
        "    # Parse a string and return a datetime.time.\n"
    )
    assert "parse_time" not in part("read a time of day with parse time")  # plain words


def test_a_capitalized_word_does_not_count_one_by_one(repo: Path) -> None:
    """`Truncator` may be a word capitalized: it comes first, and the rest still counts."""
    text = request_context(repo, "cut words with a Truncator", "python", budget=160,
                           count_tokens=estimate_tokens).specific.text  # fmt: skip
    assert "class Truncator:" in text and "def add_truncation_text(" in text


def test_what_the_part_shows_is_worth_showing() -> None:
    """A function's local helper and a second definition of a name in one scope (a typed
    overload, a property's setter) say nothing more."""
    from codeassist.ctx.pack import worth_showing

    defs = (("Group", "class", 1, 0, -1, "class Group:", ""),
            ("group", "method", 2, 1, 0, "def group(self, f: F) -> G:", ""),
            ("group", "method", 4, 1, 0, "def group(self, *a: t.Any) -> G:", ""),
            ("test_it", "function", 9, 0, -1, "def test_it():", ""),
            ("command", "function", 10, 1, 3, "def command():", ""))  # fmt: skip
    files = {"m.py": FileTags("python", defs)}
    tags = [RankedTag("m.py", i, 1.0) for i in range(5)]
    kept = [files["m.py"].definitions[t.index].signature for t in worth_showing(tags, files)]
    assert kept == ["class Group:", "def group(self, f: F) -> G:", "def test_it():"]


def test_a_named_class_shows_how_to_make_one_first(tmp_path: Path) -> None:
    """`__init__` is defined everywhere, so its name ranks low; for a class the request names,
    it is what a caller needs first."""
    from codeassist.ctx.rank import rank
    from codeassist.ctx.signals import Signals

    (tmp_path / "pages.py").write_text(
        "class Paginator:\n"
        "    def page(self, number):\n        return number\n"
        "    def count(self):\n        return 0\n"
        "    def __init__(self, object_list, per_page):\n        self.n = per_page\n"
    )
    for n in range(6):  # __init__ is a common name; page and count are used
        (tmp_path / f"m{n}.py").write_text(
            f"class M{n}:\n    def __init__(self):\n        pass\n"
            "def use(p):\n    return p.page(1) + p.count()\n"
        )
    index = build_index(tmp_path)
    ranking = rank(index.files, Signals("paginate with a Paginator"), graph=index.graph)
    names = [index.files[t.path].definitions[t.index].name for t in ranking.tags[:2]]
    assert sorted(names) == ["Paginator", "__init__"]

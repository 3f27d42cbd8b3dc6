"""Context fitted to the language, and prompts shaped for the server's prefix cache.

A shell request carries workspace facts (tasks, tools, branch, listing), not code; a Python
request starts with the repository's stable part, byte-identical across requests, then its
own few definitions. Real git repositories in tmp_path; the real small model's tokenizer.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from codeassist import pipeline
from codeassist.backends.base import estimate_tokens
from codeassist.backends.fake import FakeBackend
from codeassist.context import request_context, stable_part
from codeassist.pipeline import grounding, prompts
from tests.helpers.cli import SMALL_MODEL, run_cli
from tests.helpers.repos import git, make_repo

PACKAGE_JSON = '{"name": "shop", "scripts": {"build": "vite build", "lint": "eslint ."}}\n'
PYPROJECT = '[project]\nname = "shop"\n[project.scripts]\nshop-admin = "app.cli:main"\n'


def shop(tmp_path: Path) -> Path:
    """The fixture shop with a package.json and a pyproject, committed."""
    repo = make_repo(tmp_path)
    (repo / "package.json").write_text(PACKAGE_JSON)
    (repo / "pyproject.toml").write_text(PYPROJECT)
    (repo / "uv.lock").write_text("version = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "tasks")
    return repo


def asked(repo: Path, text: str, language: str, backend: FakeBackend) -> list[prompts.Message]:
    """The messages the backend receives for one request, grounded as `gen` grounds it."""
    request = pipeline.Request(text, language=language, cwd=repo, verify=False)
    request = grounding.with_context(request, backend, language, 400)
    pipeline.run(request, backend)
    return backend.history[-1][0]


def test_a_shell_request_carries_tasks_tools_and_branch_not_code(tmp_path: Path) -> None:
    repo = shop(tmp_path)
    (repo / "app" / "billing.py").write_text("def changed():\n    pass\n")
    found = request_context(repo, "run the tests", "shell", budget=400,
                            count_tokens=estimate_tokens, cwd=repo)  # fmt: skip
    assert "make (Makefile): test, deploy" in found.stable
    assert "npm run (package.json): build, lint" in found.stable
    assert "commands (pyproject.toml): shop-admin" in found.stable
    assert "Git branch: main" in found.stable and "uv" in found.stable
    assert "app/" in found.stable and "Makefile" in found.stable  # the listing
    assert "def " not in found.stable and "class " not in found.stable
    assert found.specific.text == "" and found.specific.files == []
    assert found.facts == "Git working tree: 1 changed file."  # volatile: with the request
    assert estimate_tokens(found.stable) <= 400


def test_the_context_command_shows_what_a_shell_request_gets(tmp_path: Path) -> None:
    repo = shop(tmp_path)
    done = run_cli("context", "--lang", "shell", cwd=repo / "app")
    assert done.returncode == 0, done.stderr
    assert "# stable part, the same for every shell request here" in done.stdout
    assert f"Working directory: {(repo / 'app').resolve()}" in done.stdout
    assert "make (Makefile): test, deploy" in done.stdout and "Git branch: main" in done.stdout
    assert "billing.py" in done.stdout and "def refund" not in done.stdout
    assert "Git working tree: no changes to tracked files." in done.stdout


def test_two_python_requests_share_the_stable_part_as_a_prefix(tmp_path: Path) -> None:
    repo = shop(tmp_path)
    backend = FakeBackend.scripted("```python\nprint(1)\n```")
    first = asked(repo, "refund an Order when the charge fails", "python", backend)
    second = asked(repo, "make slugify keep underscores", "python", backend)
    stable = stable_part(repo, "python", 400, count_tokens=estimate_tokens)
    assert "class Customer" in stable
    assert first[0] == second[0] == prompts.stable_messages("python", stable)[0]
    assert first[0].content.endswith(stable.strip())
    assert first[1] != second[1] and "Request: refund an Order" in first[1].content
    assert stable not in first[1].content  # not sent twice


def test_the_prefix_is_identical_in_tokens_with_the_real_tokenizer(
    tmp_path: Path, small_model: Path
) -> None:
    from codeassist import models
    from codeassist.backends.llamacpp import LlamaCppBackend

    repo = shop(tmp_path)
    llm = LlamaCppBackend.load(models.resolve(SMALL_MODEL), n_ctx=2048)
    prompts_of = []
    for text in ("refund an Order when the charge fails", "make slugify keep underscores"):
        request = pipeline.Request(text, language="python", cwd=repo, verify=False)
        request = grounding.with_context(request, llm, "python", 400)
        prompts_of.append(llm.tokenize(llm.format(pipeline.messages_for(request, "python"))))
    stable = stable_part(repo, "python", 400, count_tokens=llm.count_tokens)
    system_turn = llm.format(prompts.stable_messages("python", stable))
    end = system_turn.index(stable.strip()) + len(stable.strip())  # a special token follows
    prefix = llm.tokenize(system_turn[:end])
    assert len(prefix) > 100
    assert prompts_of[0][: len(prefix)] == prompts_of[1][: len(prefix)] == prefix


def test_an_unrelated_commit_keeps_the_stable_part_a_central_one_changes_it(
    tmp_path: Path,
) -> None:
    repo = shop(tmp_path)
    before = stable_part(repo, "python", 400, count_tokens=estimate_tokens)
    cart = repo / "web" / "cart.js"
    cart.write_text(cart.read_text() + "\nexport function emptyCart(cart) {\n  cart.clear();\n}\n")
    git(repo, "commit", "-qam", "empty the cart")
    assert stable_part(repo, "python", 400, count_tokens=estimate_tokens) == before
    models = repo / "app" / "models.py"
    models.write_text(models.read_text().replace("A person who buys things.", "A buyer."))
    git(repo, "commit", "-qam", "shorter")
    after = stable_part(repo, "python", 400, count_tokens=estimate_tokens)
    assert after != before and "# A buyer." in after


def test_sql_gets_the_schema_once_and_the_code_using_it(tmp_path: Path) -> None:
    repo = shop(tmp_path)
    backend = FakeBackend.scripted("```sql\nSELECT 1;\n```")
    messages = asked(repo, "count orders per customer", "sql", backend)
    system, user = messages[0].content, messages[1].content
    assert "CREATE TABLE orders" in system and "class Order" in system
    assert "CREATE TABLE" not in user and "SQL dialect: sqlite." in user


def test_token_counts_come_from_the_cache_without_loading_the_tokenizer(
    tmp_path: Path, small_model: Path
) -> None:
    repo = shop(tmp_path)
    env = {"CODEASSIST_MODEL": SMALL_MODEL, "PYTHONPROFILEIMPORTTIME": "1"}
    cold = run_cli("context", "refund an Order", "--json", cwd=repo, env=env)
    warm = run_cli("context", "refund an Order", "--json", cwd=repo, env=env)
    assert cold.returncode == warm.returncode == 0, cold.stderr[-2000:]
    loaded = re.compile(r"\|\s+llama_cpp$", re.M)  # a line of -X importtime
    assert loaded.search(cold.stderr)  # counted with the model's tokenizer once
    assert not loaded.search(warm.stderr)  # then from the cache: nothing loaded
    assert not re.search(r"\|\s+numpy$", warm.stderr, re.M)  # nor the graph: nothing ranked
    first, second = json.loads(cold.stdout), json.loads(warm.stdout)
    assert "(counts from the cache)" in second["counted_with"]
    assert {k: v for k, v in first.items() if k != "counted_with"} == {
        k: v for k, v in second.items() if k != "counted_with"
    }


def test_an_edit_changes_the_request_part_kept_in_the_cache(tmp_path: Path) -> None:
    from codeassist.ctx.counts import TokenCounter

    repo = shop(tmp_path)

    def ask() -> str:
        count = TokenCounter("estimate", lambda: estimate_tokens, store=tmp_path / "c.sqlite")
        return request_context(repo, "refund_partially an Order", "python", budget=200,
                               count_tokens=count, cwd=repo).specific.text  # fmt: skip

    assert ask() == ask() and "refund_partially" not in ask()
    billing = repo / "app" / "billing.py"
    billing.write_text(billing.read_text() + "\n\ndef refund_partially(order, cents):\n    pass\n")
    assert "def refund_partially(order, cents):" in ask()


@pytest.mark.parametrize("name", ["Makefile", "justfile", "tox.ini", "noxfile.py", "Taskfile.yml"])
def test_task_files_give_their_task_names(tmp_path: Path, name: str) -> None:
    from codeassist.ctx.tasks import tasks

    text, expected = TASK_FILES[name]
    (tmp_path / name).write_text(text)
    assert tasks(tmp_path, tmp_path) == [expected]


TASK_FILES = {
    "Makefile": (
        "CC := gcc\n.PHONY: test\n%.o: %.c\n\t$(CC) -c $<\nbuild lint: deps\n\techo\n"
        "test:\n\tpytest\ndeps:\n", "make (Makefile): build, lint, test, deps",
    ),
    "justfile": (
        "set shell := [\"bash\"]\nversion := \"1\"\ntest *args:\n  pytest\n_hidden:\n  x\n"
        "release v: test\n  echo\n", "just (justfile): test, release",
    ),
    "tox.ini": (
        "[tox]\nenvlist =\n    py3{12,13}\n    lint\n[testenv:docs]\n",
        "tox -e (tox.ini): py312, py313, lint, docs",
    ),
    "noxfile.py": (
        "import nox\n@nox.session\ndef tests(s):\n    pass\n@nox.session(name=\"type-check\")\n"
        "def mypy(s):\n    pass\n", "nox -s (noxfile.py): tests, type-check",
    ),
    "Taskfile.yml": (
        "version: '3'\ntasks:\n  build:\n    cmds: [go build]\n  test:\n    deps: [build]\n",
        "task (Taskfile.yml): build, test",
    ),
}  # fmt: skip


def test_git_state_is_short_and_outside_git_there_is_none(tmp_path: Path) -> None:
    from codeassist.ctx.workspace import git_branch, git_state

    plain = tmp_path / "plain"
    plain.mkdir()
    assert git_state(plain) == "" and git_branch(plain) == ""
    repo = shop(tmp_path)
    git(repo, "checkout", "-q", "--detach")
    assert git_branch(repo).startswith("detached at ")
    os.remove(repo / "Makefile")
    assert git_state(repo) == "Git working tree: 1 changed file."


def test_an_edit_that_moves_ranks_changes_the_overview_only_from_the_edited_file_on(
    tmp_path: Path,
) -> None:
    """Definitions are chosen by rank but shown in path order: calls added in the last file
    raise another file's rank, and the text before the last file's block stays the same."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in "abcdefg":
        defs = "".join(f"def {name}_{i}(x: int) -> int:\n    return x\n\n\n" for i in range(3))
        uses = "" if name == "a" else f"from a import a_0\n\n\ndef use_{name}() -> int:\n"
        uses += "" if name == "a" else "    return a_0(1)\n\n\n"
        (repo / f"{name}.py").write_text(uses + defs)
    (repo / "z.py").write_text("from a import a_1\n\n\ndef z_main() -> int:\n    return a_1(2)\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    before = stable_part(repo, "python", 2000, count_tokens=estimate_tokens)
    calls = "".join(f"    f_{i}(3)\n" for i in range(3)) + "    f_2(4)\n    f_1(5)\n"
    (repo / "z.py").write_text(
        "from a import a_1\nfrom f import f_0, f_1, f_2\n\n\ndef z_main() -> int:\n"
        + calls
        + "    return a_1(2)\n"
    )
    git(repo, "commit", "-qam", "z uses f")
    after = stable_part(repo, "python", 2000, count_tokens=estimate_tokens)
    assert "f.py:" in before and "z.py:" in before
    head = before[: before.index("z.py:")]
    assert after.startswith(head)  # f's rank rose; its place did not move
    assert after == before  # and z's shown lines are the same: the whole prefix stays valid


def test_a_request_part_made_by_other_ranking_code_is_not_served_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an upgrade that ranks or renders differently, cached parts are made again."""
    from codeassist.ctx import index, specific
    from codeassist.ctx.counts import TokenCounter

    repo = shop(tmp_path)
    made: list[str] = []
    ranked = specific._ranked

    def counting(*args: object, **kwargs: object) -> object:
        made.append("ranked")
        return ranked(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(specific, "_ranked", counting)

    def ask() -> str:
        count = TokenCounter("estimate", lambda: estimate_tokens, store=tmp_path / "c.sqlite")
        return request_context(repo, "refund an Order", "python", budget=200,
                               count_tokens=count, cwd=repo).specific.text  # fmt: skip

    ask()
    ask()
    assert made == ["ranked"]  # the second came from the cache
    monkeypatch.setattr(index, "rendering_version", lambda: "another release")
    ask()
    assert made == ["ranked", "ranked"]


def test_a_word_that_is_a_module_stem_brings_that_module_over_common_names(
    tmp_path: Path,
) -> None:
    """ "the project's dateparse module": dateparse.py, not every `parse` and `project`."""
    from codeassist.ctx.counts import TokenCounter

    repo = tmp_path / "repo"
    (repo / "utils").mkdir(parents=True)
    for i in range(40):  # used by each other: they, not dateparse, fill the overview
        uses = f"from utils.part{i - 1} import total{i - 1}\n\n\n" if i else ""
        (repo / "utils" / f"part{i}.py").write_text(
            f"{uses}def total{i}(rows):\n    return sum(rows[{i}:])\n"
        )
    (repo / "geo.py").write_text(  # names equal to plain words of the request, used nowhere
        "class Shape:\n"
        + "".join(
            f"    def {name}(self, source_srid, target_srid, precision, clip_to_bounds):\n"
            "        return source_srid\n\n"
            for name in ("project", "parse", "string", "date")
        )
    )
    (repo / "template.py").write_text(
        "def parse(tokens, parser_class, library_paths, autoescape_default):\n    return tokens\n"
    )
    (repo / "utils" / "dateparse.py").write_text(
        "def parse_date(value):\n    return value\n\n\ndef parse_time(value):\n    return value\n"
    )
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "utils")
    count = TokenCounter("estimate", lambda: estimate_tokens, store=tmp_path / "c.sqlite")
    found = request_context(
        repo, "parse the ISO date string '2024-05-01' with the project's dateparse module",
        "python", budget=300, count_tokens=count, cwd=repo,
    )  # fmt: skip
    assert "parse_date" not in found.stable
    assert "def parse_date(value):" in found.specific.text


def test_the_request_part_with_its_heading_fits_its_share_of_the_budget(tmp_path: Path) -> None:
    from codeassist.ctx.parts import stable_budget

    repo = shop(tmp_path)
    entries = "".join(f"def ledger_entry_{i}(book, c):\n    return c\n\n" for i in range(60))
    (repo / "app" / "ledger.py").write_text(entries)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "ledger")
    for budget in (400, 1000):
        found = request_context(repo, "add a ledger entry to the book", "python", budget=budget,
                                count_tokens=estimate_tokens)  # fmt: skip
        heading = "Code from the repository that matches this request:"
        shown = f"{heading}\n{found.specific.text.strip()}"
        own = budget - stable_budget(budget)
        assert found.specific.files, "the request's own part is there"
        assert estimate_tokens(shown) + estimate_tokens("\n\n") <= own

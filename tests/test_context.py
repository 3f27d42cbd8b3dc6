"""The repository context: what a request carries, why, and never more than the budget.

The fixture repository `shop` (tests/fixtures/context/shop) has a little of every language:
Python models and billing, SQL schema and a migration, shell, Makefile, JS, TS, Go, Rust,
Java, C and C++. Tests copy it into a temporary folder, most of them as a git repository.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from codeassist.backends.base import estimate_tokens
from codeassist.context import ContextPack, build_context, find_root
from codeassist.errors import Exit
from tests.helpers.cli import assert_clean_error, run_cli
from tests.helpers.repos import CONTEXT_FIXTURES as FIXTURES
from tests.helpers.repos import make_repo

GOLDEN = FIXTURES / "golden"


def context(repo: Path, request: str, budget: int = 400, **kwargs: object) -> ContextPack:
    return build_context(repo, request, budget=budget, count_tokens=estimate_tokens, **kwargs)  # type: ignore[arg-type]


def top_paths(pack: ContextPack, k: int) -> list[str]:
    return [f.path for f in pack.files[:k]]


def test_the_rendered_context_matches_the_golden_file(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    pack = context(repo, "refund an Order when the charge fails", budget=200)
    golden = GOLDEN / "shop-refund.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(pack.text)
    assert pack.text == golden.read_text()
    assert pack.tokens == estimate_tokens(pack.text) <= 200


@pytest.mark.parametrize(
    ("request_text", "expected_path", "symbol"),
    [
        ("refund an Order when the charge fails", "app/billing.py", "def refund"),
        ("add a phone field to Customer", "app/models.py", "class Customer"),
        ("make `slugify` keep underscores", "app/utils.py", "def slugify"),
        ("add an Invoice status to fetchInvoices", "web/api.ts", "fetchInvoices"),
        ("Ledger balance should ignore refunds", "core/src/lib.rs", "pub struct Ledger"),
        ("the Server should log each request in Start", "server/main.go", "type Server"),
        ("InvoiceService.create must reject unknown orders", "java/InvoiceService.java",
         "public class InvoiceService"),
        ("speed up the checksum function", "native/checksum.c", "unsigned int checksum"),
        ("Engine price should round up", "native/engine.cpp", "class Engine"),
        ("build_assets should use npm ci", "scripts/deploy.sh", "build_assets()"),
        ("count invoices issued per day", "db/migrations/002_add_invoices.sql",
         "CREATE TABLE invoices"),
        ("addItem must reject a negative quantity", "web/cart.js", "addItem(sku, quantity)"),
    ],
)  # fmt: skip
def test_the_file_a_request_is_about_ranks_in_the_top_three(
    tmp_path: Path, request_text: str, expected_path: str, symbol: str
) -> None:
    repo = make_repo(tmp_path, use_git=False)
    pack = context(repo, request_text)
    assert expected_path in top_paths(pack, 3), [f.path for f in pack.files]
    assert symbol in pack.text


def test_every_file_says_why_it_was_chosen_and_what_it_costs(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    pack = context(repo, "refund an Order", budget=1000)
    by_path = {f.path: f for f in pack.files}
    assert by_path["app/models.py"].reason == "defines Order, named in the request"
    assert all(f.tokens > 0 and f.score > 0 and f.reason for f in pack.files)
    assert all(not Path(f.path).is_absolute() and f.path in pack.text for f in pack.files)


@pytest.mark.parametrize("budget", [0, 1, 5, 17, 40, 64, 100, 250, 1000, 5000])
def test_the_budget_is_never_exceeded(tmp_path: Path, budget: int) -> None:
    repo = make_repo(tmp_path, use_git=False)

    def words(text: str) -> int:  # a second tokenizer, far from the byte estimate
        return len(text.split())

    for count in (estimate_tokens, words):
        pack = build_context(repo, "charge the Customer", budget=budget, count_tokens=count)
        assert pack.tokens == count(pack.text) <= budget
        assert (pack.text == "") == (pack.tokens == 0)


def test_a_bigger_budget_carries_more(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, use_git=False)
    small, large = context(repo, "charge", budget=60), context(repo, "charge", budget=2000)
    assert 0 < small.tokens < large.tokens
    assert len(large.files) > len(small.files) >= 1


@pytest.mark.model
@pytest.mark.slow
def test_the_budget_holds_with_the_models_own_tokenizer(tmp_path: Path, small_model: Path) -> None:
    from codeassist.backends.llamacpp import tokenizer

    count = tokenizer(small_model)
    repo = make_repo(tmp_path, use_git=False)
    for budget in (30, 120, 700):
        pack = build_context(repo, "refund an Order", budget=budget, count_tokens=count)
        assert pack.tokens == count(pack.text) <= budget
        assert pack.tokens > budget // 2  # a near fill, not a timid one


def test_sql_requests_get_the_schema_with_the_latest_migration(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, use_git=False)
    pack = context(repo, "total of orders per customer", language="sql")
    assert "CREATE TABLE customers (" in pack.schema
    assert "CREATE VIEW big_orders AS SELECT" in pack.schema
    assert "CREATE TABLE invoices (" in pack.schema
    assert context(repo, "total of orders", language="python").schema == ""


def test_files_changed_in_the_working_tree_come_first(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    with (repo / "native" / "checksum.c").open("a") as f:
        f.write("\nint unused_helper(void) { return 0; }\n")
    pack = context(repo, "tidy this up")
    assert pack.files[0].path == "native/checksum.c"
    assert pack.files[0].reason == "changed in the working tree"


def test_the_current_directory_pulls_its_files_up(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, use_git=False)
    pack = context(repo, "tidy this up", cwd=repo / "web")
    assert set(top_paths(pack, 2)) == {"web/api.ts", "web/cart.js"}


def test_find_root_is_the_git_top_level_else_the_folder(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    assert find_root(repo / "app") == repo.resolve()
    plain = make_repo(tmp_path / "x", use_git=False)
    assert find_root(plain / "app") == (plain / "app").resolve()


def test_context_command_shows_files_tokens_and_reasons(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    done = run_cli("context", "refund an Order", "--budget", "150", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "app/billing.py" in done.stdout and "def refund(" in done.stdout
    assert "(defines refund, named in the request)" in done.stdout or "refund" in done.stdout
    assert "an estimate" in done.stdout  # no model installed in this test's home
    assert str(repo) not in done.stdout.split("\n", 1)[1]  # paths are relative to the root


def test_context_command_json(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    done = run_cli("context", "count orders per customer in SQL", "--json", "-b", "120", cwd=repo)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["tokens"] <= data["budget"] == 120
    assert data["language"] == "sql" and data["overview"] and data["stable_tokens"] > 0
    assert "CREATE TABLE orders" in data["schema"] and "CREATE TABLE orders" in data["stable"]
    asked = ("context", "refund an Order", "-l", "python", "-b", "200", "--json")
    data = json.loads(run_cli(*asked, cwd=repo).stdout)
    assert data["files"] and {"path", "score", "reason", "tokens"} <= data["files"][0].keys()


def test_context_command_rejects_a_negative_budget(tmp_path: Path) -> None:
    done = run_cli("context", "anything", "--budget", "-1", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


AGREE_CASES = {  # folder, config `context`, options: whether gen sends context must not matter
    "plain folder": ("plain", True, ()),
    "plain folder, --context": ("plain", True, ("--context",)),
    "git": ("git", True, ()),
    "git, --no-context": ("git", True, ("--no-context",)),
    "git, context = false": ("git", False, ()),
    "git, context = false, --context": ("git", False, ("--context",)),
}


@pytest.mark.parametrize("case", AGREE_CASES)
def test_the_context_command_shows_what_gen_sends(tmp_path: Path, home: Path, case: str) -> None:
    """`codeassist context` once showed an overview where gen sends none (outside git, with
    context = false), walking and caching whatever folder it was run in."""
    from tests.scripted_endpoint import scripted_endpoint

    where, enabled, options = AGREE_CASES[case]
    folder = make_repo(tmp_path, use_git=where == "git")
    if not enabled:
        (home / "config").mkdir(parents=True)
        (home / "config" / "config.toml").write_text("context = false\n")
    heard: list[dict[str, object]] = []
    with scripted_endpoint("```python\nrefund(1)\n```", heard=heard) as url:
        gen = run_cli("gen", "--endpoint", url, "--lang", "python", "--no-verify", *options,
                      "refund an Order", cwd=folder, timeout=60)  # fmt: skip
    assert gen.returncode == 0, gen.stderr
    sent = "def refund(" in json.dumps(heard[0]["messages"])
    shown = run_cli("context", "--lang", "python", *options, "refund an Order", cwd=folder)
    assert shown.returncode == 0, shown.stderr
    assert ("def refund(" in shown.stdout) == sent
    as_json = json.loads(run_cli("context", "-l", "python", *options, "refund", "--json",
                                 cwd=folder).stdout)  # fmt: skip
    assert as_json["context"] == sent and ("def refund(" in as_json["stable"]) == sent
    if not sent:
        assert shown.stdout.startswith("no repository context: ") and shown.stdout.count("\n") == 1
        assert as_json["context_off"] in shown.stdout and as_json["stable"] == ""
        assert not list(home.glob("cache/*.sqlite")), "the folder was walked and cached"
    assert sent == (enabled and (where == "git" or "--context" in options) and
                    "--no-context" not in options)  # fmt: skip


def test_context_off_is_the_decision_gen_makes(tmp_path: Path) -> None:
    from codeassist.config import Config
    from codeassist.pipeline.grounding import context_off
    from codeassist.pipeline.prepare import use_context

    git_repo, plain = make_repo(tmp_path), make_repo(tmp_path / "p", use_git=False)
    for cwd in (git_repo / "app", plain / "app"):
        for enabled in (True, False):
            for forced in (None, True, False):
                off = context_off(enabled, cwd, forced)
                assert use_context(Config(context=enabled), cwd, forced) == (off == "")
    assert "not inside a git repository" in context_off(True, plain, None)
    assert context_off(False, git_repo, True) == "context = false in the config"


def many_definitions(tmp_path: Path) -> Path:
    """A git repository of 12 modules calling each other: far more overview than any budget."""
    from tests.helpers.repos import git

    repo = tmp_path / "many"
    repo.mkdir()
    for m in range(12):
        defs = [f"def w{m}_{i}(x):\n    return w{(m + 1) % 12}_{i}(x)\n\n"
                f"class K{m}_{i}:\n    def meth(self):\n        return w{m}_{i}(1)\n"
                for i in range(40)]  # fmt: skip
        (repo / f"mod{m}.py").write_text("\n".join(defs))
    (repo / "schema.sql").write_text("CREATE TABLE w5 (id INT, name TEXT);\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "many")
    return repo


@pytest.mark.parametrize("budget", [20, 50, 100, 1024, 2000])
def test_the_headings_of_the_stable_part_count_in_the_budget(tmp_path: Path, budget: int) -> None:
    """The overview was packed to its share of the budget, then given its heading uncounted:
    `codeassist context --budget 50` reported 57 of 50 tokens, 1031 of 1024."""
    from codeassist.context import request_context, stable_part
    from codeassist.ctx.parts import stable_budget

    repo = many_definitions(tmp_path)

    def words(text: str) -> int:  # a second tokenizer, far from the byte estimate
        return len(text.split())

    for count in (estimate_tokens, words):
        for language in ("python", "sql"):  # sql: the schema block, then USES_HEAD
            found = request_context(repo, "w5", language, budget=budget, count_tokens=count)
            assert found.tokens <= budget, (count, language)
            assert found.stable_tokens - found.schema_tokens <= stable_budget(budget)
            if budget >= 100:  # a near fill, not a timid one
                assert found.stable_tokens - found.schema_tokens > stable_budget(budget) * 0.8
            again = stable_part(repo, language, budget, count_tokens=count)
            assert again == found.stable  # the cached prefix: the same bytes every time
    done = run_cli("context", "--lang", "python", "--budget", str(budget), "w5", cwd=repo)
    shown = done.stdout.split(" tokens, counted with", 1)[0].rsplit(" ", 3)[-3:]
    assert int(shown[0]) <= int(shown[2]) == budget, done.stdout[:200]


def test_a_budget_over_the_context_window_is_refused(tmp_path: Path) -> None:
    # it was accepted, though the config's context_budget may not pass n_ctx (audit)
    proc = run_cli("context", "anything", "--budget", "999999", cwd=tmp_path)
    assert_clean_error(proc, Exit.USAGE, "--budget should be at most 4096 (n_ctx)")

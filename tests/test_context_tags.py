"""Tags per language: each definition's kind, name, signature line and first doc line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codeassist.ctx.tags import parse
from codeassist.syntax import language_of

SHOP = Path(__file__).parent / "fixtures" / "context" / "shop"


def tags_of(rel: str) -> list[tuple[str, str, str, str]]:
    tagged = parse((SHOP / rel).read_bytes(), language_of(rel) or "")
    assert tagged.note == ""
    return [(d.kind, d.name, d.signature, d.doc) for d in tagged.definitions]


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("app/models.py", ("method", "total_cents", "def total_cents(self) -> int:",
                           "Sum of the line amounts, in cents.")),
        ("app/billing.py", ("function", "refund",
                            'def refund(order: Order, reason: str = "") -> None:',
                            "Give the money back.")),
        ("db/schema.sql", ("view", "big_orders", "CREATE VIEW big_orders AS SELECT id, "
                           "total_cents FROM orders WHERE total_cents > 10000", "")),
        ("db/migrations/002_add_invoices.sql", ("column", "issued_at", "issued_at TEXT NOT NULL",
                                                "")),
        ("scripts/deploy.sh", ("function", "build_assets", "build_assets()",
                               "Build the front-end bundle.")),
        ("Makefile", ("target", "deploy", "deploy: test", "")),
        ("web/cart.js", ("method", "addItem", "addItem(sku, quantity)",
                         "Add one item, merging quantities.")),
        ("web/api.ts", ("function", "fetchInvoices", "export async function fetchInvoices("
                        "customerId: number): Promise<Invoice[]>",
                        "Fetch every invoice of a customer.")),
        ("server/main.go", ("type", "Server", "type Server struct",
                            "Server answers the shop's HTTP API.")),
        ("server/main.go", ("method", "Start", "func (s *Server) Start() error",
                            "Start listens until the process ends.")),
        ("core/src/lib.rs", ("method", "balance", "pub fn balance(&self) -> i64",
                             "The balance in cents.")),
        ("java/InvoiceService.java", ("method", "create", "public Invoice create(long orderId)",
                                      "Create the invoice of one order.")),
        ("native/checksum.c", ("function", "checksum",
                               "unsigned int checksum(const char *data, int length)",
                               "Adler-like rolling checksum.")),
        ("native/engine.cpp", ("class", "Engine", "class Engine", "Runs the pricing rules.")),
    ],
)  # fmt: skip
def test_definitions_carry_signature_and_doc(rel: str, expected: tuple[str, ...]) -> None:
    assert expected in tags_of(rel)


def test_methods_know_their_class() -> None:
    tagged = parse((SHOP / "app/models.py").read_bytes(), "python")
    order = next(i for i, d in enumerate(tagged.definitions) if d.name == "Order")
    total = next(d for d in tagged.definitions if d.name == "total_cents")
    assert (total.parent, total.depth) == (order, 1)


def test_references_are_counted() -> None:
    tagged = parse((SHOP / "app/billing.py").read_bytes(), "python")
    assert tagged.references["charge"] == 1
    assert tagged.references["Order"] == 3  # the import and two annotations
    assert "receipt" not in tagged.references  # a local variable is not a reference


@pytest.mark.parametrize(
    ("path", "language"),
    [("a/b.py", "python"), ("x.SQL", "sql"), ("run.sh", "bash"), ("Makefile", "make"),
     ("rules.mk", "make"), ("ui.tsx", "tsx"), ("lib.h", "c"), ("lib.hpp", "cpp"),
     ("README.md", None), (".bashrc", None)],
)  # fmt: skip
def test_language_of(path: str, language: str | None) -> None:
    assert language_of(path) == language


def test_comments_opening_a_body_are_not_part_of_the_header() -> None:
    """Django's `class Paginator:` opens with a translators' comment: it is not the header."""
    source = (
        b"class Paginator:\n    # Translators: String used to replace\n    # omitted pages.\n"
        b"    ELLIPSIS = 1\n\n    def page(self, n):  # a note\n        # Return a page.\n"
        b"        return n\n"
    )
    signatures = [d.signature for d in parse(source, "python").raw]
    assert signatures == ["class Paginator:", "def page(self, n):"]
    arrow = b"const f = (a, b) => {\n  // body\n  return a;\n};\n"
    assert [d.signature for d in parse(arrow, "javascript").raw] == ["const f = (a, b) =>"]


def test_a_change_to_how_tags_are_read_invalidates_the_tag_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codeassist.ctx import store, tags

    store.queries_version.cache_clear()
    before = store.cache_version()
    changed = tmp_path / "tags.py"
    changed.write_bytes(Path(tags.__file__).read_bytes() + b"\n# changed\n")
    monkeypatch.setattr(store, "TAGS", changed)
    store.queries_version.cache_clear()
    try:
        assert store.cache_version() != before
    finally:
        store.queries_version.cache_clear()


def test_the_cache_version_is_learned_without_importing_the_parsers() -> None:
    # a shell request opens the cache for its token counts alone: the version must not cost
    # the import of tree-sitter's tags, the graph and the secret rules (about 60 ms)
    code = (
        "import sys\nfrom codeassist.ctx import counts, store\nstore.cache_version()\n"
        "heavy = {'codeassist.ctx.tags', 'codeassist.ctx.index', 'codeassist.secrets'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"


LONG_TYPED = b'''\
def secho(
    message: t.Optional[t.Any] = None,
    file: t.Optional[t.IO[t.AnyStr]] = None,
    nl: bool = True,
    *args: t.Any,
    **styles: t.Any,
) -> None:
    """Print a styled message."""


def total(
    cents: int,
    rate: float = 1.0,
) -> int:
    return cents
'''


def test_a_long_typed_signature_is_shown_without_its_annotations() -> None:
    """Click's `secho` typed is 87 tokens: too long for a request's part; its names and
    defaults are what a caller needs. A short one keeps its types; lines become one."""
    signatures = [d.signature for d in parse(LONG_TYPED, "python").definitions]
    assert signatures == [
        "def secho(message=None, file=None, nl=True, *args, **styles):",
        "def total(cents: int, rate: float = 1.0) -> int:",
    ]

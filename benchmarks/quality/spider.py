"""Spider dev execution accuracy, bare and verified (schema + read-only EXPLAIN + repair).

    python benchmarks/quality/spider.py [--limit 20] [--model qwen2.5-coder-1.5b] [--out f.jsonl]
        [--samples 5]   (adds best of 5: bare | checks and repair | best of k)
        [--schema-rows 3]   (rows of each table under its CREATE, as gen --db sends them)
        [--offset 2]   (another spread sample: with --limit 300, none of the default's items)

The request is the question with the database's schema as `gen --db` sends it (CREATE
statements, a few rows of each table); verification checks the SQL against the schema and
EXPLAINs it on the database (read-only). Scoring executes the
answer and the gold query on the database (read-only, 10 s each) and compares the result sets
as the Spider test-suite evaluation does: same rows as a multiset (in order when the gold
query has ORDER BY), columns matched up to a permutation. Questions on databases without rows
(wta_1 ships empty) are reported with and without. A last row judges against the gold
respelled as the database stores its values, where the gold compares with a spelling no row
holds (flight_2 stores ' APG' with a space, and its gold counts 0 flights from "APG").
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import sqlite3
import time
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import common

from codeassist import pipeline
from codeassist.backends.base import Options
from codeassist.config import Config
from codeassist.db.schema import connect_sqlite_readonly
from codeassist.pipeline import grounding

QUERY_TIMEOUT_S = 10.0
MAX_ROWS = 100_000


def load(eval_dir: Path) -> list[dict[str, Any]]:
    path = eval_dir / "spider" / "spider_dev.jsonl"
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    for item in items:
        item["db"] = str(eval_dir / "spider" / item["db_path"])
    return items


def execute(db: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query on a read-only connection; raises sqlite3.Error (also on timeout)."""
    conn = connect_sqlite_readonly(Path(db))
    deadline = time.monotonic() + QUERY_TIMEOUT_S
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    conn.text_factory = lambda b: b.decode("utf-8", errors="replace")
    try:
        return conn.execute(sql).fetchmany(MAX_ROWS)
    finally:
        conn.close()


def result_eq(pred: list[tuple[Any, ...]], gold: list[tuple[Any, ...]], ordered: bool) -> bool:
    """Same rows (as a multiset unless ordered), the columns matched up to a permutation."""
    if not pred and not gold:
        return True
    if len(pred) != len(gold) or len(pred[0]) != len(gold[0]):
        return False
    width = len(gold[0])
    orders = itertools.permutations(range(width)) if width <= 6 else [tuple(range(width))]
    for order in orders:
        moved = [tuple(row[i] for i in order) for row in pred]
        if (moved == gold) if ordered else (Counter(moved) == Counter(gold)):
            return True
    return False


@cache
def empty(db: str) -> bool:
    conn = connect_sqlite_readonly(Path(db))
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return all(conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() is None for t in tables)
    finally:
        conn.close()


@cache
def schema(db: str, rows: int) -> str:
    """The schema as `gen --db` sends it: CREATE statements within the budget, `rows` of each
    table under its statement."""
    asked = grounding.with_schema(pipeline.Request("", language="sql"), None, db,
                                  budget=Config.schema_budget, rows=rows)  # fmt: skip
    return asked.schema


def stored_gold(item: dict[str, Any]) -> str | None:
    """The gold query with its compared values respelled as the database stores them, where
    it compares with a value no row holds as spelled but one holds up to letter case, spacing
    or punctuation (flight_2 stores ' APG'; its gold asks for "APG" and counts 0, which does
    not answer the question); None where the gold compares only stored values."""
    import sqlglot

    from codeassist.verify.sql import values
    from codeassist.verify.sql.check import live_tables

    statement = sqlglot.parse_one(item["query"], read="sqlite")
    found = values.problems(item["db"], values.comparisons(statement, live_tables(item["db"])))
    return values.respell(item["query"], found) if found else None


def judged_as_stored(item: dict[str, Any], outcome: common.Outcome) -> common.Outcome:
    """The outcome judged against the gold respelled as stored (itself where that is the same)."""
    gold = stored_gold(item)
    if gold is None:
        return outcome
    fixed = {**item, "query": gold}
    return dataclasses.replace(
        outcome, bare_pass=correct(fixed, outcome.bare_code),
        verified_pass=correct(fixed, outcome.verified_code),
    )  # fmt: skip


def correct(item: dict[str, Any], sql: str) -> bool:
    try:
        pred = execute(item["db"], sql)
    except (sqlite3.Error, sqlite3.Warning, ValueError):
        return False
    gold = execute(item["db"], item["query"])
    return result_eq(pred, gold, "order by" in item["query"].lower())


def main() -> None:
    parser = common.parser(__doc__.splitlines()[0], default_limit=20)
    parser.add_argument(
        "--schema-rows",
        type=int,
        default=Config.schema_rows,
        help="rows of each table shown under its CREATE (config schema_rows)",
    )
    parser.add_argument(
        "--offset", type=int, default=0,
        help="move each chosen index this far on: a fresh sample (2 with --limit 300 shares "
        "no item with the default one)",
    )  # fmt: skip
    args = parser.parse_args()
    items = load(args.eval_dir)
    picked = common.spread(len(items), args.limit, args.reverse, args.offset)
    chosen = [items[i] for i in picked]
    backend = common.Replay(common.open_model(args.model, args.threads))
    options = Options(max_tokens=args.max_tokens, temperature=0.0)

    def score(item: dict[str, Any]) -> common.Outcome:
        request = pipeline.Request(
            item["question"], language="sql", schema=schema(item["db"], args.schema_rows),
            dialect="sqlite",
            db=item["db"], options=options, max_repairs=args.max_repairs,
        )  # fmt: skip
        bare, verified, bare_s, verified_s = common.answer_twice(backend, request)
        outcome = common.Outcome(
            item=f"{item['id']}:{item['db_id']}", bare_pass=correct(item, bare.code),
            verified_pass=correct(item, verified.code), bare_s=bare_s, verified_s=verified_s,
            repairs=verified.repairs, bare_code=bare.code, verified_code=verified.code,
            checks=[{"name": c.name, "passed": c.passed} for c in verified.checks],
            note="empty-db" if empty(item["db"]) else "",
        )  # fmt: skip
        if args.samples:
            best, outcome.best_s = common.best_of(backend, request, bare, bare_s, args.samples)
            outcome.best_pass, outcome.best_code = correct(item, best.code), best.code
            outcome.drawn = best.samples.drawn if best.samples else 1
        return outcome

    kept = common.earlier(args.out) if args.resume else {}
    outcomes = common.run_all(
        chosen, score, args.out, "spider", kept, lambda item: f"{item['id']}:{item['db_id']}"
    )
    rows = [("Spider dev", outcomes)]
    if any(o.note == "empty-db" for o in outcomes):
        rows.append(("Spider dev without wta_1", [o for o in outcomes if o.note != "empty-db"]))
    by_id = {f"{item['id']}:{item['db_id']}": item for item in chosen}
    stored = [judged_as_stored(by_id[o.item], o) for o in outcomes if o.item in by_id]
    if stored != outcomes:
        rows.append(("Spider dev, gold as stored", stored))
    if args.samples or any(o.best_pass is not None for o in outcomes):
        k = args.samples or max(o.drawn for o in outcomes)
        print(common.table_best(backend.name, rows, k))
    else:
        print(common.table(backend.name, rows))


if __name__ == "__main__":
    main()

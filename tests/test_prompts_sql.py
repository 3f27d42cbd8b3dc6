"""Where a SQL prompt puts the schema: whole in the system message (one prefix for every
request on that database), cut down to the request's tables in the user message."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from codeassist.backends.fake import FakeBackend
from codeassist.config import Config
from codeassist.db.schema import SchemaSent
from codeassist.pipeline import grounding, prepare, prompts
from codeassist.pipeline.request import Request
from codeassist.pipeline.run import messages_for

SCHEMA = "CREATE TABLE singer (singer_id INT, name TEXT, age INT);"


def test_a_whole_schema_joins_the_system_message_of_every_request() -> None:
    first = prompts.build("how many singers?", "sql", schema=SCHEMA)
    second = prompts.build("the oldest singer's name", "sql", schema=SCHEMA)
    assert first[0] == second[0] == prompts.stable_messages("sql", "", SCHEMA)[0]
    assert SCHEMA in first[0].content and SCHEMA not in first[1].content
    assert first[0].content.endswith(f"Database schema (sqlite):\n```sql\n{SCHEMA}\n```")


def test_a_schema_cut_to_the_request_stays_with_the_request() -> None:
    messages = prompts.build("how many singers?", "sql", schema=SCHEMA, whole_schema=False)
    assert messages[0] == prompts.stable_messages("sql")[0]
    assert f"```sql\n{SCHEMA}\n```" in messages[1].content


def test_a_schema_found_in_the_stable_part_is_not_repeated() -> None:
    stable = f"Database schema found in the repository:\n{SCHEMA}"
    messages = prompts.build("how many singers?", "sql", schema=SCHEMA, stable=stable)
    assert messages[0].content.count("CREATE TABLE singer") == 1
    assert "SQL dialect: sqlite." in messages[1].content


def test_the_pipeline_sends_a_ranked_schema_with_the_request() -> None:
    sent = SchemaSent(("singer",), ("concert",))
    request = Request("how many singers?", language="sql", schema=SCHEMA, schema_sent=sent)
    assert SCHEMA in messages_for(request, "sql")[1].content
    whole = Request("how many singers?", language="sql", schema=SCHEMA,
                    schema_sent=SchemaSent(("singer",)))  # fmt: skip
    assert SCHEMA in messages_for(whole, "sql")[0].content


def test_warm_sends_what_gen_sends_for_a_database(tmp_path: Path) -> None:
    db = tmp_path / "music.db"
    with sqlite3.connect(db) as conn:
        conn.execute(SCHEMA.rstrip(";"))
    cfg = Config()
    asked, _ = prepare.request("how many singers?", language="sql", cwd=tmp_path,
                               options=prepare.options(cfg))  # fmt: skip
    request = grounding.with_schema(asked, None, str(db), budget=cfg.schema_budget)
    warm = prepare.stable_messages(cfg, FakeBackend(), tmp_path, "sql", db=str(db))
    assert messages_for(request, "sql")[0] == warm[0]
    assert "CREATE TABLE singer" in warm[0].content

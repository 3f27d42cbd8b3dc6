"""The quality benchmarks' best-of-k mode: the bare answer is replayed, the table has k's column."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from codeassist import pipeline
from codeassist.backends.fake import FakeBackend

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "quality"))
import common  # noqa: E402

SCHEMA = "CREATE TABLE people (name TEXT, age INTEGER);"


def test_best_of_replays_the_bare_answer_and_draws_the_rest(tmp_path: Path) -> None:
    db = tmp_path / "people.db"
    with sqlite3.connect(db) as conn:
        conn.execute(SCHEMA)
        conn.executemany("INSERT INTO people VALUES (?, ?)", [("ann", 30), ("bob", 41)])
    conn.close()
    inner = FakeBackend.scripted(
        "```sql\nSELECT name FROM people WHERE age >= 30\n```",  # the bare answer, once
        "```sql\nSELECT name FROM people WHERE age > 30\n```",
        "```sql\nSELECT name FROM people WHERE 30 < age\n```",
    )
    backend = common.Replay(inner)
    request = pipeline.Request("people older than 30", language="sql", schema=SCHEMA,
                               db=str(db), max_repairs=0)  # fmt: skip
    bare, _, bare_s, _ = common.answer_twice(backend, request)
    best, best_s = common.best_of(backend, request, bare, bare_s, 3)
    assert len(inner.history) == 3  # bare once; best of 3 drew only the two others
    assert best.code == "SELECT name FROM people WHERE age > 30" and best_s >= bare_s
    assert best.samples is not None and best.samples.drawn == 3


def test_the_table_has_three_ways_with_mean_and_p90() -> None:
    outcomes = [
        common.Outcome(item=str(i), bare_pass=i < 5, verified_pass=i < 6, bare_s=1.0 + i,
                       verified_s=2.0 + i, repairs=0, best_pass=i < 7, best_s=3.0 + i, drawn=3)
        for i in range(10)
    ]  # fmt: skip
    text = common.table_best("m", [("set", outcomes)], 3)
    assert "bare model" in text and "checks and repair" in text and "best of 3" in text
    row = text.splitlines()[-1]
    cells = row.split()[3:-2]  # after model, set, n; before "drawn 3.0"
    assert cells == ["50.0%", "5.5", "9.0", "60.0%", "6.5", "10.0", "70.0%", "7.5", "11.0"]
    assert common.p90([float(i) for i in range(1, 11)]) == 9.0


def test_a_run_resumed_without_samples_compares_best_of_k_on_its_items_only() -> None:
    outcomes = [
        common.Outcome(item=str(i), bare_pass=i < 5, verified_pass=i < 6, bare_s=1.0,
                       verified_s=2.0, repairs=0, best_pass=(i < 1) if i < 4 else None,
                       best_s=3.0, drawn=3 if i < 4 else 0)
        for i in range(10)
    ]  # fmt: skip
    lines = common.table_best("m", [("set", outcomes)], 3).splitlines()
    whole, some = lines[-2], lines[-1]
    assert whole.split()[1:3] == ["set", "10"] and "n/a" in whole
    assert some.split()[1:5] == ["set,", "best", "ran", "4"]
    assert some.split()[5:14:3] == ["100.0%", "100.0%", "25.0%"]


def test_a_reply_read_in_part_is_replayed_and_its_seconds_are_owed() -> None:
    """The pipeline stops reading at a closed code block; the replay must still engage."""
    from codeassist.backends.base import Message, Options

    replay = common.Replay(FakeBackend.scripted("```bash\nls\n```\nand more", "other"))
    ask = [Message("user", "list")]
    first = replay.stream(ask, Options())
    next(first)
    first.close()  # stopped early
    assert "".join(replay.stream(ask, Options())).startswith("```bash")
    assert replay.owed >= 0.0 and len(replay.memory) == 1
    replay.forget()
    assert replay.memory == {} and replay.owed == 0.0

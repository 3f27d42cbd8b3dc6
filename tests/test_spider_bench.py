"""Spider's scoring also against the gold respelled as the database stores its values."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "quality"))
import common  # noqa: E402
import spider  # noqa: E402


def test_gold_that_asks_for_an_unstored_spelling_is_judged_as_stored(tmp_path: Path) -> None:
    # flight_2 stores airport codes with a leading space: its gold counts 0 flights from APG
    db = tmp_path / "flights.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE flights (no INTEGER, src TEXT)")
        conn.executemany("INSERT INTO flights VALUES (?, ?)", [(1, " APG"), (2, " APG"), (3, "X")])
    conn.close()
    item = {"db": str(db), "query": 'SELECT count(*) FROM flights WHERE src = "APG"'}
    assert spider.stored_gold(item) == "SELECT count(*) FROM flights WHERE src = ' APG'"
    ours = "SELECT COUNT(*) FROM flights WHERE src = ' APG'"
    bare = "SELECT COUNT(*) FROM flights WHERE src = 'APG'"
    assert not spider.correct(item, ours) and spider.correct(item, bare)
    outcome = common.Outcome("1:flights", True, False, 1.0, 1.0, 0, bare_code=bare,
                             verified_code=ours)  # fmt: skip
    judged = spider.judged_as_stored(item, outcome)
    assert (judged.bare_pass, judged.verified_pass) == (False, True)
    # a gold query comparing only stored values is judged as it is
    sound = {**item, "query": "SELECT count(*) FROM flights WHERE src = 'X'"}
    assert spider.stored_gold(sound) is None
    assert spider.judged_as_stored(sound, outcome) is outcome

"""A join across a many-to-many link is made through the link table the model left out."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from codeassist import pipeline
from codeassist.backends.fake import FakeBackend
from codeassist.verify import Subject, autofix, run_checks

LINKED = """
CREATE TABLE enrolment (enrolment_id INTEGER PRIMARY KEY, student TEXT);
CREATE TABLE course (course_id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE enrolment_course (id INTEGER PRIMARY KEY,
  enrolment_id INTEGER REFERENCES enrolment (enrolment_id),
  course_id INTEGER REFERENCES course (course_id));
INSERT INTO enrolment VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');
INSERT INTO course VALUES (10, 'maths'), (20, 'art');
INSERT INTO enrolment_course VALUES (1, 1, 10), (2, 2, 10), (3, 3, 20), (4, 1, 20), (5, 3, 10);
"""
# Spider's student_transcripts_tracking, in small: the model joins the two ends directly
WRONG = (
    "SELECT T2.name FROM enrolment AS T1 JOIN course AS T2 ON T1.course_id = T2.course_id"
    " GROUP BY T2.name ORDER BY COUNT(*) DESC LIMIT 1"
)
RIGHT = (
    "SELECT T2.name FROM enrolment AS T1 JOIN enrolment_course AS T3"
    " ON T3.enrolment_id = T1.enrolment_id JOIN course AS T2 ON T3.course_id = T2.course_id"
    " GROUP BY T2.name ORDER BY COUNT(*) DESC LIMIT 1"
)


def database(tmp_path: Path, script: str) -> Path:
    path = tmp_path / "school.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(script)
    conn.close()
    return path


def test_the_join_goes_through_the_link_table(tmp_path: Path) -> None:
    db = database(tmp_path, LINKED)
    subject = Subject("sql", WRONG, request="the course most students take", db=str(db))
    checks = run_checks(subject)
    assert not {c.name: c for c in checks}["sql.schema"].passed
    assert autofix(subject, checks) == RIGHT
    with sqlite3.connect(db) as conn:
        assert conn.execute(RIGHT).fetchall() == [("maths",)]
    conn.close()


def test_the_pipeline_returns_it_without_asking_the_model_again(tmp_path: Path) -> None:
    db = database(tmp_path, LINKED)
    backend = FakeBackend.scripted(f"```sql\n{WRONG}\n```")
    request = pipeline.Request("the course most students take", language="sql", db=str(db))
    result = pipeline.run(request, backend)
    assert result.code == RIGHT and len(backend.history) == 1
    assert "sql.schema" in result.fixed and all(c.passed for c in result.checks)


TWO_KEYS = LINKED.replace(
    "enrolment_id INTEGER REFERENCES enrolment (enrolment_id),",
    "enrolment_id INTEGER REFERENCES enrolment (enrolment_id),"
    " moved_from INTEGER REFERENCES enrolment (enrolment_id),",
).replace("(1, 1, 10), (2, 2, 10), (3, 3, 20), (4, 1, 20), (5, 3, 10)", "(1, 1, 1, 10)")
SECOND_LINK = LINKED + (
    "CREATE TABLE wishlist (id INTEGER PRIMARY KEY,"
    " enrolment_id INTEGER REFERENCES enrolment (enrolment_id),"
    " course_id INTEGER REFERENCES course (course_id));"
)


@pytest.mark.parametrize("script", [TWO_KEYS, SECOND_LINK], ids=["two-keys", "two-links"])
def test_no_rewrite_where_the_link_is_not_certain(tmp_path: Path, script: str) -> None:
    db = database(tmp_path, script)
    subject = Subject("sql", WRONG, request="the course most students take", db=str(db))
    assert autofix(subject, run_checks(subject)) is None


@pytest.mark.parametrize("name", ["enrolment course", 'enrol"ment', "x JOIN secrets"])
def test_a_link_table_named_oddly_is_quoted_not_read_as_sql(tmp_path: Path, name: str) -> None:
    # the database's own names: `air lines` was read as `air AS lines`, `a"b` did not parse
    quoted = '"' + name.replace('"', '""') + '"'
    db = database(tmp_path, LINKED.replace("enrolment_course", quoted))
    subject = Subject("sql", WRONG, request="the course most students take", db=str(db))
    fixed = autofix(subject, run_checks(subject))
    assert fixed is not None and f"JOIN {quoted} AS T3" in fixed
    with sqlite3.connect(db) as conn:
        assert conn.execute(fixed).fetchall() == [("maths",)]
    conn.close()

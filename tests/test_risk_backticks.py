"""Backquotes read as bash reads them (safety/backticks.py), where tree-sitter-bash does not.

tree-sitter-bash takes `` (an empty command substitution) for a joint between two words,
the blanks around it included: `echo `` rm -rf /` was one program, echo``rm, known only when
the line runs, on / (high). And \\` inside backquotes, which bash runs as a nested
substitution, was text (low). An empty `$( )` it reads as a command with no name, an error
(medium); bash as nothing, as ``.
"""

from __future__ import annotations

import pytest

from codeassist import syntax
from codeassist.safety.argv import argv_of, programs
from codeassist.safety.backticks import nested, parse
from codeassist.safety.risk import assess_shell


def commands(line: str) -> list[list[str]]:
    """The argv of every simple command in the line, in order."""
    return [argv_of(n) for n in syntax.walk(parse(line).root_node) if n.type == "command"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("echo `` rm -rf /", [["echo", "rm", "-rf", "/"]]),
        ("ls `` -la ~", [["ls", "-la", "~"]]),
        ("echo ` ` rm -rf /", [["echo", "rm", "-rf", "/"]]),
        ("echo a``b", [["echo", "ab"]]),
        ("echo done `` ; rm -rf /", [["echo", "done"], ["rm", "-rf", "/"]]),
        ("`` rm -rf /", [["rm", "-rf", "/"]]),
        ("```` rm -rf /", [["rm", "-rf", "/"]]),  # two empty pairs side by side
        ('git commit -m "Fix ``rm`` docs"', [["git", "commit", "-m", "Fix rm docs"]]),
    ],
)
def test_an_empty_pair_of_backquotes_adds_no_word(line: str, expected: list[list[str]]) -> None:
    assert commands(line) == expected
    assert not parse(line).root_node.has_error


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("echo $( ) rm -rf /", [["echo", "rm", "-rf", "/"]]),
        ("$() rm -rf /", [["rm", "-rf", "/"]]),
        ("echo a$( )b", [["echo", "ab"]]),
        ('echo "$( )"', [["echo", ""]]),
        ("cat <<< $( )", [["cat"]]),
        ("echo $(\n) done", [["echo", "done"]]),
    ],
)
def test_an_empty_dollar_substitution_adds_no_word(line: str, expected: list[list[str]]) -> None:
    assert commands(line) == expected
    assert not parse(line).root_node.has_error


def test_an_empty_substitution_is_judged_as_what_bash_runs() -> None:
    assert assess_shell("$( ) rm -rf /").reasons == ("recursively deletes the whole filesystem",)
    assert assess_shell("x=$( ); $x rm -rf /").reasons == (
        "recursively deletes the whole filesystem",
    )


def test_two_substitutions_side_by_side_stay_two() -> None:
    assert commands("echo `date``date`")[1:] == [["date"], ["date"]]


def test_the_programs_of_a_line_see_past_an_empty_pair() -> None:
    assert programs("ls `` -la ~") == ["ls"]
    assert programs("echo `` rm -rf /") == ["echo"]


def test_an_escaped_backquote_is_text_that_double_quotes_unescape() -> None:
    assert commands("echo \\`date\\`") == [["echo", "`date`"]]
    assert commands('sh -c "echo \\`date\\` \\"\\$HOME\\""') == [
        ["sh", "-c", 'echo `date` "$HOME"']
    ]


def substitution(line: str) -> str | None:
    found = [n for n in syntax.walk(parse(line).root_node) if n.type == "command_substitution"]
    return nested(found[0])


def test_a_nested_substitution_is_unquoted_as_bash_does() -> None:
    assert substitution("echo `echo \\`rm -rf /\\``") == "echo `rm -rf /`"
    assert substitution('echo "`printf \\"%s\\" \\`ls\\``"') == 'printf "%s" `ls`'
    assert substitution("echo `date`") is None  # nothing nested: tree-sitter-bash reads it

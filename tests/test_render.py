"""What a terminal shows: the whole code, highlighted, and the checks it still fails."""

from __future__ import annotations

import io

from rich.console import Console

from codeassist import pipeline
from codeassist.backends.fake import FakeBackend
from codeassist.commands._ui import stream_code

LONG = 'raise ValueError("' + "x" * 90 + '")'


def terminal(width: int = 40) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=width, height=10, force_terminal=True, color_system=None), buf


def test_long_lines_and_long_code_are_shown_whole_on_a_narrow_short_terminal() -> None:
    code = "\n".join(f"v{i} = {i}" for i in range(30)) + "\n" + LONG
    backend = FakeBackend.scripted(f"```python\n{code}\n```")
    out, buf = terminal()
    notes, _ = terminal()
    req = pipeline.Request("x", language="python", verify=False)
    result = stream_code(req, backend, "python", out, notes)
    assert result.code == code
    final = buf.getvalue().rsplit("v0 = 0", 1)[-1]  # what stays after the live preview
    assert LONG in final and "v29 = 29" in final


def test_a_repair_round_starts_over_and_failed_checks_are_reported() -> None:
    backend = FakeBackend.scripted("```python\ndef broken(:\n```", "```python\ndef f(:\n```")
    out, _ = terminal(80)
    notes, said = terminal(80)
    req = pipeline.Request("a function", language="python")
    result = stream_code(req, backend, "python", out, notes)
    assert result.repairs >= 1
    assert "check failed python.parse" in said.getvalue()


def test_escape_sequences_in_the_code_are_shown_not_sent() -> None:
    evil = "print('hi')  # \x1b]52;c;cHduZWQ=\x07\x1b]0;pwned\x07\x1b[2J\x9b2J\u202e"
    backend = FakeBackend.scripted(f"```python\n{evil}\n```")
    out, buf = terminal(100)
    notes, _ = terminal()
    stream_code(pipeline.Request("x", language="python", verify=False), backend, "python", out,
                notes)  # fmt: skip
    shown = buf.getvalue()
    for raw in ("\x1b]", "\x1b[2J", "\x9b", "\x07", "\u202e"):
        assert raw not in shown
    assert "\\x1b]52;c;cHduZWQ=\\x07\\x1b]0;pwned\\x07\\x1b[2J\\x9b2J\\u202e" in shown


def test_check_details_are_text_not_markup() -> None:
    from codeassist.commands._ui import report_checks
    from codeassist.verify import Check

    notes, said = terminal(100)
    report_checks([Check("sql.schema", False, "no such table: [/x] (tables: [bold red])\x1b[2J")],
                  notes)  # fmt: skip
    assert "check failed sql.schema: no such table: [/x] (tables: [bold red])\\x1b[2J" in (
        said.getvalue()
    )

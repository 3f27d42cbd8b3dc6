"""A model caught in a loop (verify/loops.py): found, stopped while decoding, sent back."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeassist import config, pipeline
from codeassist.backends.base import Options
from codeassist.backends.fake import FakeBackend
from codeassist.verify import loops

GREPS = " | grep -v '^..$' | grep -v '^$'"
# Answers qwen2.5-coder-1.5b gave on the shell benchmark (NL2Bash test 718, 75, 442), cut
# where they ran out of tokens, and one smollm2-135m gave here.
LOOPS = [
    ("find . -type f -perm -o" + " -perm -o" * 60, " -perm -o"),
    ('find . -type f -exec stat -c "' + "%Y " * 80, "%Y "),
    ("ls -R | grep -v '^$'" + GREPS * 12, GREPS),
    ("# This is a command that lists files, sorted by size, including hidden ones\n\n" * 7, None),
]
# Repetition that is not a loop: too few copies, too short a span, one visible character.
NOT_LOOPS = [
    "find . -name '*.py' -exec grep -l 'import os' {} + | xargs wc -l | sort -n | tail -n 5",
    "echo " + "-" * 100,
    "printf '%s\\n' a a a a a a a a a a a a a a a a a a a a",
    "ssh -v -v -v host",
    "cd ../../../../../..",
    "find . -name a -o -name b -o -name c -o -name d -o -name e -o -name f -o -name g",
    'for f in *.html; do mv -- "$f" "${f%.html}.txt"; done',
    "mkdir -p a/b/c && touch a/x a/b/x a/b/c/x",
    "echo hi; echo hi; echo hi; echo hi",  # four copies
]


@pytest.mark.parametrize(("code", "unit"), LOOPS)
def test_a_loop_is_found_whole_and_while_it_grows(code: str, unit: str | None) -> None:
    found = loops.repeated(code)
    assert found is not None and found[1] >= loops.MIN_REPEATS
    if unit is not None:
        assert found[0] == unit or unit.startswith(found[0]) or found[0] in unit * 2
    assert loops.looping(code)
    assert loops.looping(code[:-3])  # cut mid-copy, as a stream is
    check = loops.check(code)
    assert not check.passed and "times in a row" in check.detail


@pytest.mark.parametrize("code", NOT_LOOPS)
def test_repetition_that_is_not_a_loop_passes(code: str) -> None:
    assert loops.repeated(code) is None
    assert not loops.looping(code)
    assert loops.check(code).passed


def test_the_loop_stops_decoding_and_the_check_sends_it_back() -> None:
    looped = "```bash\nfind . -type f -perm -o" + " -perm -o" * 200 + "\n```"
    backend = FakeBackend.scripted(looped, "```bash\nfind . -type f ! -perm -o=w\n```")
    pieces: list[str] = []
    result = pipeline.run(
        pipeline.Request("files others cannot write", language="shell", cwd=Path("/srv/p")),
        backend,
        on_piece=pieces.append,
    )
    first = "".join(pieces[: len(pieces) - 1])
    assert first.count("-perm -o") < 30  # stopped once the loop was plain, not after 200
    asked = backend.history[1][0][-1].content
    assert "shell.loop: the command repeats `-perm -o`" in asked
    assert result.code == "find . -type f ! -perm -o=w" and result.repairs == 1


def test_python_and_sql_are_not_stopped() -> None:
    zeros = "```python\nROW = [" + "0, " * 120 + "0]\n```"
    result = pipeline.run(
        pipeline.Request("a row of zeros", language="python", verify=False),
        FakeBackend.scripted(zeros),
    )
    assert result.code.count("0, ") == 120


@pytest.mark.slow
@pytest.mark.model
def test_the_real_model_is_stopped_in_its_loop(small_model: Path) -> None:
    """smollm2-135m, held in a loop by a grammar that allows nothing but one line over and over
    (a loop it falls into by itself under greedy decoding on one CPU, it need not fall into on
    another): decoding stops at the fifth copy, far short of the token budget."""
    from codeassist.backends.select import open_local

    backend = open_local(config.load(), str(small_model))
    forever = 'root ::= "```bash\\n" copies\ncopies ::= "seq -s, 1 20\\n" copies\n'
    request = pipeline.Request(
        "print the numbers 1 to 20 separated by commas", language="shell",
        cwd=Path("/srv/project"), options=Options(max_tokens=300, grammar=forever), verify=False,
    )  # fmt: skip
    result = pipeline.run(request, backend)
    found = loops.repeated(result.reply)  # "\nseq …" or "seq …\n", as the tokens fell
    assert found is not None and found[0].strip() == "seq -s, 1 20", result.reply
    assert found[1] in (5, 6) and result.timings.tokens < 100


def test_commands_people_wrote_are_not_loops() -> None:
    """NL2Bash's 12,607 commands, written by people: the one found repeats itself (a line of
    the data set holds the same command six times over)."""
    root = Path(__file__).resolve().parents[1]
    found = [p / "shared" / "eval" / "nl2bash" / "all.cm" for p in root.parents[:2]]
    found = [p for p in found if p.is_file()]
    if not found:
        pytest.skip("the NL2Bash data is not here")
    commands = found[0].read_text(encoding="utf-8", errors="replace").splitlines()
    looped = [c for c in commands if loops.repeated(c)]
    assert len(commands) > 12_000
    assert len(looped) == 1 and looped[0].count('find . -name "*.java" | xargs grep') == 6

"""The shell benchmark: its sandbox keeps answers inside the fixture and off the network, its
judge's normalizations, and a smoke run with the real small model."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.verify import sandbox

QUALITY = Path(__file__).resolve().parents[1] / "benchmarks" / "quality"
sys.path.insert(0, str(QUALITY))
import shell_fixture  # noqa: E402
import shell_judge  # noqa: E402

needs_sandbox = pytest.mark.skipif(
    sandbox.unavailable() is not None, reason=f"no sandbox here: {sandbox.unavailable()}"
)


@pytest.fixture
def fixture(tmp_path: Path) -> Path:
    root = tmp_path / "bench" / "work"
    shell_fixture.build(root)
    return root


@needs_sandbox
def test_an_answer_cannot_write_outside_the_fixture_copy(fixture: Path) -> None:
    token = secrets.token_hex(6)
    home = Path(os.path.expanduser("~")) / f"codeassist-escape-{token}"
    targets = {
        "home": home,  # the real $HOME (inside, $HOME is the fixture)
        "tmp": Path(f"/tmp/codeassist-escape-{token}"),
        "fixture": fixture / f"escape-{token}",  # the real fixture, by its absolute path
        "parent": fixture.parent / f"escape-{token}",  # written as ../
    }
    before = shell_fixture.snapshot(fixture)
    command = "; ".join(
        ["rm -rf ./* ./.[!.]*", f"echo x > {targets['home']}", f"echo x > {targets['tmp']}",
         f"echo x > {targets['fixture']}", f"echo x > ../escape-{token}",
         f"mkdir -p {fixture}/new-{token} && cp -r . {fixture.parent}/copy-{token}",
         "echo done"]
    )  # fmt: skip
    try:
        outcome, tree = shell_fixture.execute(command, fixture)
        assert outcome.stdout == "done\n", outcome.stderr
        assert [t for t in targets.values() if t.exists()] == []
        assert not (fixture.parent / f"copy-{token}").exists()
        assert shell_fixture.snapshot(fixture) == before  # the source is untouched
        assert f"escape-{token}" in tree and f"new-{token}" in tree  # landed in the copy only
        assert "a.txt" not in tree
        assert sorted(p.name for p in fixture.parent.iterdir()) == ["work"]  # nothing left over
    finally:
        for path in targets.values():
            path.unlink(missing_ok=True)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A real TCP server on 127.0.0.1 that accepts connections: an answer must not reach it."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        yield server


@needs_sandbox
def test_an_answer_has_no_network(fixture: Path, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    command = (
        f"(exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected-bash); "
        f'python3 -c \'import socket; socket.create_connection(("127.0.0.1", {port}), 2); '
        f'print("connected-python")\'; echo done'
    )
    outcome, _ = shell_fixture.execute(command, fixture)
    assert "connected" not in outcome.stdout and outcome.stdout.endswith("done\n")
    with pytest.raises(TimeoutError):
        listener.accept()[0].close()


@needs_sandbox
def test_the_fixture_is_what_commands_name(fixture: Path) -> None:
    outcome, _ = shell_fixture.execute(
        "find . -name '*.java' | sort; zcat archive.gz | head -1; find . -mtime -1 -type f | sort",
        fixture,
    )
    assert outcome.ok, outcome.stderr
    lines = outcome.stdout.splitlines()
    assert lines[:3] == ["./Main.java", "./src/App.java", "./src/com/example/Util.java"]
    assert lines[3] == shell_fixture.text_for("a.txt").splitlines()[0]
    assert lines[4:] == ["./logs/app.log", "./src/main.py"]  # an hour and half a day old


WORK = Path("/tmp/x/work")


@pytest.mark.parametrize(
    ("reference", "want", "got"),
    [
        ("find . -name '*.txt'", "./a.txt\n./b.txt\n", "a.txt\nb.txt\n"),  # ./ dropped
        ("find . -name '*.txt'", "./b.txt\n./a.txt\n", "./a.txt\n./b.txt\n"),  # fs order
        ("find . -name '*.txt'", "./a.txt\n", f"{WORK}/a.txt\n"),  # the fixture's path
        ("grep -r foo .", "./a.txt:foo\n", "a.txt:foo\n"),
        ("cat a.txt", "x  \ny\n\n\n", "x\ny\n"),  # trailing white space, end blank lines
        ("ls -l `pwd`", f"total 0 {WORK}\n", "total 0 .\n"),
    ],
)
def test_outputs_that_match(reference: str, want: str, got: str) -> None:
    assert shell_judge.same(reference, want, {}, got, {}, WORK)


@pytest.mark.parametrize(
    ("reference", "want", "got"),
    [
        ("cat a.txt", "x\ny\n", "y\nx\n"),  # order matters without traversal
        ("find . -name '*.txt' | sort", "./a.txt\n./b.txt\n", "./b.txt\n./a.txt\n"),
        ("ls -t", "new\nold\n", "old\nnew\n"),
        ("find . -name '*.txt'", "./a.txt\n./d/b.txt\n", "./a.txt\n"),  # no -maxdepth mixup
        ("find . -name '*.txt'", "./a.txt\n", "./a.txt\n./a.txt\n"),  # counts kept
        ("cat a.txt", "Hello\n", "hello\n"),  # case kept
        ("wc -l a.txt", "3 a.txt\n", "3\n"),  # columns kept
        ("cat a.txt", "x\n", ""),
        ("zcat a.gz", "text\n", "\x1f\x8b binary\n"),  # gunzip where zcat was meant
    ],
)
def test_outputs_that_do_not_match(reference: str, want: str, got: str) -> None:
    assert not shell_judge.same(reference, want, {}, got, {}, WORK)


def test_the_tree_must_match_and_output_counts_only_when_the_reference_prints() -> None:
    tree = {"a.txt": ("file", 0o644, "h1")}
    changed = {"a.txt": ("file", 0o755, "h1")}
    assert shell_judge.same("chmod +x a.txt", "", changed, "mode changed\n", changed, WORK)
    assert not shell_judge.same("chmod +x a.txt", "", changed, "", tree, WORK)
    assert not shell_judge.same("cat a.txt", "x\n", tree, "x\n", changed, WORK)


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("cat a.txt", None), ("find ~ -name '*.py'", None), (f"ls {WORK}/src", None),
        ("curl http://example.com", "denied"), ("sudo ls", "denied"), ("date", "denied"),
        ("cat /etc/passwd", "absolute path"), ("cat ../x", "path outside the fixture"),
        ("ls ~root", "path outside the fixture"), ("no-such-program-xyz a", "program not on PATH"),
        ("echo $RANDOM", "random"),
    ],
)  # fmt: skip
def test_which_references_can_be_judged(command: str, problem: str | None) -> None:
    found = shell_judge.reference_problem(command, WORK)
    assert (found or "").startswith(problem or "") and (found is None) == (problem is None)


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.skipif(sandbox.unavailable() is not None, reason="no sandbox here")
def test_the_shell_benchmark_prints_its_table(tmp_path: Path, small_model: Path) -> None:
    found = [p / "shared" / "eval" for p in QUALITY.parents[2:4]]
    found = [p for p in found if p.is_dir()]
    if not found:  # next to the repository (main) or next to the worktrees' folder
        pytest.skip("the NL2Bash data is not here")
    argv = [sys.executable, str(QUALITY / "shell.py"), "--model", "smollm2-135m", "--limit", "3",
            "--eval-dir", str(found[0]),
            "--threads", "1", "--max-tokens", "48", "--max-repairs", "1",
            "--out", str(tmp_path / "out.jsonl")]  # fmt: skip
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=600, env=os.environ, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["model", "mode", "tasks"]
    bare, checked, best = lines[2:5]
    assert bare.split()[1:4] == ["bare", "model", "3"]
    assert checked.split()[1:5] == ["checks", "and", "repair", "3"]
    assert best.split()[1] == "best-of-k" and best.split()[2] in ("n/a", "3")
    assert lines[-1].startswith("judgeable here: ") and "of 779 NL2Bash test pairs" in lines[-1]
    answers = (tmp_path / "out.jsonl").read_text().splitlines()
    assert len(answers) == (6 if best.split()[2] == "n/a" else 9)
    # Resumed, nothing is answered again and the table is the same.
    again = subprocess.run(
        [*argv, "--resume"], capture_output=True, text=True, timeout=600, env=os.environ,
        check=False,
    )  # fmt: skip
    assert (again.returncode, again.stdout) == (0, done.stdout), again.stderr[-3000:]
    assert (tmp_path / "out.jsonl").read_text().splitlines() == answers


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.skipif(sandbox.unavailable() is not None, reason="no sandbox here")
def test_the_dev_split_is_its_own_set(tmp_path: Path, small_model: Path) -> None:
    """`--split dev` answers NL2Bash dev pairs over a fixture built from their references,
    so that a change can be tried there before it is measured on test."""
    import json

    import shell_tasks

    found = [
        p / "shared" / "eval" for p in QUALITY.parents[2:4] if (p / "shared" / "eval").is_dir()
    ]
    if not found:
        pytest.skip("the NL2Bash data is not here")
    dev, test = shell_tasks.load("dev"), shell_tasks.load("test")
    assert {t.id.split(":")[0] for t in dev} == {"dev"} and len(dev) >= 150
    assert dev[0].id.startswith("dev:") and test[0].id.startswith("test:")
    argv = [sys.executable, str(QUALITY / "shell.py"), "--model", "smollm2-135m", "--limit", "2",
            "--split", "dev", "--modes", "checked", "--eval-dir", str(found[0]),
            "--threads", "1", "--max-tokens", "48", "--max-repairs", "0",
            "--out", str(tmp_path / "out.jsonl")]  # fmt: skip
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=600, env=os.environ, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "of 782 NL2Bash dev pairs; run on 2 of them" in done.stdout.splitlines()[-1]
    answered = [
        json.loads(line)["task"] for line in (tmp_path / "out.jsonl").read_text().splitlines()
    ]
    assert answered == [dev[0].id, dev[len(dev) // 2].id]


def test_runs_side_by_side_share_one_fixture_at_one_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The working directory is in every prompt: each run must see the same path, and runs
    side by side the same files (built once, by the first)."""
    import tempfile

    import shell

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    built: list[Path] = []

    def build(root: Path) -> None:
        root.mkdir(parents=True)
        (root / "stamp").write_text(str(len(built)))
        built.append(root)

    with shell.shared_fixture("test", build) as (first, fresh):
        assert fresh
        with shell.shared_fixture("test", build) as (beside, fresh):
            assert beside == first and not fresh and (beside / "stamp").read_text() == "0"
        assert len(built) == 1
    with shell.shared_fixture("test", build) as (later, fresh):
        assert later == first and fresh and (later / "stamp").read_text() == "1"
    assert first == tmp_path / "codeassist-shellbench" / "test" / "work"

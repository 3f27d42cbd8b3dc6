"""The tag cache: an unchanged repository is not parsed again; the cache never gets in the way."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from codeassist.ctx.cache import TagCache
from codeassist.ctx.cachefile import BUSY_TIMEOUT_MS
from codeassist.ctx.index import build_index
from codeassist.ctx.store import cache_path
from tests.helpers.repos import make_repo


def many_files(root: Path, count: int) -> Path:
    """A repository big enough for the parallel parse: module i calls module i-1."""
    pkg = root / "pkg"
    pkg.mkdir(parents=True)
    for i in range(count):
        (pkg / f"mod{i}.py").write_text(
            f'"""Module {i}."""\n\n\nclass Thing{i}:\n    """Thing number {i}."""\n\n'
            f"    def step{i}(self, value: int) -> int:\n"
            f"        return step{max(i - 1, 0)}(value)\n"
        )
    return root


def snapshot(root: Path, **kwargs: int) -> dict[str, object]:
    index = build_index(root, **kwargs)
    return {path: (t.raw, t.references, t.note) for path, t in index.files.items()}


def test_an_unchanged_repository_is_not_parsed_again(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    first = build_index(repo)
    assert first.parsed == len(first.files) == 16
    again = build_index(repo)
    assert again.parsed == 0
    assert {p: t.raw for p, t in again.files.items()} == {p: t.raw for p, t in first.files.items()}


def test_a_touched_file_is_hashed_not_parsed_and_an_edited_one_is_parsed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    build_index(repo)
    utils = repo / "app" / "utils.py"
    os.utime(utils, ns=(1, 1))
    assert build_index(repo).parsed == 0
    utils.write_text(utils.read_text() + "\n\ndef unslugify(text: str) -> str:\n    return text\n")
    edited = build_index(repo)
    assert edited.parsed == 1
    assert [d.name for d in edited.files["app/utils.py"].definitions] == ["slugify", "unslugify"]
    utils.unlink()
    assert "app/utils.py" not in build_index(repo).files


def test_a_corrupt_cache_file_is_rebuilt(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    build_index(repo)
    cache = cache_path()
    for suffix in ("-wal", "-shm"):
        Path(f"{cache}{suffix}").unlink(missing_ok=True)
    cache.write_bytes(b"this is not a database" * 1000)
    index = build_index(repo)
    assert any("was damaged" in note and "rebuilt" in note for note in index.notes)
    assert index.files["app/models.py"].definitions
    assert build_index(repo).parsed == 0  # the new cache works


def test_the_parallel_parse_gives_the_same_tags_as_the_serial_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = many_files(tmp_path / "repo", 260)
    monkeypatch.setenv("CODEASSIST_HOME", str(tmp_path / "serial"))
    serial = snapshot(repo, workers=1)
    monkeypatch.setenv("CODEASSIST_HOME", str(tmp_path / "parallel"))
    parallel = snapshot(repo, workers=2)
    assert serial == parallel
    assert len(serial) == 260


INDEX_SCRIPT = """
import sys
from pathlib import Path

import pytest
from codeassist.ctx.index import build_index
index = build_index(Path(sys.argv[1]))
print(len(index.files), index.parsed, len(index.notes), index.notes, file=sys.stderr)
print(len(index.files), index.parsed, len(index.notes))
"""


def test_two_processes_indexing_the_same_repository_at_once(tmp_path: Path) -> None:
    repo = many_files(tmp_path / "repo", 400)
    env = {**os.environ}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", INDEX_SCRIPT, str(repo)],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
        files, _, notes = out.split()
        assert (files, notes) == ("400", "0"), err
    index = build_index(repo)
    assert index.parsed == 0 and len(index.files) == 400


OPEN_SCRIPT = """
import sys
from pathlib import Path
from codeassist.ctx.cache import TagCache
print(repr(TagCache.open(Path(sys.argv[1]), "v1").note))
"""


def test_processes_opening_a_new_cache_at_once_all_get_it(tmp_path: Path) -> None:
    for round_ in range(3):
        path = tmp_path / f"round{round_}" / "tags.db"
        runs = [
            subprocess.Popen([sys.executable, "-c", OPEN_SCRIPT, str(path)], stdout=subprocess.PIPE)
            for _ in range(6)
        ]
        assert [run.communicate(timeout=60)[0].strip() for run in runs] == [b"''"] * 6


def test_a_cache_being_made_elsewhere_is_waited_for(tmp_path: Path) -> None:
    """Another process holds the new file for longer than a write's busy wait: open waits."""
    path = tmp_path / "tags.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    other.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    done = threading.Timer(BUSY_TIMEOUT_MS / 1000 * 3, lambda: other.execute("COMMIT"))
    done.start()
    try:
        cache = TagCache.open(path, "v1")
    finally:
        done.join()
        other.close()
    assert cache.note == ""
    assert cache.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    cache.close()


def same_graph(index: object) -> None:
    """The index's stored or patched graph is the one its files give when built anew."""
    from codeassist.ctx.graph import build_graph

    graph, fresh = index.graph, build_graph(dict(index.files.items()))  # type: ignore[attr-defined]
    assert (graph.paths, graph.unique, graph.size) == (fresh.paths, fresh.unique, fresh.size)
    for name in ("node_of", "def_uid", "def_offset", "src", "dst", "base"):
        assert getattr(graph, name).tolist() == getattr(fresh, name).tolist(), name


def test_an_edit_patches_the_stored_graph_to_what_a_full_build_gives(tmp_path: Path) -> None:
    repo = many_files(tmp_path / "repo", 30)
    same_graph(build_index(repo))
    same_graph(build_index(repo))  # loaded from the snapshot
    mod = repo / "pkg" / "mod7.py"
    mod.write_text(mod.read_text() + "\n\ndef step3(x: int) -> int:\n    return step29(x)\n")
    (repo / "pkg" / "mod12.py").unlink()
    (repo / "pkg" / "extra.py").write_text("class Extra(Thing4):\n    pass\n")
    edited = build_index(repo)
    assert edited.parsed == 2
    same_graph(edited)
    os.utime(mod, ns=(5, 5))  # touched only: the snapshot holds, nothing is parsed
    touched = build_index(repo)
    assert touched.parsed == 0 and "pkg/mod12.py" not in touched.files
    same_graph(touched)


def test_the_stored_graph_inputs_may_lag_behind_edits_and_still_give_the_full_graph(
    tmp_path: Path,
) -> None:
    import sqlite3

    def stored_inputs() -> bytes:
        with sqlite3.connect(cache_path()) as db:
            return bytes(db.execute("SELECT tables FROM graph_inputs").fetchone()[0])

    repo = many_files(tmp_path / "repo", 30)
    same_graph(build_index(repo))
    inputs = stored_inputs()
    mod7, mod9 = repo / "pkg" / "mod7.py", repo / "pkg" / "mod9.py"
    original = mod7.read_text()
    mod7.write_text(original + "\n\ndef step3(x: int) -> int:\n    return step29(x)\n")
    same_graph(build_index(repo))
    mod9.write_text(mod9.read_text() + "\n\nclass Later(Thing7):\n    pass\n")
    same_graph(build_index(repo))
    mod7.write_text(original)  # back to what the stored inputs hold
    reverted = build_index(repo)
    assert reverted.parsed == 0  # its tags were cached
    same_graph(reverted)
    assert stored_inputs() == inputs  # patched in memory each time, not stored again


def test_the_stored_name_lookups_match_each_name_in_any_script() -> None:
    from codeassist.ctx.graph import build_graph
    from codeassist.ctx.tags import FileTags

    names = ["İstanbul", "ΟΔΟΣ", "_private", "QuerySet", "queryset", "ß", "plain"]
    raw = [(name, "function", n + 1, 0, -1, f"def {name}()", "") for n, name in enumerate(names)]
    graph = build_graph({"a.py": FileTags("python", raw, {}, "")})
    for u, name in enumerate(graph.unique):
        assert graph.find(name) == u
        assert graph.lowered(u) == name.lower()
    assert graph.find("QUERYSET") is None and graph.find("missing") is None

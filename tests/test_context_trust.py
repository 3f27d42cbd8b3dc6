"""What the context may read and keep: regular files inside the root, any name, any cache state."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from codeassist.ctx import files
from codeassist.ctx.files import read_regular
from codeassist.ctx.index import build_index
from codeassist.ctx.store import cache_path
from codeassist.ctx.tags import DOC_MAX
from tests.helpers.cli import run_cli
from tests.helpers.repos import git

PASSWD_LINE = "root:x:0:0:MARKER-passwd-7f3a:/root:/bin/bash"
TOKEN = "ghp_" + "Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8L9"
CREDENTIAL = f"https://someone:{TOKEN}@github.com"
REQUEST = "root https someone visible_function"


def outside(tmp_path: Path) -> Path:
    """Files outside the repository a link could lead to: a passwd and git credentials."""
    there = tmp_path / "outside"
    there.mkdir()
    (there / "passwd").write_text(f"{PASSWD_LINE}\n")
    (there / ".git-credentials").write_text(f"{CREDENTIAL}\n")
    (there / "lib.py").write_text(f"def leaked_function():\n    '{PASSWD_LINE}'\n")
    return there


def linked_repo(tmp_path: Path, how: str) -> Path:
    """A repository with links out: committed, untracked, or in a folder without git."""
    there = outside(tmp_path)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("def visible_function():\n    pass\n")
    if how != "plain":
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "app")
    os.symlink(there / "passwd", repo / "passwd.mk")
    os.symlink(there / ".git-credentials", repo / "creds.mk")
    os.symlink(there, repo / "vendored")  # a folder out: not entered
    os.symlink("app.py", repo / "alias.py")  # inside: its target is read under its own name
    if how == "committed":
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "links")
    return repo


@pytest.mark.parametrize("how", ["committed", "untracked", "plain"])
def test_links_out_of_the_repository_are_not_read_and_are_noted(tmp_path: Path, how: str) -> None:
    repo = linked_repo(tmp_path, how)
    asked = ("context", "--context", REQUEST, "--budget", "2000")  # --context: plain folders too
    shown = run_cli(*asked, cwd=repo)
    as_json = run_cli(*asked, "--json", cwd=repo)
    assert shown.returncode == 0 and as_json.returncode == 0, shown.stderr + as_json.stderr
    data = json.loads(as_json.stdout)
    for out in (shown.stdout + shown.stderr, as_json.stdout):
        assert "MARKER-passwd" not in out and TOKEN not in out and "leaked_function" not in out
    assert "visible_function" in data["stable"] + data["text"]
    assert data["overview"] + [f["path"] for f in data["files"]] == ["app.py"]
    out_of_repo = "symbolic link to outside the repository; not read"
    for link in ("passwd.mk", "creds.mk"):
        assert f"{link}: {out_of_repo}" in data["notes"]
        assert f"note: skipped {link}: {out_of_repo}" in shown.stderr
    assert not any("alias.py" in note for note in data["notes"])


def test_a_path_changed_into_a_link_after_listing_is_still_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check at read time: a listing that was right a moment ago does not open a link."""
    repo = linked_repo(tmp_path, "plain")
    monkeypatch.setattr(files, "unreadable_reason", lambda *_: None)  # the listing was fooled
    index = build_index(repo)
    assert "passwd.mk: unreadable (a symbolic link; not followed)" in index.notes
    for path in index.files:
        assert not any("MARKER" in d.signature for d in index.files[path].definitions)


def test_read_regular_refuses_links_at_every_step_and_never_blocks(tmp_path: Path) -> None:
    there = outside(tmp_path)
    root = tmp_path / "root"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "a.py").write_text("x = 1\n")
    os.symlink("a.py", root / "pkg" / "link.py")
    os.symlink(there, root / "out")
    os.mkfifo(root / "pipe.py")
    assert read_regular(root, "pkg/a.py") == b"x = 1\n"
    for rel in ("pkg/link.py", "out/lib.py", "pipe.py", "../outside/lib.py", "missing.py"):
        with pytest.raises(OSError):
            read_regular(root, rel)


@pytest.mark.parametrize("use_git", [True, False], ids=["git", "plain-folder"])
def test_a_fifo_in_the_repository_does_not_hang_the_context(tmp_path: Path, use_git: bool) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("def visible_function():\n    pass\n")
    if use_git:
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "app")
    os.mkfifo(repo / "pipe.py")
    done = run_cli("context", "--context", "visible_function", cwd=repo, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "def visible_function" in done.stdout
    if not use_git:  # git does not list a FIFO; the folder walk does, and says why it is skipped
        assert "note: skipped pipe.py: not a regular file; not read" in done.stderr


NAMES = {"caf\udce9.py": "tracked_latin1", "\udcff\udcfe_untracked.py": "untracked_raw"}


@pytest.mark.parametrize("use_git", [True, False], ids=["git", "plain-folder"])
def test_file_names_that_are_not_utf8_are_indexed_and_cached(tmp_path: Path, use_git: bool) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "good.py").write_text("def good_function():\n    pass\n")
    tracked, untracked = NAMES
    (repo / tracked).write_text(f"def {NAMES[tracked]}():\n    pass\n")
    if use_git:
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "names")
    (repo / untracked).write_text(f"def {NAMES[untracked]}():\n    pass\n")
    for _ in ("cold", "warm"):
        asked = "tracked_latin1 untracked_raw good_function"
        done = run_cli("context", "--context", asked, cwd=repo)
        assert done.returncode == 0, done.stderr
        assert "caf\\xe9.py:\n  def tracked_latin1():" in done.stdout
        assert "\\xff\\xfe_untracked.py:\n  def untracked_raw():" in done.stdout
        as_json = run_cli("context", "--context", "tracked_latin1", "--json", cwd=repo)
        data = json.loads(as_json.stdout)
        assert "caf\\xe9.py" in data["overview"] + [f["path"] for f in data["files"]]
    index = build_index(repo)  # the names round-trip through the cache: nothing parsed again
    assert set(NAMES) <= set(index.files) and index.parsed == 0 and index.notes == []


def file_blocks(text: str) -> dict[str, str]:
    """Each file's lines in a context (stable part and request part), headings left out."""
    blocks: dict[str, str] = {}
    for chunk in text.split("\n\n"):
        lines = chunk.splitlines()
        while lines and (" " in lines[0] or not lines[0].endswith(":")):
            lines.pop(0)  # a heading, or the schema
        if lines:
            path = lines[0][:-1]
            blocks[path] = blocks.get(path, "") + "\n".join(lines) + "\n"
    return blocks


def test_a_cache_folder_that_is_a_file_costs_a_note_not_time(tmp_path: Path, home: Path) -> None:
    repo = linked_repo(tmp_path, "plain")
    home.mkdir(parents=True, exist_ok=True)
    (home / "cache").write_text("not a folder")
    started = time.monotonic()
    index = build_index(repo)
    assert time.monotonic() - started < 5  # generous on a loaded machine: no retries, no waits
    assert "visible_function" in [d.name for d in index.files["app.py"].definitions]
    assert any(note.startswith("tag cache unavailable") for note in index.notes)
    done = run_cli("context", "--context", "visible_function", cwd=repo)
    assert done.returncode == 0 and "def visible_function" in done.stdout
    assert "tag cache unavailable" in done.stderr


LOCKER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
db.execute("DELETE FROM walks")
print("locked", flush=True)
time.sleep(60)
"""


def test_a_writer_holding_the_cache_lock_does_not_hold_up_the_context(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("def visible_function():\n    pass\n")
    build_index(repo)  # the cache exists, in WAL mode
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(cache_path())], stdout=subprocess.PIPE, text=True
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline() == "locked\n"
        (repo / "app.py").write_text("def edited_function():\n    pass\n")  # a write is due
        started = time.monotonic()
        index = build_index(repo)
        assert time.monotonic() - started < 5  # generous: it waits 0.3 s at most (once 30 s)
        assert [d.name for d in index.files["app.py"].definitions] == ["edited_function"]
        assert any("tag cache not updated (database is locked)" in n for n in index.notes)
    finally:
        locker.kill()
        locker.wait()
    assert build_index(repo).notes == []  # the lock gone, the cache is written again


def test_a_damaged_cache_is_still_rebuilt(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("def visible_function():\n    pass\n")
    build_index(repo)
    for suffix in ("-wal", "-shm"):
        Path(f"{cache_path()}{suffix}").unlink(missing_ok=True)
    cache_path().write_bytes(b"garbage" * 1000)
    assert any("rebuilt" in note for note in build_index(repo).notes)
    assert build_index(repo).parsed == 0
    with sqlite3.connect(cache_path()) as db:
        assert db.execute("SELECT count(*) FROM files").fetchone() == (1,)


def corpus_module(entries: list[dict[str, str]], prefix: str) -> str:
    """A module with one function per corpus line, the line as its docstring."""
    return "".join(
        f"def {prefix}_{n}(a, b):\n    '''{e['text']} .'''\n    return a\n\n\n"
        for n, e in enumerate(entries)
    )


def test_secrets_in_code_are_redacted_from_the_context_and_look_alikes_kept(
    tmp_path: Path, home: Path
) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)  # a budget for all of it: 20,000
    (home / "config" / "config.toml").write_text("n_ctx = 32768\n")  # tokens fit under n_ctx
    corpus = tomllib.loads((Path(__file__).parent / "data" / "secrets_corpus.toml").read_text())
    secret, benign = corpus["secret"], corpus["benign"]
    assert all(len(e["text"]) < DOC_MAX - 2 for e in secret + benign)  # shown whole as docs
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "leaky.py").write_text(
        corpus_module(secret, "leaky")
        + 'def connect(dsn="postgres://app:Hk38dk2LLq@db/app", key="AKIAZ7QWERTYUIOP2345"):\n'
        "    pass\n"
    )
    (repo / "clean.py").write_text(corpus_module(benign, "clean"))
    (repo / "schema.sql").write_text(
        "CREATE TABLE hooks (id INT, token TEXT DEFAULT 'xoxb-123456789012-abcdefABCDEF');\n"
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "code")
    request = "leaky clean connect hooks table in SQL"
    done = run_cli("context", request, "--budget", "20000", "--json", cwd=repo)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    blocks = file_blocks(data["stable"] + "\n\n" + data["text"])
    for n, e in enumerate(secret):
        assert f"def leaky_{n}(a, b):" in blocks["leaky.py"]  # the rest of the file is kept
        assert e["value"] not in blocks["leaky.py"], e["text"]
    connect = 'def connect(dsn="postgres://app:«redacted»@db/app", key="«redacted»"):'
    assert connect in blocks["leaky.py"]
    assert "token TEXT DEFAULT '«redacted»'" in data["schema"]
    for n, e in enumerate(benign):
        assert f"def clean_{n}(a, b):" in blocks["clean.py"]
        assert " ".join(e["text"].split()) in blocks["clean.py"], e["text"]  # kept as it was


def test_reading_git_state_never_rewrites_the_users_index(tmp_path: Path) -> None:
    """The shell widget warms in the background on every `cd`: its `git status` must not take
    `.git/index.lock` to refresh the index, or the user's own `git commit` at that moment fails
    ("Unable to create index.lock: File exists")."""
    from codeassist.ctx.changes import GitChanges
    from codeassist.ctx.workspace import git_state

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a.py").write_text("x = 1\n")
    git(repo, "add", "a.py")
    git(repo, "commit", "-q", "-m", "one")
    future = time.time() + 100
    os.utime(repo / "a.py", (future, future))  # same content, new stat: git would refresh
    index = repo / ".git" / "index"
    before = (index.read_bytes(), index.stat().st_mtime_ns)

    assert git_state(repo) == "Git working tree: no changes to tracked files."
    assert GitChanges(repo).result() == (frozenset(), frozenset({"a.py"}))
    assert (index.read_bytes(), index.stat().st_mtime_ns) == before
    subprocess.run(["git", "-C", str(repo), "status"], capture_output=True, check=True)
    assert index.read_bytes() != before[0]  # plain git status does refresh it: the test can fail


def test_the_caches_of_code_excerpts_are_readable_by_the_user_alone(
    tmp_path: Path, home: Path
) -> None:
    """The tag cache holds signatures and docstrings, the review cache findings: under a
    umask of 022 their folder was 0755 and the files 0644, open to every user of the machine."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pay.py").write_text("def charge(card_number):\n    '''Charge a card.'''\n")
    git(repo, "init", "-q")
    (home / "cache").mkdir(parents=True, mode=0o755)  # made by an older version
    old = os.umask(0o022)
    try:
        proc = run_cli("context", "--lang", "python", "charge a card", cwd=repo, timeout=120)
    finally:
        os.umask(old)
    assert proc.returncode == 0, proc.stderr
    assert list((home / "cache").glob("*.sqlite")), "no cache was written"
    assert (home / "cache").stat().st_mode & 0o777 == 0o700


def test_a_repository_whose_own_path_is_not_utf8(
    tmp_path: Path, home: Path, small_model: Path
) -> None:
    # the cache keys name the root: a Latin-1 folder name made every python request exit 2
    # once counts came from a model's tokenizer (with none they are estimated, not cached)
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(f'model = "{small_model}"\n')
    repo = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9"))
    repo.mkdir()
    (repo / "m.py").write_text("def one():\n    return 1\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    for _ in ("cold", "warm"):
        done = run_cli("context", "--lang", "python", "one", cwd=repo)
        assert done.returncode == 0, done.stderr
        assert "caf\\xe9: python" in done.stdout and "def one():" in done.stdout
        assert "tokenizer" in done.stdout.splitlines()[0]

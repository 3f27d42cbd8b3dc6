"""What the context engine may read: never secrets or ignored files, and odd files never hurt."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from codeassist.backends.base import estimate_tokens
from codeassist.context import build_context
from codeassist.ctx import tags
from codeassist.ctx.files import is_secret, list_files
from codeassist.ctx.index import build_index, cache_path
from tests.helpers.cli import run_cli
from tests.helpers.repos import git

MARKER = "SECRET-c0ffee-do-not-leak"
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "-----END RSA PRIVATE KEY-----\n"
)
SECRET_FILES = {
    ".env": f"API_KEY={MARKER}\n",
    ".env.production": f"DB_PASSWORD={MARKER}\n",
    "config/credentials.json": f'{{"token": "{MARKER}"}}\n',
    "id_rsa": PRIVATE_KEY + MARKER,
    "certs/server.pem": PRIVATE_KEY + MARKER,
    "certs/deploy.key": MARKER,
    ".netrc": f"machine example.com login me password {MARKER}\n",
    ".npmrc": f"//registry.npmjs.org/:_authToken={MARKER}\n",
    ".pypirc": f"[pypi]\npassword = {MARKER}\n",
    ".aws/credentials": f"[default]\naws_secret_access_key = {MARKER}\n",
    # Files with a code extension, so only the secret rules keep them out:
    "secrets.py": f"def secret_function():\n    return '{MARKER}'\n",
    "credentials.py": f"def credentials_function():\n    return '{MARKER}'\n",
    ".env.py": f"def env_function():\n    return '{MARKER}'\n",
}
GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
# Code holding secrets: shown, with the secret values redacted.
REDACTED_FILES = {
    "keys.py": f'KEY = """{PRIVATE_KEY}"""\n\ndef leaked_key_function(token="{GITHUB_TOKEN}"):\n'
    '    """Signs requests."""\n',
}
IGNORED_FILES = {
    "ignored_dir/hidden.py": f"def ignored_function():\n    '''{MARKER}'''\n",
    "notes.local.py": f"def local_function():\n    '''{MARKER}'''\n",
    "node_modules/lib/index.js": f"function vendored_function() {{ return '{MARKER}'; }}\n",
    "web/dist/bundle.min.js": f"function minified_function() {{ return '{MARKER}'; }}\n",
}
REQUEST = (
    "call secret_function credentials_function env_function leaked_key_function "
    "ignored_function local_function vendored_function minified_function "
    "visible_function untracked_function"
)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def secret_repo(root: Path, *, use_git: bool) -> Path:
    write(root, {"app.py": "def visible_function():\n    '''Shown.'''\n"})
    write(root, {".gitignore": "ignored_dir/\n*.local.py\n"})
    write(root, IGNORED_FILES)
    write(root, SECRET_FILES)
    write(root, REDACTED_FILES)
    if use_git:
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A", "-f")  # even secrets committed by mistake stay out
        git(root, "rm", "-q", "--cached", "-r", "ignored_dir", "notes.local.py")
        git(root, "commit", "-q", "-m", "initial")
    write(root, {"new_module.py": "def untracked_function():\n    '''Not committed yet.'''\n"})
    return root


@pytest.mark.parametrize("use_git", [True, False], ids=["git", "plain-folder"])
def test_no_secret_or_ignored_file_reaches_the_context_or_the_cache(
    tmp_path: Path, use_git: bool
) -> None:
    repo = secret_repo(tmp_path / "repo", use_git=use_git)
    pack = build_context(repo, REQUEST, budget=5000, count_tokens=estimate_tokens)
    assert "visible_function" in pack.text
    assert "untracked_function" in pack.text
    for name in ("secret", "credentials", "env", "ignored", "local", "vendored", "minified"):
        assert f"{name}_function" not in pack.text
    assert MARKER not in pack.text
    assert 'def leaked_key_function(token="«redacted»"):' in pack.text
    stored = cache_path().read_bytes()
    for secret in (MARKER, GITHUB_TOKEN, PRIVATE_KEY.splitlines()[1]):
        assert secret not in pack.text and secret.encode() not in stored
    assert not any(MARKER in note for note in pack.notes)


def test_a_key_pasted_into_code_is_redacted_and_the_rest_indexed(tmp_path: Path) -> None:
    repo = secret_repo(tmp_path / "repo", use_git=False)
    (repo / "keys.py").rename(repo / "settings.py")
    index = build_index(repo)
    (signature,) = [d.signature for d in index.files["settings.py"].definitions]
    assert signature == 'def leaked_key_function(token="«redacted»"):'
    assert not any("settings.py" in note for note in index.notes)


@pytest.mark.parametrize(
    "path",
    [".env", ".env.local", "prod.env", "id_rsa", "id_ed25519.pub", "a/b/server.pem",
     "tls.key", ".netrc", ".npmrc", ".pypirc", "credentials.json", "gcp-credentials.json",
     ".aws/credentials", "home/.ssh/config", "store.p12", ".git-credentials"],
)  # fmt: skip
def test_secret_names(path: str) -> None:
    assert is_secret(path)


@pytest.mark.parametrize("path", ["env.py", "keyboard.py", "src/credit.py", "token_utils.go"])
def test_ordinary_names_are_not_secrets(path: str) -> None:
    assert not is_secret(path)


def test_a_plain_folder_honours_nested_gitignore_files(tmp_path: Path) -> None:
    write(tmp_path, {
        ".gitignore": "*.gen.py\n",
        "pkg/.gitignore": "fixtures/\n!keep.gen.py\n",
        "pkg/a.py": "", "pkg/b.gen.py": "", "pkg/keep.gen.py": "", "pkg/fixtures/c.py": "",
        "build/out.py": "", "pkg/__pycache__/a.py": "",
    })  # fmt: skip
    assert sorted(list_files(tmp_path).paths) == [".gitignore", "pkg/.gitignore", "pkg/a.py",
                                                  "pkg/keep.gen.py"]  # fmt: skip


def test_a_stored_walk_is_reused_until_a_folder_or_a_gitignore_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codeassist.ctx import files

    monkeypatch.setattr(files, "RACY_NS", 0)  # folders made a moment ago may be trusted here
    write(tmp_path, {".gitignore": "*.gen.py\n", "pkg/a.py": "", "pkg/b.gen.py": ""})
    time.sleep(0.05)  # past the file system's clock tick
    first = list_files(tmp_path, key="k")
    assert sorted(first.paths) == [".gitignore", "pkg/a.py"] and first.tree
    again = list_files(tmp_path, tree=first.tree, key="k")
    assert sorted(again.paths) == sorted(first.paths) and again.tree == b""  # no folder read
    assert list_files(tmp_path, tree=first.tree, key="other rules").tree  # walked again
    assert list_files(tmp_path, tree=b"not a walk", key="k").paths  # damaged: walked again

    (tmp_path / "pkg" / "new.py").write_text("")  # a folder changed
    added = list_files(tmp_path, tree=first.tree, key="k")
    assert sorted(added.paths) == [".gitignore", "pkg/a.py", "pkg/new.py"]
    time.sleep(0.05)
    (tmp_path / ".gitignore").write_text("")  # edited in place: its folder did not change
    assert "pkg/b.gen.py" in list_files(tmp_path, tree=added.tree, key="k").paths


def test_odd_files_are_skipped_with_notes_and_the_rest_is_indexed(tmp_path: Path) -> None:
    write(tmp_path, {"good.py": "def good_function():\n    pass\n"})
    (tmp_path / "latin1.py").write_bytes(
        b"def caf\xe9_latin1():\n    return '\xff\xfe'\n\ndef after_bad_bytes():\n    pass\n"
    )
    (tmp_path / "blob.py").write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    with (tmp_path / "huge.py").open("wb") as huge:  # 50 MB, sparse: made in no time
        huge.truncate(50 * 1024 * 1024)
    os.symlink("loop_b.py", tmp_path / "loop_a.py")
    os.symlink("loop_a.py", tmp_path / "loop_b.py")
    os.symlink(".", tmp_path / "self")  # a folder loop
    started = time.perf_counter()
    index = build_index(tmp_path)
    assert time.perf_counter() - started < 5
    assert "good_function" in [d.name for d in index.files["good.py"].definitions]
    names = [d.name for d in index.files["latin1.py"].definitions]
    assert names[-1] == "after_bad_bytes"  # the parser recovers after the bad bytes
    notes = "\n".join(index.notes)
    assert "blob.py: binary" in notes
    assert "huge.py: too large (52.4 MB)" in notes
    assert "loop_a.py: broken symbolic link" in notes and "loop_b.py: broken symbolic link" in notes
    assert not any(path.startswith("self/") for path in index.files)


def test_a_parse_that_takes_too_long_skips_only_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        {"slow.py": "x = [" + "1, " * 200_000 + "]\n", "fast.sql": "CREATE TABLE t (a INT);"},
    )
    real_parse = tags.parse

    def parse(data: bytes, language: str) -> tags.FileTags:
        monkeypatch.setattr(tags, "PARSE_TIMEOUT_S", 0.0 if language == "python" else 2.0)
        return real_parse(data, language)

    monkeypatch.setattr("codeassist.ctx.pool.parse", parse)
    index = build_index(tmp_path)
    assert "slow.py: parse took over 0 s" in index.notes
    assert [d.name for d in index.files["fast.sql"].definitions] == ["t", "a"]


def test_a_repository_git_refuses_honours_info_exclude_and_the_users_excludes_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another user's checkout ("dubious ownership"): git lists nothing, the folder walk did
    and read only .gitignore files, so a file in .git/info/exclude reached the context."""
    from codeassist.ctx import files

    repo = tmp_path / "repo"
    write(repo, {
        "app.py": "def visible_function():\n    pass\n",
        "local_notes.py": f"def local_function():\n    return '{MARKER}'\n",
        "local_kept.py": "def kept_function():\n    pass\n",
        "scratch/mine.py": f"def mine_function():\n    return '{MARKER}'\n",
        ".gitignore": "!local_kept.py\n",  # a .gitignore outranks info/exclude
    })  # fmt: skip
    git(repo, "init", "-q")
    (repo / ".git" / "info" / "exclude").write_text("local_*.py\n")
    (tmp_path / "ignore").write_text("scratch/\n")
    (tmp_path / "gitconfig").write_text(f"[core]\n\texcludesFile = {tmp_path / 'ignore'}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")  # git's own switch for this
    monkeypatch.setattr(files, "RACY_NS", 0)
    assert files._git_files(repo) is None  # git refuses: the walk lists the files

    time.sleep(0.05)  # past the file system's clock tick
    listed = list_files(repo, key="k")
    assert not listed.git
    assert sorted(listed.paths) == [".gitignore", "app.py", "local_kept.py"]
    done = run_cli("context", "--lang", "python", "local_function mine_function", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "visible_function" in done.stdout and "kept_function" in done.stdout
    assert MARKER not in done.stdout and "local_function" not in done.stdout

    (repo / ".git" / "info" / "exclude").write_text("")  # edited: the stored walk is stale
    assert "local_notes.py" in list_files(repo, tree=listed.tree, key="k").paths
    (tmp_path / "gitconfig").write_text("")  # no excludes file: git's default, absent here
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert "scratch/mine.py" in list_files(repo, tree=listed.tree, key="k").paths


def test_a_linked_worktree_uses_the_info_exclude_of_its_repository(tmp_path: Path) -> None:
    from codeassist.ctx.walk import git_excludes

    repo = tmp_path / "repo"
    write(repo, {"app.py": ""})
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "app")
    git(repo, "worktree", "add", "-q", str(tmp_path / "linked"))
    exclude = repo / ".git" / "info" / "exclude"
    assert (tmp_path / "linked" / ".git").is_file()  # "gitdir: …/repo/.git/worktrees/linked"
    assert Path(git_excludes(str(tmp_path / "linked"))[-1]).samefile(exclude)
    assert Path(git_excludes(str(repo))[-1]).samefile(exclude)

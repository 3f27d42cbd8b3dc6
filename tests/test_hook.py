"""The git hooks, installed with `codeassist hook install` and run by real `git commit`s."""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.errors import Exit
from codeassist.review import hooks
from tests.helpers.cli import assert_clean_error, codeassist_exe, run_cli
from tests.helpers.repos import AWS_KEY, Repo

VENV_BIN = str(Path(sys.executable).parent)


class HookRepo(Repo):
    """A repository whose `git commit` runs hooks, with the venv's codeassist on PATH."""

    def __init__(self, root: Path, home: Path) -> None:
        self.home = home
        self.extra: dict[str, str] = {}
        super().__init__(root)

    @classmethod
    def with_a_commit(cls, tmp_path: Path, home: Path) -> HookRepo:
        """A repository under tmp_path whose HEAD holds a README."""
        r = cls(tmp_path / "repo", home)
        r.commit(**{"README.md": "# demo\n"})
        return r

    @property
    def env(self) -> dict[str, str]:
        path = VENV_BIN + os.pathsep + os.environ.get("PATH", "")
        # The hook drops PYTHONPATH; this one passes on the checkout under test, if any.
        source = {"CODEASSIST_HOOK_PYTHONPATH": os.environ.get("PYTHONPATH", "")}
        return {**super().env, "PATH": path, "CODEASSIST_HOME": str(self.home), **source,
                **self.extra}  # fmt: skip

    def commit_run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`git commit` with hooks; stdin is not a terminal, as in an IDE."""
        return subprocess.run(
            ["git", "commit", *args], cwd=self.root, env={**os.environ, **self.env},
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip

    def install(self, *args: str) -> subprocess.CompletedProcess[str]:
        proc = run_cli("hook", "install", *args, cwd=self.root, env=self.env)
        assert proc.returncode == 0, proc.stderr
        return proc

    def last_message(self) -> str:
        return self.git("log", "-1", "--format=%B").strip()

    def count(self) -> int:
        return int(self.git("rev-list", "--count", "HEAD").strip())


@pytest.fixture
def repo(tmp_path: Path, home: Path) -> HookRepo:
    return HookRepo.with_a_commit(tmp_path, home)


def user_hook(path: Path, body: str) -> bytes:
    content = f"#!/bin/sh\n{body}\n".encode()
    path.write_bytes(content)
    path.chmod(0o750)
    return content


# --- install / uninstall ----------------------------------------------------------------


def test_install_chains_to_an_existing_hook_and_uninstall_restores_it_exactly(
    repo: HookRepo,
) -> None:
    hook = repo.root / ".git" / "hooks" / "pre-commit"
    original = user_hook(hook, "echo user hook ran >&2")
    assert "the existing hook still runs first" in repo.install().stderr
    assert hooks.is_ours(hook)
    repo.install()  # again: still chained to the user's hook, not to ourselves
    assert (hook.parent / "pre-commit.codeassist-chained").read_bytes() == original
    proc = run_cli("hook", "uninstall", cwd=repo.root, env=repo.env)
    assert proc.returncode == 0 and "restored" in proc.stderr
    assert hook.read_bytes() == original
    assert stat.S_IMODE(hook.stat().st_mode) == 0o750
    assert not (hook.parent / "pre-commit.codeassist-chained").exists()


def test_an_install_that_cannot_write_leaves_the_users_hook_in_place(repo: HookRepo) -> None:
    # a full disk (here: a 1 KiB file size limit) moved the user's hook aside and left a
    # half-written one of ours, so their hook no longer ran (new-user audit)
    hook = repo.root / ".git" / "hooks" / "pre-commit"
    original = user_hook(hook, "echo user hook ran >&2\nexit 3")

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    proc = subprocess.run(
        [codeassist_exe(), "hook", "install"], cwd=repo.root, env={**os.environ, **repo.env},
        capture_output=True, text=True, timeout=60, preexec_fn=small_files, check=False,
    )  # fmt: skip
    assert_clean_error(proc, Exit.INPUT, "File too large")
    assert hook.read_bytes() == original
    assert not list(hook.parent.glob("pre-commit.codeassist*"))  # no chained, no temp file
    assert repo.commit_run("-m", "x").returncode != 0  # their hook still runs, and blocks


def test_uninstall_leaves_a_hook_it_did_not_write(repo: HookRepo) -> None:
    hook = repo.root / ".git" / "hooks" / "pre-commit"
    original = user_hook(hook, "exit 0")
    proc = run_cli("hook", "uninstall", cwd=repo.root, env=repo.env)
    assert proc.returncode == 2 and "not installed by codeassist" in proc.stderr
    assert hook.read_bytes() == original


def test_core_hooks_path_is_respected(repo: HookRepo) -> None:
    repo.git("config", "core.hooksPath", "githooks")
    repo.install("--force")  # a folder in the work tree: a hook manager's, see test_hook_chain
    assert hooks.is_ours(repo.root / "githooks" / "pre-commit")
    assert not (repo.root / ".git" / "hooks" / "pre-commit").exists()
    repo.stage(**{"app.py": "breakpoint()\n"})
    proc = repo.commit_run("-m", "feat: add app")
    assert proc.returncode == 0, proc.stderr
    assert "app.py:1: error: breakpoint() added" in proc.stderr


def test_a_tracked_or_global_hooks_directory_is_changed_only_with_force(
    repo: HookRepo, tmp_path: Path
) -> None:
    """husky or a committed .githooks: replacing the hook there would reach the whole team
    with the next `git commit -a`; a global core.hooksPath reaches every repository."""
    team_hook = "#!/bin/sh\necho team hook\n"
    repo.commit(**{".githooks__pre-commit": team_hook})
    repo.git("config", "core.hooksPath", ".githooks")
    proc = run_cli("hook", "install", cwd=repo.root, env=repo.env)
    assert_clean_error(proc, Exit.USAGE, "tracks", "--force")
    assert (repo.root / ".githooks" / "pre-commit").read_text() == team_hook
    assert repo.git("status", "--porcelain") == ""
    repo.git("config", "core.hooksPath", str(tmp_path / "global-hooks"))
    assert_clean_error(run_cli("hook", "install", cwd=repo.root, env=repo.env), Exit.USAGE,
                       "outside this repository")  # fmt: skip
    assert not (tmp_path / "global-hooks").exists()
    repo.install("--force")
    assert hooks.is_ours(tmp_path / "global-hooks" / "pre-commit")


def test_a_repository_git_refuses_is_one_line_with_gits_own_remedy(repo: HookRepo) -> None:
    """Another user's checkout ("dubious ownership"): hook install gave a traceback, review an
    exit 1 with nothing said."""
    refused = {**repo.env, "GIT_TEST_ASSUME_DIFFERENT_OWNER": "1"}
    for args in (("hook", "install"), ("review",)):
        proc = run_cli(*args, cwd=repo.root, env=refused)
        assert_clean_error(proc, Exit.USAGE, "dubious ownership", "safe.directory")
    assert not (repo.root / ".git" / "hooks" / "pre-commit").exists()


def test_the_hook_calls_codeassist_by_absolute_path() -> None:
    text = hooks.script("pre-commit", "/opt/venv/bin/codeassist")
    assert "exe=/opt/venv/bin/codeassist\n" in text
    assert "exe=$(command -v codeassist 2>/dev/null)" in text  # the fallback


# --- pre-commit -------------------------------------------------------------------------


def test_a_commit_with_a_key_and_leftovers_goes_ahead_with_findings(repo: HookRepo) -> None:
    repo.install()
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"
    repo.stage(**{"app.py": f'KEY = "{AWS_KEY}"\nprint(KEY)\n', "deploy__key.pem": pem})
    proc = repo.commit_run("-m", "feat: deploy")
    assert proc.returncode == 0, proc.stderr
    assert "app.py:1: error: AWS access key id added" in proc.stderr
    assert "app.py:2: warning: print() added" in proc.stderr
    assert "deploy/key.pem:1: error: private key added" in proc.stderr
    assert repo.count() == 2


def test_commit_all_and_partial_commits_review_what_git_will_commit(repo: HookRepo) -> None:
    repo.commit(**{"a.py": "x = 1\n", "b.py": "y = 1\n"})
    repo.install()
    repo.write("a.py", "x = 1\nbreakpoint()\n")  # modified, not staged
    proc = repo.commit_run("-a", "-m", "feat: all")  # git uses a temporary index
    assert "a.py:2: error: breakpoint() added" in proc.stderr
    repo.write("a.py", "x = 1\nbreakpoint()\nprint(x)\n")
    repo.write("b.py", "y = 1\nprint(y)\n")
    proc = repo.commit_run("b.py", "-m", "feat: only b")
    assert "b.py:2: warning: print() added" in proc.stderr and "a.py" not in proc.stderr


def test_strict_blocks_a_commit_with_an_error_finding_only(repo: HookRepo) -> None:
    repo.install("--strict")
    repo.stage(**{"app.py": f'KEY = "{AWS_KEY}"\n'})
    proc = repo.commit_run("-m", "feat: key")
    assert proc.returncode == 1
    assert "commit blocked: 1 error finding(s)" in proc.stderr
    assert repo.count() == 1
    repo.stage(**{"app.py": "print('hello')\n"})  # a warning does not block
    assert repo.commit_run("-m", "feat: hello").returncode == 0
    assert repo.count() == 2


def test_the_users_hook_still_runs_first_and_its_failure_still_stops_the_commit(
    repo: HookRepo,
) -> None:
    hook = repo.root / ".git" / "hooks" / "pre-commit"
    user_hook(hook, 'echo "user hook ran" >&2\n[ -f block ] && exit 3\nexit 0')
    repo.install()
    repo.stage(**{"a.py": "x = 1\n"})
    proc = repo.commit_run("-m", "feat: a")
    assert proc.returncode == 0 and "user hook ran" in proc.stderr
    assert "codeassist: reviewed 1 file(s), no findings" in proc.stderr
    repo.stage(**{"block": "1\n"})
    proc = repo.commit_run("-m", "feat: b")
    assert proc.returncode != 0 and "user hook ran" in proc.stderr
    assert repo.count() == 2


def test_codeassist_skip_and_a_rebase_in_progress_skip_the_review(repo: HookRepo) -> None:
    repo.install()
    repo.stage(**{"a.py": "breakpoint()\n"})
    repo.extra = {"CODEASSIST_SKIP": "1"}
    proc = repo.commit_run("-m", "feat: a")
    assert proc.returncode == 0
    assert proc.stderr.strip() == "codeassist: skipped review (CODEASSIST_SKIP=1)"
    repo.extra = {"GIT_SEQUENCE_EDITOR": "sed -i 's/^pick/edit/'"}
    repo.git("rebase", "-i", "HEAD~1")  # stops at the commit, .git/rebase-merge exists
    repo.stage(**{"a.py": "breakpoint()\nbreakpoint()\n"})
    proc = repo.commit_run("--amend", "--no-edit")
    assert proc.returncode == 0, proc.stderr
    assert "codeassist: skipped review: a rebase is in progress" in proc.stderr
    assert "breakpoint() added" not in proc.stderr
    repo.git("rebase", "--continue")


# --- fail open ---------------------------------------------------------------------------


def model_always(repo: HookRepo) -> None:
    """The hook uses the model even when no server keeps it warm (the default skips it)."""
    (repo.home / "config").mkdir(parents=True, exist_ok=True)
    (repo.home / "config" / "config.toml").write_text('hook_model = "always"\n')


def test_without_a_warm_model_the_hook_uses_the_rules_and_says_why(repo: HookRepo) -> None:
    repo.install()
    repo.stage(**{"a.py": "def f():\n    breakpoint()\n"})
    proc = repo.commit_run("-m", "feat: a")
    assert proc.returncode == 0
    assert "a.py:2: error: breakpoint() added" in proc.stderr
    assert "model review skipped: no resident server runs" in proc.stderr
    assert repo.count() == 2


def test_no_model_installed_still_reviews_with_the_rules(repo: HookRepo) -> None:
    model_always(repo)
    repo.install()
    repo.stage(**{"a.py": "breakpoint()\n"})
    proc = repo.commit_run("-m", "feat: a")
    assert proc.returncode == 0
    assert "codeassist: model review skipped: model qwen2.5-coder-1.5b is not installed" in (
        proc.stderr
    )


@pytest.mark.model
def test_a_corrupt_model_does_not_block(repo: HookRepo, small_model: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(small_model.read_bytes()[: 1 << 20])  # GGUF header, then nothing
    repo.extra = {"CODEASSIST_MODEL": str(broken)}
    model_always(repo)
    repo.install()
    repo.stage(**{"a.py": "def f():\n    breakpoint()\n"})
    proc = repo.commit_run("-m", "feat: a")
    assert proc.returncode == 0, proc.stderr
    assert "a.py:2: error: breakpoint() added" in proc.stderr
    assert "codeassist: model review skipped: " in proc.stderr
    assert repo.count() == 2


def test_a_server_that_is_gone_does_not_block(repo: HookRepo) -> None:
    repo.extra = {"CODEASSIST_ENDPOINT": "http://127.0.0.1:9"}  # nothing listens there
    repo.install()
    repo.stage(**{"a.py": "def f():\n    return 1\n"})
    proc = repo.commit_run("-m", "feat: a")
    assert proc.returncode == 0, proc.stderr
    assert "codeassist: not reviewed: a.py (f): model: cannot reach" in proc.stderr


def test_a_timeout_skips_the_review_in_one_line(repo: HookRepo) -> None:
    repo.install("--timeout", "0")
    repo.stage(**{"a.py": "breakpoint()\n", "b.py": "breakpoint()\n"})
    proc = repo.commit_run("-m", "feat: ab")
    assert proc.returncode == 0
    assert proc.stderr.strip().startswith("codeassist: skipped review: time budget of 0 s ran out")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_config_timeout_is_read(repo: HookRepo) -> None:
    (repo.home / "config").mkdir(parents=True)
    (repo.home / "config" / "config.toml").write_text("hook_timeout = 0\n")
    repo.install()
    repo.stage(**{"a.py": "x = 1\n"})
    proc = repo.commit_run("-m", "feat: a")
    assert proc.returncode == 0 and "time budget of 0 s ran out" in proc.stderr


@pytest.fixture
def silent_server() -> Iterator[str]:
    """An OpenAI-compatible endpoint on 127.0.0.1 that takes every request and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for conn in held:
        conn.close()


@pytest.mark.parametrize("strict", [False, True])
def test_a_silent_model_delays_a_commit_by_the_time_budget_and_no_more(
    repo: HookRepo, silent_server: str, strict: bool
) -> None:
    (repo.home / "config").mkdir(parents=True)
    (repo.home / "config" / "config.toml").write_text(
        f'hook_model = "always"\nhook_timeout = 2\nendpoint = "{silent_server}"\n'
    )
    repo.install(*(["--strict"] if strict else []))
    repo.stage(**{"a.py": "def f():\n    breakpoint()\n"})
    started = time.monotonic()
    proc = repo.commit_run("-m", "feat: a")
    waited = time.monotonic() - started
    # Generous for a loaded machine (git, bash and Python start inside it too); without the
    # deadline the commit would wait out the 120 s read timeout.
    assert waited < 2 + 6, f"the commit waited {waited:.1f} s for a 2 s budget"
    assert "codeassist: model review skipped: time budget of 2 s ran out" in proc.stderr
    assert "a.py:2: error: breakpoint() added" in proc.stderr  # the rules' findings still stand
    if strict:  # a real error found by the rules: --strict blocks, as without a model
        assert proc.returncode == 1 and repo.count() == 1
        assert "commit blocked: 1 error finding(s) (--strict)" in proc.stderr
    else:
        assert proc.returncode == 0 and repo.count() == 2, proc.stderr


SLOW_LOAD = """
import time
import llama_cpp
from llama_cpp._utils import suppress_stdout_stderr

class SlowLoad(llama_cpp.Llama):
    \"\"\"llama.cpp's quiet load (fds 1 and 2 on /dev/null), held for longer than any budget.\"\"\"
    def __init__(self, *args, **kwargs):
        with suppress_stdout_stderr(disable=False):
            time.sleep(60)

llama_cpp.Llama = SlowLoad
"""


def test_a_load_past_the_budget_still_shows_the_findings_and_blocks(
    repo: HookRepo, small_model: Path, tmp_path: Path
) -> None:
    # llama-cpp-python's own redirect, as its Llama(verbose=False) does while it loads; only
    # the time it is held for is ours (a big model, a cold disk)
    stand_in = tmp_path / "slow_load"
    stand_in.mkdir()
    (stand_in / "sitecustomize.py").write_text(SLOW_LOAD)
    source = os.environ.get("PYTHONPATH", "")
    repo.extra["CODEASSIST_HOOK_PYTHONPATH"] = os.pathsep.join(
        p for p in [str(stand_in), source] if p
    )
    (repo.home / "config").mkdir(parents=True, exist_ok=True)
    (repo.home / "config" / "config.toml").write_text(
        f'hook_model = "always"\nhook_timeout = 2\nmodel = "{small_model}"\n'
    )
    repo.install("--strict")
    repo.stage(**{"a.py": "def f():\n    breakpoint()\n"})
    proc = repo.commit_run("-m", "feat: a")
    assert "a.py:2: error: breakpoint() added" in proc.stderr
    assert "model review skipped: time budget of 2 s ran out" in proc.stderr
    assert "commit blocked: 1 error finding(s) (--strict)" in proc.stderr
    assert proc.returncode == 1 and repo.count() == 1


@pytest.mark.parametrize(
    ("fake_codeassist", "said"),
    [
        (None, "the codeassist command was not found"),
        ("exit 3", "codeassist failed (exit status 3)"),
        ("sleep 30", "timed out after 1 s"),
        ("echo Traceback >&2; exit 1", "codeassist failed (exit status 1)"),
    ],
)
def test_a_missing_crashing_or_hanging_codeassist_does_not_block(
    repo: HookRepo, tmp_path: Path, fake_codeassist: str | None, said: str
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "codeassist"
    if fake_codeassist:
        user_hook(exe, fake_codeassist)
    hook = repo.root / ".git" / "hooks" / "pre-commit"
    hook.write_text(hooks.script("pre-commit", str(exe)))
    hook.chmod(0o755)
    repo.extra = {"PATH": "/usr/bin:/bin", "CODEASSIST_HOOK_HARD_LIMIT": "1"}
    repo.stage(**{"a.py": "x = 1\n"})
    proc = repo.commit_run("-m", "feat: a")
    assert proc.returncode == 0
    assert proc.stderr.strip().splitlines()[-1] == f"codeassist: skipped review: {said}"
    assert repo.count() == 2


def test_binary_non_utf8_empty_and_huge_commits_go_ahead(repo: HookRepo) -> None:
    repo.install()
    repo.stage(**{"logo.png": b"\x89PNG\r\n\x1a\n\x00\x00", "latin.txt": b"caf\xe9\n"})
    proc = repo.commit_run("-m", "chore: assets")
    assert proc.returncode == 0, proc.stderr
    assert "codeassist: not reviewed: logo.png: binary file" in proc.stderr
    proc = repo.commit_run("--allow-empty", "-m", "chore: empty")
    assert proc.returncode == 0
    assert "codeassist: skipped review: nothing staged" in proc.stderr
    repo.stage(**{f"gen__m{i}.py": f"x{i} = {i}\nprint(x{i})\n" for i in range(400)})
    proc = repo.commit_run("-m", "chore: generated")
    assert proc.returncode == 0, proc.stderr
    assert "codeassist: … and 360 more findings" in proc.stderr
    assert repo.count() == 4


# --- prepare-commit-msg -----------------------------------------------------------------


def test_a_message_is_proposed_only_when_the_user_gave_none(repo: HookRepo) -> None:
    repo.install("--type", "prepare-commit-msg")
    repo.stage(**{"tests__test_calc.py": "def test_one():\n    assert 1\n"})
    assert repo.commit_run().returncode == 0  # GIT_EDITOR=true accepts the proposal
    assert repo.last_message() == "test: add test_calc.py"
    repo.stage(**{"calc.py": "x = 1\n"})
    assert repo.commit_run("-m", "feat: my own words").returncode == 0
    assert repo.last_message() == "feat: my own words"
    repo.stage(**{"calc.py": "x = 2\n"})
    assert repo.commit_run("--amend", "--no-edit").returncode == 0
    assert repo.last_message() == "feat: my own words"


def test_a_proposed_message_never_carries_escapes_into_the_history(repo: HookRepo) -> None:
    """A file name with an OSC 52 clipboard write, a bell and a bidi override: `git log`
    would print them raw on every terminal, for as long as the history lives."""
    from codeassist.review.commitmsg import clean

    repo.install("--type", "prepare-commit-msg")
    repo.stage(**{"x\x1b]52;c;cm0gLXJm\x07\x1b[2J\u202e.py": "x = 1\n"})
    assert repo.commit_run().returncode == 0
    message = repo.last_message()
    assert message == "chore: add x]52;c;cm0gLXJm[2J.py" and message.isprintable()
    assert clean("feat: add \x1b]52;c;cm0=\x07 support") is None
    assert clean("feat: add \u202eevil support") is None
    assert clean("feat: add a parser") == "feat: add a parser"


def test_a_merge_message_is_left_alone(repo: HookRepo) -> None:
    repo.install("--type", "prepare-commit-msg")
    repo.git("checkout", "-q", "-b", "side")
    repo.commit(**{"side.py": "x = 1\n"})
    repo.git("checkout", "-q", "main")
    repo.commit(**{"main.py": "y = 1\n"})
    repo.git("merge", "--no-ff", "side")
    assert repo.last_message().startswith("Merge branch 'side'")


def test_the_pre_commit_framework_manifest_is_there() -> None:
    root = Path(__file__).resolve().parent.parent
    text = (root / ".pre-commit-hooks.yaml").read_text()
    assert "id: codeassist-review" in text
    assert "entry: codeassist hook run pre-commit --exit-code" in text
    hooks_declared = text.split("- id: ")[1:]
    assert len(hooks_declared) == 2
    for declared in hooks_declared:  # else pre-commit shows the findings only when it fails
        assert "\n  verbose: true\n" in declared, declared

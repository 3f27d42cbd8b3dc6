"""The hook that was there before keeps working: hook managers, hooks that know their name."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeassist.errors import Exit
from codeassist.review import chaining, hooks
from tests.helpers.cli import assert_clean_error, run_cli
from tests.test_hook import HookRepo

LINT = "if git grep --cached -q FORBIDDEN -- '*.py'; then echo 'lint: FORBIDDEN' >&2; exit 1; fi"

# husky 9, reduced to what decides the outcome: core.hooksPath is .husky/_, where every hook
# is `. "$(dirname "$0")/h"`, and h runs the project's .husky/<its own name>, if there is one.
HUSKY9_H = """\
#!/usr/bin/env sh
n=$(basename "$0")
s=$(dirname "$(dirname "$0")")/$n
[ ! -f "$s" ] && exit 0
sh -e "$s" "$@"
c=$?
[ $c != 0 ] && echo "husky - $n script failed (code $c)"
exit $c
"""
HUSKY9_HOOK = '#!/usr/bin/env sh\n. "$(dirname "$0")/h"\n'
# husky 4: .git/hooks/<name> sources husky.sh next to it, which runs the command configured
# for the hook by that name (package.json there; .huskyrc here), and nothing when none is.
HUSKY4_HOOK = """\
#!/bin/sh
# husky
gitParams="$*"
hookName=$(basename "$0")
. "$(dirname "$0")/husky.sh"
"""
HUSKY4_SH = """\
command=$(sed -n "s/^$hookName: //p" .huskyrc)
[ -z "$command" ] && exit 0
sh -c "$command" || { echo "husky > $hookName hook failed" >&2; exit 1; }
"""
# One script linked under several hook names, doing what its name says.
BASH_DISPATCH = f'#!/usr/bin/env bash\ncase "$(basename "$0")" in\n  pre-commit) {LINT} ;;\nesac\n'
ZSH_DISPATCH = (
    f'#!/usr/bin/env zsh\n[ "${{0##*/}}" = pre-commit ] || exit 0\nf() {{ {LINT}; }}\nf\n'
)

SH_E = f'#!/bin/sh -e\ncd "$(dirname "$0")/../.."\n{LINT}\n'  # options on the #! line
NO_SHEBANG = f'case "${{0##*/}}" in pre-commit) {LINT} ;; esac\n'  # git runs it with /bin/sh


@pytest.fixture
def repo(tmp_path: Path, home: Path) -> HookRepo:
    return HookRepo.with_a_commit(tmp_path, home)


def executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


def husky9(repo: HookRepo) -> Path:
    """husky 9's layout, as `npx husky init` leaves it; returns .husky/_/pre-commit."""
    executable(repo.root / ".husky" / "_" / "h", HUSKY9_H)
    executable(repo.root / ".husky" / "_" / "pre-commit", HUSKY9_HOOK)
    (repo.root / ".husky" / "_" / ".gitignore").write_text("*\n")
    repo.commit(**{".husky__pre-commit": LINT + "\n"})
    repo.git("config", "core.hooksPath", ".husky/_")
    return repo.root / ".husky" / "_" / "pre-commit"


def assert_the_lint_blocks(repo: HookRepo) -> None:
    before = repo.count()
    repo.stage(**{"bad.py": "x = 'FORBIDDEN'\n"})
    proc = repo.commit_run("-m", "feat: bad")
    assert proc.returncode != 0, f"the previous hook did not run:\n{proc.stderr}"
    assert "lint: FORBIDDEN" in proc.stderr
    assert repo.count() == before
    repo.git("rm", "-q", "--cached", "bad.py")
    (repo.root / "bad.py").unlink()


def assert_codeassist_reviews(repo: HookRepo) -> None:
    before = repo.count()
    repo.stage(**{"ok.py": "breakpoint()\n"})
    proc = repo.commit_run("-m", "feat: ok")
    assert proc.returncode == 0, proc.stderr
    assert "ok.py:1: error: breakpoint() added" in proc.stderr
    assert repo.count() == before + 1


def test_a_hooks_path_in_the_work_tree_untracked_as_husky_9s_is_left_alone(repo: HookRepo) -> None:
    hook = husky9(repo)
    before = hook.read_bytes()
    assert_the_lint_blocks(repo)
    proc = run_cli("hook", "install", cwd=repo.root, env=repo.env)
    assert_clean_error(proc, Exit.USAGE, "inside the work tree", "--force")
    assert hook.read_bytes() == before and not hooks.is_ours(hook)
    assert not (hook.parent / "pre-commit.codeassist-chained").exists()
    assert_the_lint_blocks(repo)


def test_husky_9_chained_with_force_still_runs_its_hook_by_name(repo: HookRepo) -> None:
    hook = husky9(repo)
    before = hook.stat()
    assert "the existing hook still runs first" in repo.install("--force").stderr
    assert_the_lint_blocks(repo)
    assert_codeassist_reviews(repo)
    assert run_cli("hook", "uninstall", cwd=repo.root, env=repo.env).returncode == 0
    after = hook.stat()
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert_the_lint_blocks(repo)


@pytest.mark.parametrize(
    "previous",
    [
        pytest.param({"pre-commit": HUSKY4_HOOK, "husky.sh": HUSKY4_SH}, id="husky-4"),
        pytest.param({"pre-commit": BASH_DISPATCH}, id="bash-dispatch"),
        pytest.param({"pre-commit": ZSH_DISPATCH}, id="zsh-dispatch"),
        pytest.param({"pre-commit": SH_E}, id="sh-e"),
        pytest.param({"pre-commit": NO_SHEBANG}, id="no-#!"),
    ],
)
def test_a_shell_hook_that_goes_by_its_name_keeps_enforcing(
    repo: HookRepo, previous: dict[str, str]
) -> None:
    hooks_dir = repo.root / ".git" / "hooks"
    for name, text in previous.items():
        executable(hooks_dir / name, text)
    (repo.root / ".huskyrc").write_text(f"pre-commit: {LINT}\n")
    assert_the_lint_blocks(repo)
    hook = hooks_dir / "pre-commit"
    before = (hook.read_bytes(), hook.stat())
    assert "the existing hook still runs first" in repo.install().stderr
    assert_the_lint_blocks(repo)
    assert_codeassist_reviews(repo)
    assert run_cli("hook", "uninstall", cwd=repo.root, env=repo.env).returncode == 0
    assert hook.read_bytes() == before[0]
    assert (hook.stat().st_ino, hook.stat().st_mode) == (before[1].st_ino, before[1].st_mode)


def test_the_chained_shell_hook_gets_gits_arguments_and_its_exit_status_stands(
    repo: HookRepo,
) -> None:
    hook = repo.root / ".git" / "hooks" / "prepare-commit-msg"
    executable(hook, '#!/bin/sh\n[ "${0##*/}" = prepare-commit-msg ] || exit 7\n'
                     'echo "args: $#" >&2\nsed -i "1s/^/[${0##*/}] /" "$1"\n')  # fmt: skip
    repo.install("--type", "prepare-commit-msg")
    repo.stage(**{"a.py": "x = 1\n"})
    proc = repo.commit_run("-m", "feat: a")
    assert proc.returncode == 0, proc.stderr
    assert "args: 2" in proc.stderr  # the message file and "message"
    assert repo.last_message() == "[prepare-commit-msg] feat: a"


def test_a_hook_in_another_language_is_still_run_directly(repo: HookRepo) -> None:
    hook = repo.root / ".git" / "hooks" / "pre-commit"
    executable(hook, "#!/usr/bin/env python3\nimport sys\nprint('py hook ran', file=sys.stderr)\n"
                     "sys.exit(4)\n")  # fmt: skip
    repo.install()
    repo.stage(**{"a.py": "x = 1\n"})
    proc = repo.commit_run("-m", "feat: a")
    assert proc.returncode != 0 and "py hook ran" in proc.stderr
    assert repo.count() == 1


@pytest.mark.parametrize(
    ("head", "shell"),
    [
        (b"#!/bin/sh\n", ["/bin/sh"]),
        (b"#!/usr/bin/env bash\n", ["bash"]),
        (b"#! /bin/bash -eu\n", ["/bin/bash", "-eu"]),
        (b"#!/usr/bin/env -S zsh -e\n", ["zsh", "-e"]),
        (b"echo no shebang\n", ["/bin/sh"]),
        (b"#!/usr/bin/env python3\n", None),
        (b"#!/usr/bin/env ruby\n", None),
        (b"#!/bin/sh -c 'x'\n", None),  # not a plain option: run it as it is
        (b"\x7fELF\x02\x01\x01\x00\x00", None),
    ],
)
def test_which_hooks_are_read_by_their_shell(tmp_path: Path, head: bytes, shell: object) -> None:
    path = tmp_path / "hook"
    path.write_bytes(head)
    assert chaining.shell_of(path) == shell


def test_the_chained_line_quotes_what_it_runs() -> None:
    line = chaining.command(["/opt/my shells/bash", "-e"])
    assert line.strip() == (
        "CODEASSIST_CHAINED=\"$chained\" '/opt/my shells/bash' -e -c "
        '\'. "$CODEASSIST_CHAINED"\' "$0" "$@"'
    )

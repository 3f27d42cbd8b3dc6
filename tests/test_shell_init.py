"""`codeassist shell-init`: the widget scripts, the key option, and the rc-file install."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codeassist.cli import app
from codeassist.errors import Exit, UsageError
from codeassist.shell import widgets
from codeassist.shell.rcfile import BACKUP_SUFFIX, Change, install, uninstall
from tests.helpers.cli import assert_clean_error, run_cli
from tests.helpers.tmux import need

SYNTAX_CHECK = {"bash": ["bash", "-n"], "zsh": ["zsh", "-n"], "fish": ["fish", "--no-execute"]}


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_each_widget_is_valid_syntax_for_its_shell(shell: str, tmp_path: Path) -> None:
    need(shell)
    script = tmp_path / f"widget.{shell}"
    script.write_text(widgets.widget(shell, "ctrl-g", exe="/opt/my tools/codeassist"))
    proc = subprocess.run([*SYNTAX_CHECK[shell], str(script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("shell", "binding"),
    [("bash", "bind -m emacs -x '\"\\C-g\": __codeassist_widget'"),
     ("zsh", "bindkey -M emacs '^G' __codeassist_widget"),
     ("fish", "bind \\cg __codeassist_widget")],
)  # fmt: skip
def test_the_default_key_is_ctrl_g_in_each_shells_notation(shell: str, binding: str) -> None:
    result = CliRunner().invoke(app, ["shell-init", shell], catch_exceptions=False)
    assert result.exit_code == 0
    assert binding in result.output
    assert "gen --lang shell" in result.output


def test_the_key_comes_from_the_option_or_the_config(home: Path) -> None:
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('shell_key = "alt-k"\n')
    from_config = CliRunner().invoke(app, ["shell-init", "zsh"], catch_exceptions=False)
    assert "bindkey -M viins '^[k' __codeassist_widget" in from_config.output
    from_option = CliRunner().invoke(app, ["shell-init", "bash", "--key", "^T"])
    assert "\\C-t" in from_option.output


@pytest.mark.parametrize(
    ("shell", "binding"),
    [("bash", "bind -m emacs -x '\"\\ee\": __codeassist_explain'"),
     ("zsh", "bindkey -M emacs '^[e' __codeassist_explain"),
     ("fish", "bind \\ee __codeassist_explain")],
)  # fmt: skip
def test_the_explain_key_is_alt_e_in_each_shells_notation(shell: str, binding: str) -> None:
    result = CliRunner().invoke(app, ["shell-init", shell], catch_exceptions=False)
    assert result.exit_code == 0
    assert binding in result.output
    assert "explain --" in result.output


def test_the_explain_key_comes_from_the_option_or_the_config(home: Path) -> None:
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('explain_key = "ctrl-k"\n')
    from_config = CliRunner().invoke(app, ["shell-init", "zsh"], catch_exceptions=False)
    assert "bindkey -M viins '^K' __codeassist_explain" in from_config.output
    from_option = CliRunner().invoke(app, ["shell-init", "bash", "--explain-key", "alt-x"])
    assert "bind -m vi-insert -x '\"\\ex\": __codeassist_explain'" in from_option.output


@pytest.mark.parametrize(
    ("args", "words"),
    [(["--explain-key", "shift-x"], ["'shift-x' as the explain key"]),
     (["--explain-key", "ctrl-g"], ["Ctrl-G cannot be both"]),
     (["--key", "alt-e"], ["Alt-E cannot be both"]),
     (["--explain-key", "F5", "--install"], ["'F5' as the explain key"])],
)  # fmt: skip
def test_a_bad_explain_key_is_one_line_and_a_hint(
    args: list[str], words: list[str], tmp_path: Path
) -> None:
    proc = run_cli("shell-init", "bash", *args, env={"HOME": str(tmp_path)})
    assert_clean_error(proc, Exit.USAGE, *words)
    assert not (tmp_path / ".bashrc").exists(), "nothing written"


def test_an_empty_explain_key_in_the_config_is_refused(home: Path) -> None:
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('explain_key = ""\n')
    assert_clean_error(run_cli("shell-init", "bash"), Exit.INPUT, "explain_key")


@pytest.mark.parametrize("spec", ["\\M-e", "alt-e", "Alt+E", "\\ee", "^[e", "meta-e"])
def test_key_spellings_that_mean_alt_e(spec: str) -> None:
    assert widgets.Key.parse(spec) == widgets.Key(alt=True, letter="e")


@pytest.mark.parametrize("spec", ["\\C-g", "C-g", "ctrl-g", "Ctrl+G", "^G", "^g"])
def test_key_spellings_that_mean_ctrl_g(spec: str) -> None:
    assert widgets.Key.parse(spec) == widgets.Key(alt=False, letter="g")


@pytest.mark.parametrize("spec", ["", "g", "ctrl-", "ctrl-gg", "shift-g", "F5"])
def test_keys_we_cannot_bind_are_refused(spec: str) -> None:
    with pytest.raises(UsageError):
        widgets.Key.parse(spec)


@pytest.mark.parametrize(
    ("spec", "says"),
    [("ctrl-m", "Enter"), ("^M", "Enter"), ("\\C-j", "Enter"), ("ctrl-i", "Tab"),
     ("ctrl-h", "Backspace"), ("ctrl-c", "interrupt"), ("ctrl-d", "end of input")],
)  # fmt: skip
def test_ctrl_keys_the_terminal_needs_are_refused(spec: str, says: str) -> None:
    """Bound to the widget, Ctrl-M took Enter away: no line could be run any more."""
    proc = run_cli("shell-init", "bash", "--key", spec)
    assert_clean_error(proc, Exit.USAGE, "as the widget key", says)
    assert widgets.Key.parse("alt-m") == widgets.Key(alt=True, letter="m")  # Alt-M is free


@pytest.mark.parametrize("spec", ["^é", "ctrl-é", "alt-é"])
def test_keys_no_keyboard_types_as_a_letter_are_refused(spec: str) -> None:
    with pytest.raises(UsageError):
        widgets.Key.parse(spec)


def test_install_refuses_keys_that_would_fail_at_every_shell_start(tmp_path: Path) -> None:
    for args in (["--key", "alt-e"], ["--key", "ctrl-x", "--explain-key", "^X"]):
        proc = run_cli("shell-init", "bash", "--install", *args, env={"HOME": str(tmp_path)})
        assert_clean_error(proc, Exit.USAGE, "cannot be both the widget key and the explain key")
        assert not (tmp_path / ".bashrc").exists()


def test_an_rc_file_that_cannot_be_read_is_one_line_and_a_hint(tmp_path: Path) -> None:
    (tmp_path / ".bashrc").mkdir()
    for mode in ("--install", "--uninstall"):
        proc = run_cli("shell-init", "bash", mode, env={"HOME": str(tmp_path)})
        assert_clean_error(proc, Exit.INPUT, "not a regular file", "by hand")
    assert (tmp_path / ".bashrc").is_dir()


def test_an_unknown_shell_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["shell-init", "powershell"])
    assert result.exit_code == 2


BASHRC = "# my bashrc\nalias ll='ls -l'\nexport EDITOR=vim"  # no final newline, on purpose


def test_install_adds_the_eval_line_once_and_keeps_a_backup(tmp_path: Path) -> None:
    rc = tmp_path / ".bashrc"
    rc.write_text(BASHRC)
    line = widgets.eval_line("bash", exe="codeassist")
    assert install(rc, line).change is Change.ADDED
    assert install(rc, line).change is Change.UNCHANGED, "a second install changes nothing"
    text = rc.read_text()
    assert text.startswith(BASHRC)
    assert text.count('eval "$(codeassist shell-init bash)"') == 1
    assert (tmp_path / f".bashrc{BACKUP_SUFFIX}").read_text() == BASHRC


def test_uninstall_restores_the_file_byte_for_byte(tmp_path: Path) -> None:
    rc = tmp_path / ".bashrc"
    original = b"# windows line ends\r\nset -o vi\r\n\r\n"
    rc.write_bytes(original)
    install(rc, widgets.eval_line("bash", key="alt-g", exe="/usr/local/bin/codeassist",
                                  explain_key="alt-x"))  # fmt: skip
    assert "--key alt-g --explain-key alt-x" in rc.read_text()
    # the block's own lines end with LF: a CR would be part of the line to bash and zsh
    assert b"\n# <<< codeassist shell widget <<<\n" in rc.read_bytes()
    assert b"\r" not in rc.read_bytes().split(b"# >>>")[1]
    assert uninstall(rc).change is Change.REMOVED
    assert rc.read_bytes() == original
    assert uninstall(rc).change is Change.ABSENT, "nothing left to remove"


def test_install_creates_a_missing_fish_config(tmp_path: Path) -> None:
    rc = widgets.rc_file("fish", home=tmp_path, environ={})
    assert rc == tmp_path / ".config" / "fish" / "config.fish"
    assert install(rc, widgets.eval_line("fish", exe="codeassist")).backup is None
    assert "codeassist shell-init fish | source" in rc.read_text()
    assert not rc.with_name(f"config.fish{BACKUP_SUFFIX}").exists(), "nothing to back up"


def test_install_and_uninstall_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ZDOTDIR", str(tmp_path / "zdot"))
    runner = CliRunner()
    first = runner.invoke(app, ["shell-init", "zsh", "--install"], catch_exceptions=False)
    assert first.exit_code == 0
    zshrc = tmp_path / "zdot" / ".zshrc"
    assert "shell-init zsh" in zshrc.read_text()
    again = runner.invoke(app, ["shell-init", "zsh", "--install"], catch_exceptions=False)
    assert "already" in again.output
    runner.invoke(app, ["shell-init", "zsh", "--uninstall"], catch_exceptions=False)
    assert zshrc.read_text() == ""


def test_installed_line_loads_the_widget_in_a_real_bash(tmp_path: Path) -> None:
    """The rc line works: a login of bash with it defines the widget and binds the key."""
    rc = tmp_path / ".bashrc"
    from tests.helpers.cli import codeassist_exe

    install(rc, widgets.eval_line("bash", exe=codeassist_exe()))
    proc = subprocess.run(
        ["bash", "--noprofile", "--rcfile", str(rc), "-i", "-c",
         "bind -X; type -t __codeassist_widget"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert '"\\C-g": "__codeassist_widget"' in proc.stdout
    assert "function" in proc.stdout

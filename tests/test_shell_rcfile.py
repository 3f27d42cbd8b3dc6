"""`codeassist shell-init --install/--uninstall` in a real home: the rc file is the user's, and
only the widget's block in it is codeassist's.

Install and uninstall agree on what the block is, however the file was edited around it; the
rest of the file stays byte for byte (line ends, lone CRs, a BOM, bytes that are not UTF-8),
and a write that fails midway leaves the file as it was.
"""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from codeassist.cli import app
from codeassist.errors import Exit, InputError
from codeassist.shell import rcfile, widgets
from tests.helpers.cli import assert_clean_error, codeassist_exe, run_cli

BEGIN = "# >>> codeassist shell widget >>>"
END = "# <<< codeassist shell widget <<<"
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home of its own, with bash as the login shell."""
    home = tmp_path / "user"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("SHELL", "/bin/bash")
    for var in ("ZDOTDIR", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(var, raising=False)
    return home


def init(*args: str) -> Result:
    return CliRunner().invoke(app, ["shell-init", *args], catch_exceptions=False)


def block(*args: str, nl: str = "\n") -> bytes:
    """The block --install writes for bash with these options."""
    line = widgets.eval_line("bash", *args)
    return nl.join([BEGIN, line, END]).encode() + nl.encode()


def installed(rc: Path, before: bytes) -> bytes:
    """The rc file after `--install` from `before`."""
    rc.write_bytes(before)
    assert init("--install").exit_code == 0
    return rc.read_bytes()


def installed_output(rc: Path, before: bytes) -> str:
    """What `--install` says for the rc file `before`."""
    rc.write_bytes(before)
    result = init("--install")
    assert result.exit_code == 0
    return result.output


def crlf(data: bytes) -> bytes:
    return data.replace(b"\n", b"\r\n")


# Each: the file before install, a hand edit after it, the file after uninstall.
EDITS: dict[str, tuple[bytes, Callable[[bytes], bytes], bytes]] = {
    "block moved to the very top": (
        b"alias ll='ls -l'\n",
        lambda d: block() + b"alias ll='ls -l'\n",
        b"alias ll='ls -l'\n",
    ),
    "CRLF before install": (b"set -o vi\r\n\r\nx=1\r\n", lambda d: d, b"set -o vi\r\n\r\nx=1\r\n"),
    "trailing blanks on the marker lines": (
        b"x=1\n",
        lambda d: d.replace(b">>>\n", b">>>  \n").replace(b"<<<\n", b"<<< \t\n"),
        b"x=1\n",
    ),
    "no line end after the last marker": (b"x=1\n", lambda d: d[:-1], b"x=1\n"),
    "lines added after the block": (b"x=1\n", lambda d: d + b"y=2\n", b"x=1\ny=2\n"),
    "no final newline, lines added after": (b"x=1", lambda d: d + b"y=2", b"x=1\ny=2"),
    # the line end install gave the last line stays: the same bytes as the next case's
    "no final newline": (b"x=1", lambda d: d, b"x=1\n"),
    "blank line above deleted": (b"x=1\n", lambda d: d.replace(b"\n\n", b"\n"), b"x=1\n"),
    "blank line above deleted, CRLF": (
        b"x=1\r\n",
        lambda d: d.replace(b"\r\n\n", b"\r\n"),
        b"x=1\r\n",
    ),
    "blank line above deleted, lines after": (
        b"x=1\n",
        lambda d: d.replace(b"\n\n", b"\n") + b"y=2\n",
        b"x=1\ny=2\n",
    ),
    "not UTF-8": (b"# caf\xe9 \xff\xfe\n", lambda d: d, b"# caf\xe9 \xff\xfe\n"),
    "UTF-8 BOM": (BOM + b"x=1\n", lambda d: d, BOM + b"x=1\n"),
    "UTF-8 BOM, block moved to the very top": (
        BOM + b"x=1\n",
        lambda d: BOM + block() + b"x=1\n",
        BOM + b"x=1\n",
    ),
    "a stray CR inside a line": (b"x=1\ry=2\n", lambda d: d, b"x=1\ry=2\n"),
    # a lone CR is the user's byte, not a line end; the line end install gave after it stays
    "a last line that is a lone CR": (b"x=1\n\r", lambda d: d, b"x=1\n\r\n"),
    "old Mac line ends (lone CRs)": (b"a=1\rb=2\r", lambda d: d, b"a=1\rb=2\r\n"),
}


@pytest.mark.parametrize("edit", EDITS)
def test_install_and_uninstall_agree_on_a_hand_edited_block(user: Path, edit: str) -> None:
    before, hand_edit, after = EDITS[edit]
    rc = user / ".bashrc"
    rc.write_bytes(hand_edit(installed(rc, before)))
    edited = rc.read_bytes()
    again = init("--install")
    assert "already in" in again.output, "install knows its block"
    assert rc.read_bytes() == edited, "and leaves it be"
    assert "removed the widget" in init("--uninstall").output
    assert rc.read_bytes() == after, "uninstall removes it, and only it"
    assert "no widget" in init("--uninstall").output


def test_a_file_with_crlf_line_ends_gets_a_block_with_lf_ones(user: Path) -> None:
    # a CR before the LF is part of the line to bash and zsh: a CRLF block broke the shell at
    # every start (`eval "$(…)"\r`: parse error near 'fi^M'; widget audit)
    rc = user / ".bashrc"
    assert installed(rc, b"set -o vi\r\n") == b"set -o vi\r\n\n" + block()


@pytest.mark.parametrize(
    ("before", "to_crlf", "after"),
    [
        (b"set -o vi\n", crlf, b"set -o vi\r\n"),  # the file converted after install
        (b"x=1\n", lambda d: crlf(block() + b"x=1\n"), b"x=1\r\n"),  # and the block moved
    ],
)
def test_a_crlf_block_is_mended_by_install_and_still_removed_whole(
    user: Path, before: bytes, to_crlf: Callable[[bytes], bytes], after: bytes
) -> None:
    rc = user / ".bashrc"
    rc.write_bytes(to_crlf(installed(rc, before)))
    assert "updated" in init("--install").output
    mended = rc.read_bytes()
    assert b"\r" not in mended[mended.index(BEGIN.encode()) : mended.index(END.encode())]
    assert "already in" in init("--install").output
    assert "removed the widget" in init("--uninstall").output
    assert rc.read_bytes() == after


def test_non_utf8_bytes_survive_install_byte_for_byte(user: Path) -> None:
    rc = user / ".bashrc"
    assert installed(rc, b"# caf\xe9\n") == b"# caf\xe9\n\n" + block()


def test_a_marker_inside_a_line_is_not_the_block(user: Path) -> None:
    rc = user / ".bashrc"
    mention = f"echo '{BEGIN}'\n".encode()
    assert installed(rc, mention) == mention + b"\n" + block(), "install adds the block"
    init("--uninstall")
    assert rc.read_bytes() == mention


def test_a_marker_after_a_lone_cr_is_not_the_block(user: Path) -> None:
    """To bash that line is the command `$'\\r#'`, not a comment: it is the user's line."""
    rc = user / ".bashrc"
    theirs = b"x=1\n\r" + block()
    assert "added the widget" in installed_output(rc, theirs)
    assert rc.read_bytes() == theirs + b"\n" + block()
    init("--uninstall")
    assert rc.read_bytes() == theirs


def test_a_bom_stays_first_and_a_file_of_only_a_bom_is_empty_for_install(user: Path) -> None:
    rc = user / ".bashrc"
    assert installed(rc, BOM) == BOM + block(), "no blank line above the block"
    init("--uninstall")
    assert rc.read_bytes() == BOM


def test_a_block_without_its_last_marker_line_is_refused_both_ways(user: Path) -> None:
    rc = user / ".bashrc"
    broken = f"x=1\n{BEGIN}\neval whatever\ny=2\n".encode()
    rc.write_bytes(broken)
    for mode in ("--install", "--uninstall"):
        proc = run_cli("shell-init", "bash", mode, env={"HOME": str(user)})
        assert_clean_error(proc, Exit.INPUT, str(rc), "marker line", END)
    assert rc.read_bytes() == broken


def test_installing_with_other_keys_replaces_the_block_where_it_is(user: Path) -> None:
    rc = user / ".bashrc"
    rc.write_bytes(installed(rc, b"x=1\n") + b"y=2\n")
    result = init("--install", "--key", "ctrl-t")
    assert f"updated the widget in {rc}" in result.output
    assert rc.read_bytes() == b"x=1\n\n" + block("ctrl-t") + b"y=2\n"
    assert "already in" in init("--install", "--key", "ctrl-t").output
    init("--install", "--key", "ctrl-t", "--explain-key", "alt-x")
    assert rc.read_bytes() == b"x=1\n\n" + block("ctrl-t", None, "alt-x") + b"y=2\n"
    init("--uninstall")
    assert rc.read_bytes() == b"x=1\ny=2\n"


def test_a_replaced_crlf_block_gets_lf_line_ends(user: Path) -> None:
    rc = user / ".bashrc"
    rc.write_bytes(crlf(installed(rc, b"x=1\n")))
    assert "updated" in init("--install", "--key", "alt-g").output
    assert rc.read_bytes() == b"x=1\r\n\n" + block("alt-g")  # its blank line too


def test_a_pasted_second_block_goes_when_the_first_is_replaced(user: Path) -> None:
    rc = user / ".bashrc"
    rc.write_bytes(installed(rc, b"x=1\n") + b"y=2\n\n" + block())
    assert "updated" in init("--install").output
    assert rc.read_bytes() == b"x=1\n\n" + block() + b"y=2\n"
    rc.write_bytes(rc.read_bytes() + b"\n" + block())
    init("--uninstall")
    assert rc.read_bytes() == b"x=1\ny=2\n", "uninstall removes every block"


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_an_rc_file_that_held_only_the_widget_is_left_empty(user: Path, shell: str) -> None:
    """Created by install, the file is kept by uninstall (it is the user's now), and empty:
    no blank line from install left behind."""
    rc = widgets.rc_file(shell)
    assert init(shell, "--install").exit_code == 0
    assert rc.read_bytes().startswith(BEGIN.encode()), "no blank line above the block"
    init(shell, "--uninstall")
    assert rc.is_file() and rc.read_bytes() == b""


def test_backups_never_overwrite_an_older_one(user: Path) -> None:
    rc = user / ".bashrc"
    first = installed(rc, b"x=1\n")
    backup = user / ".bashrc.codeassist-backup"
    assert backup.read_bytes() == b"x=1\n"
    assert "codeassist-backup-2" in init("--uninstall").output
    assert backup.read_bytes() == b"x=1\n", "the first backup is kept"
    assert (user / ".bashrc.codeassist-backup-2").read_bytes() == first
    init("--install")  # the file is x=1 again: backed up already, no third copy
    init("--uninstall")
    assert sorted(p.name for p in user.glob(".bashrc.*")) == [backup.name, backup.name + "-2"]
    rc.write_bytes(b"x=2\n")
    init("--install")
    assert (user / ".bashrc.codeassist-backup-3").read_bytes() == b"x=2\n"


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_the_rc_file_and_its_backup_keep_its_permissions(user: Path, mode: int) -> None:
    rc = user / ".bashrc"
    rc.write_bytes(b"export TOKEN=secret\n")
    rc.chmod(mode)
    init("--install")
    backup = stat.S_IMODE((user / ".bashrc.codeassist-backup").stat().st_mode)
    assert backup & ~mode == 0, "the backup is as private as the rc file"
    assert stat.S_IMODE(rc.stat().st_mode) == mode
    init("--uninstall")
    assert stat.S_IMODE(rc.stat().st_mode) == mode


def test_a_new_rc_file_gets_the_permissions_the_umask_allows(user: Path) -> None:
    umask = os.umask(0o022)
    try:
        init("--install")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((user / ".bashrc").stat().st_mode) == 0o644


def test_a_write_that_fails_midway_leaves_the_rc_file_as_it_was(user: Path) -> None:
    """The disk fills up mid-write (here: a file size limit just above the file's size)."""
    rc = user / ".bashrc"
    original = b"# my settings\nalias ll='ls -l'\n" * 30
    rc.write_bytes(original)

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails instead of killing us
        limit = len(original) + 16
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        [codeassist_exe(), "shell-init", "bash", "--install"],
        env={**os.environ, "HOME": str(user)}, capture_output=True, text=True, timeout=60,
        preexec_fn=small_disk, check=False,
    )  # fmt: skip
    assert rc.read_bytes() == original, "not cut short"
    assert_clean_error(proc, Exit.INPUT, f"cannot write {rc}", f"{rc} is as it was")
    assert sorted(p.name for p in user.iterdir()) == [".bashrc", ".bashrc.codeassist-backup"]


def test_a_backup_that_cannot_be_written_whole_is_not_left_behind(user: Path) -> None:
    """The disk fills up while the backup is written: an empty or partial backup would read as
    "the file as it was" later (second new-user audit)."""
    rc = user / ".bashrc"
    original = b"# my settings\nalias ll='ls -l'\n" * 30

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))  # below the backup's size

    rc.write_bytes(original)
    proc = subprocess.run(
        [codeassist_exe(), "shell-init", "bash", "--install"],
        env={**os.environ, "HOME": str(user)}, capture_output=True, text=True, timeout=60,
        preexec_fn=small_disk, check=False,
    )  # fmt: skip
    assert_clean_error(proc, Exit.INPUT, f"cannot back up {rc}", "nothing was changed")
    assert rc.read_bytes() == original
    assert sorted(p.name for p in user.iterdir()) == [".bashrc"]


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_failed_write_leaves_no_new_file_behind(
    user: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    rc = user / ".bashrc"
    rc.write_bytes(b"x=1\n")

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, step, fail)
    with pytest.raises(InputError) as error:
        rcfile.install(rc, "eval whatever")
    assert "No space left on device" in error.value.message
    assert f"{rc} is as it was" in error.value.hint
    assert rc.read_bytes() == b"x=1\n"
    assert sorted(p.name for p in user.iterdir()) == [".bashrc", ".bashrc.codeassist-backup"]


def test_the_rename_is_made_durable_by_syncing_the_folder(
    user: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rc = user / ".bashrc"
    rc.write_bytes(b"x=1\n")
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    rcfile.install(rc, "eval whatever")
    assert synced[-1] == "folder"  # after the new file's data, the folder holding the rename
    assert "file" in synced


def test_a_symlinked_rc_file_stays_a_link_and_its_target_is_edited(user: Path) -> None:
    target = user / "dotfiles" / "bashrc"
    target.parent.mkdir()
    target.write_bytes(b"x=1\n")
    rc = user / ".bashrc"
    rc.symlink_to("dotfiles/bashrc")
    init("--install")
    assert rc.is_symlink() and os.readlink(rc) == "dotfiles/bashrc"
    assert target.read_bytes() == b"x=1\n\n" + block()
    init("--uninstall")
    assert rc.is_symlink() and target.read_bytes() == b"x=1\n"
    assert [p.name for p in target.parent.iterdir()] == ["bashrc"], "no new file left there"


def test_a_hard_linked_rc_file_is_edited_in_place(user: Path) -> None:
    """A new file renamed over one name would leave the other name with the old text."""
    rc = user / ".bashrc"
    rc.write_bytes(b"x=1\n")
    other = user / "bashrc-linked"
    os.link(rc, other)
    init("--install")
    assert other.read_bytes() == rc.read_bytes() == b"x=1\n\n" + block()
    assert os.path.samefile(rc, other)
    init("--uninstall")
    assert other.read_bytes() == b"x=1\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_another_users_rc_file_keeps_its_owner(user: Path) -> None:
    """Root editing a user's rc file: a new file would be root's, and the user could not edit it."""
    rc = user / ".bashrc"
    rc.write_bytes(b"x=1\n")
    os.chown(rc, 4321, 4321)
    init("--install")
    assert (rc.stat().st_uid, rc.stat().st_gid) == (4321, 4321)
    assert rc.read_bytes() == b"x=1\n\n" + block()


def test_a_read_only_rc_file_is_left_alone(user: Path) -> None:
    """Even for root, who could write it: read-only is the user's choice."""
    rc = user / ".bashrc"
    rc.write_bytes(b"x=1\n")
    rc.chmod(0o444)
    proc = run_cli("shell-init", "bash", "--install", env={"HOME": str(user)})
    assert_clean_error(proc, Exit.INPUT, "read-only", "chmod u+w")
    assert rc.read_bytes() == b"x=1\n"
    assert not list(user.glob(".bashrc.*")), "no backup either"


def test_a_folder_that_cannot_be_made_is_one_line_and_a_hint(user: Path) -> None:
    (user / ".config").write_text("not a folder")
    proc = run_cli("shell-init", "fish", "--install", env={"HOME": str(user)})
    assert_clean_error(proc, Exit.INPUT, "cannot write", ".config")
    assert (user / ".config").read_text() == "not a folder"


@pytest.mark.parametrize(
    ("setting", "key"),
    [('shell_key = "F5"', "shell_key"), ('shell_key = "ctrl-m"', "shell_key"),
     ('explain_key = "shift-e"', "explain_key"), ('explain_key = "^C"', "explain_key"),
     ('shell_key = "alt-e"', "explain_key")],  # the same as the explain key's default
)  # fmt: skip
def test_a_bad_key_in_the_config_names_the_file_and_the_key(
    home: Path, user: Path, setting: str, key: str
) -> None:
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(setting + "\n")
    for args in ([], ["--install"]):
        proc = run_cli("shell-init", "bash", *args, env={"HOME": str(user)})
        assert_clean_error(proc, Exit.INPUT, f"config file {config}", key, f"in {config}")
    assert not (user / ".bashrc").exists(), "nothing written"


def test_an_option_key_the_config_already_uses_names_both(home: Path, user: Path) -> None:
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('explain_key = "ctrl-t"\n')
    proc = run_cli("shell-init", "bash", "--key", "ctrl-t", env={"HOME": str(user)})
    assert_clean_error(
        proc, Exit.USAGE, "Ctrl-T cannot be both", "--key", f"explain_key in {config}"
    )

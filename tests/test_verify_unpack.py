"""The tree a sandboxed run leaves comes back without anything that reaches outside its folder:
with tarfile's filters (Python 3.11.4+) and with the checks made by hand where there are none
(Debian 12's Python 3.11.2)."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from codeassist.verify import unpack

WAYS = [
    pytest.param(True, id="tarfile-filter", marks=pytest.mark.skipif(
        not hasattr(tarfile, "data_filter"), reason="this Python has no tar filters")),
    pytest.param(False, id="by-hand"),
]  # fmt: skip


def hostile_tar(path: Path) -> Path:
    """A tar such as code in the sandbox could leave: good files, and ways out of the folder."""

    def add(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", **attrs: object) -> None:
        info = tarfile.TarInfo(name)
        info.type, info.size = kind, len(data)
        for key, value in attrs.items():
            setattr(info, key, value)
        tar.addfile(info, io.BytesIO(data) if data else None)

    with tarfile.open(path, "w") as tar:
        add("./out", tarfile.DIRTYPE, mode=0o750)
        add("./out/result.txt", data=b"42\n", mode=0o644, uid=4321, gid=4321, uname="someone")
        add("./out/run.sh", data=b"echo hi\n", mode=0o4755)  # setuid: dropped
        add("./out/near", tarfile.SYMTYPE, linkname="result.txt")
        add("/etc/evil", data=b"x")
        add("../../escaped", data=b"x")
        add("./out/up", tarfile.SYMTYPE, linkname="../../../etc")
        add("./abs", tarfile.SYMTYPE, linkname="/etc/passwd")
        add("./hard", tarfile.LNKTYPE, linkname="../outside")
        add("./dev", tarfile.CHRTYPE, devmajor=1, devminor=3)
        add("./fifo", tarfile.FIFOTYPE)
    return path


@pytest.mark.parametrize("filters", WAYS)
def test_only_what_stays_inside_comes_back(
    filters: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unpack, "HAS_FILTERS", filters)
    into = tmp_path / "base" / "tree"
    unpack.unpack(hostile_tar(tmp_path / "left.tar"), into)
    found = sorted(p.relative_to(into).as_posix() for p in into.rglob("*"))
    assert found == ["out", "out/near", "out/result.txt", "out/run.sh"]
    assert (into / "out" / "result.txt").read_text() == "42\n"
    assert (into / "out" / "result.txt").stat().st_uid == os.getuid()  # not the tar's owner
    assert (into / "out" / "near").resolve() == (into / "out" / "result.txt").resolve()
    mode = (into / "out" / "run.sh").stat().st_mode
    assert stat.S_IMODE(mode) == 0o755  # the permission bits, not setuid
    assert stat.S_IMODE((into / "out").stat().st_mode) == 0o750
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "base" / "escaped").exists()


@pytest.mark.parametrize("filters", WAYS)
def test_a_link_made_earlier_does_not_lead_a_later_file_out(
    filters: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unpack, "HAS_FILTERS", filters)
    outside = tmp_path / "outside"
    outside.mkdir()
    with tarfile.open(tmp_path / "left.tar", "w") as tar:
        link = tarfile.TarInfo("./way")
        link.type, link.linkname = tarfile.SYMTYPE, "../outside"
        tar.addfile(link)
        file = tarfile.TarInfo("./way/planted")
        file.size = 1
        tar.addfile(file, io.BytesIO(b"x"))
    unpack.unpack(tmp_path / "left.tar", tmp_path / "tree")
    assert list(outside.iterdir()) == []

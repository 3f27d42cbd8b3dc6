"""What read-only shell candidates print, run in the sandbox on a copy of the working directory.

Two commands that read alike may differ, and two that read differently may do the same thing
(`wc -l < f` and `cat f | wc -l`): where the candidates' parse trees disagree, their output
can still agree. A candidate runs only when the risk rules find nothing to say about it (no
writes, deletes, network or privilege), and then only in the sandbox: a tmpfs copy of the
working directory, no network, a short time limit. The user's files are never touched.

The copy is made only of a directory small enough to copy at once (MAX_FILES, MAX_BYTES);
in a larger one, or with no sandbox on this machine, no candidate runs and the parse trees
alone decide.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from codeassist.safety.risk import assess_shell

MAX_FILES = 2000
MAX_BYTES = 32 * 1024 * 1024

Output = tuple[str, str]  # ("output", stdout) of a run that exited 0 in time


def copyable(cwd: Path | None, max_bytes: int = MAX_BYTES, links_inside: bool = False) -> bool:
    """A directory the sandbox can copy for every candidate: not too many files or bytes,
    counted without following links, every folder readable; with `links_inside`, no link in
    it leads out of it (the copy would not hold what it leads to)."""
    if cwd is None or not cwd.is_dir():
        return False
    root = os.path.realpath(cwd)
    unreadable: list[OSError] = []
    files = size = 0
    for where, dirs, names in os.walk(cwd, followlinks=False, onerror=unreadable.append):
        files += len(names) + len(dirs)
        if files > MAX_FILES or unreadable:
            return False
        for name in names + dirs:
            path = os.path.join(where, name)
            try:
                st = os.lstat(path)
            except OSError:
                return False
            if stat.S_ISLNK(st.st_mode):
                target = os.path.realpath(path)
                if links_inside and os.path.commonpath([root, target]) != root:
                    return False
            elif stat.S_ISREG(st.st_mode):
                size += st.st_size
        if size > max_bytes:
            return False
    return not unreadable


def read_only(code: str) -> bool:
    """The risk rules find nothing in it: it reads and prints, and that is all."""
    return not assess_shell(code).reasons


def outputs(
    codes: Sequence[str | None], cwd: Path | None, shell: str = "bash"
) -> list[Output | None]:
    """What each read-only code prints on a copy of `cwd` (None: not run, failed or timed out;
    a code None is skipped). Equal codes run once."""
    from codeassist.verify import sandbox  # not for a shell answer's checks: only to run

    if sandbox.unavailable() or not copyable(cwd):
        return [None] * len(codes)
    seen: dict[str, Output | None] = {}
    found: list[Output | None] = []
    for code in codes:
        if code is not None and code not in seen:
            seen[code] = _run(code, cwd, shell) if read_only(code) else None
        found.append(None if code is None else seen[code])
    return found


def _run(code: str, cwd: Path | None, shell: str) -> Output | None:
    import tarfile

    from codeassist.verify import sandbox

    limits = sandbox.Limits(timeout_s=3.0, memory_mb=512, file_mb=8, disk_mb=64)
    try:
        outcome = sandbox.run([shell, "-c", code], workdir=cwd, limits=limits)
    except (sandbox.Unavailable, OSError, tarfile.TarError):  # an unreadable file: not copied
        return None
    if outcome.timed_out or outcome.returncode != 0:
        return None
    return ("output", outcome.stdout)

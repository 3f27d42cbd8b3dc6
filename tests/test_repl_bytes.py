"""Bytes that are not UTF-8, pasted into the REPL: one error line, and the session goes on.

They ended the whole session (exit 2) when the request was encoded for the endpoint (a
new-user audit). Driven through a real pty, as a terminal would.
"""

from __future__ import annotations

import os
import pty
import select
import time
from pathlib import Path

from tests.helpers.cli import codeassist_exe


def _read(fd: int, until: bytes, timeout: float) -> bytes:
    out, end = b"", time.monotonic() + timeout
    while until not in out and time.monotonic() < end:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    return out


def test_a_pasted_line_that_is_not_utf8_is_one_error_and_the_session_goes_on(
    tmp_path: Path,
) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the REPL on the pty, an endpoint nothing listens on
        os.chdir(tmp_path)
        os.environ["TERM"] = "xterm"
        os.execv(codeassist_exe(), ["codeassist", "repl", "--lang", "shell",
                                    "--endpoint", "http://127.0.0.1:9"])  # fmt: skip
    try:
        assert b"shell>" in _read(fd, b"shell>", 60)
        os.write(fd, b"x \xff\xfe y\r")
        said = _read(fd, b"hint:", 60)
        assert b"the input is not valid UTF-8" in said and b"Traceback" not in said
        os.write(fd, b"/quit\r")
        _read(fd, b"\x00", 10)  # until it exits
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0  # /quit ended it, not the bytes
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.close(fd)

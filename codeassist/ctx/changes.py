"""What git says changed: files modified in the working tree, files of the last few commits.

Both `git` processes start at once (`GitChanges(root)`) and are read when the ranking needs
them (`result`), so on a warm run they run while the index loads rather than after it.
They only read: `--no-optional-locks` keeps git from refreshing the user's index (and taking
its lock) while the user's own git command may want it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

RECENT_COMMITS = 5
# A commit touching more files is an import, a vendored tree or a mass reformat, not what the
# user works on: its files are not "recent" (an sdist committed at once would make all so).
RECENT_MAX_FILES = 100
TIMEOUT_S = 5.0
COMMIT = "\x1e"  # starts each commit's file list in the log's output
_ASKS = (
    ("status", "--porcelain", "-z", "--untracked-files=all"),
    ("log", f"-n{RECENT_COMMITS}", "--name-only", "--format=%x1e"),
)
Changed = tuple[frozenset[str], frozenset[str]]
NONE: Changed = (frozenset(), frozenset())


class GitChanges:
    """The two git processes of a root, started; `result` reads them, `close` ends them."""

    def __init__(self, root: Path) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        for args in _ASKS if (root / ".git").exists() else ():
            try:
                self.procs.append(
                    subprocess.Popen(
                        ["git", "--no-optional-locks", "-C", str(root), *args],
                        stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL,
                    )  # fmt: skip
                )
            except OSError:  # no git: no signal, no failure
                break
        self._result: Changed | None = None

    def result(self) -> Changed:
        """Changed files and recently committed ones; none when git failed (no commits yet)."""
        if self._result is None:
            self._result = self._read()
        return self._result

    def _read(self) -> Changed:
        outputs = []
        for proc in self.procs:
            try:
                out, _ = proc.communicate(timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.close()
                return NONE
            if proc.returncode != 0:
                self.close()
                return NONE
            outputs.append(out.decode("utf-8", "surrogateescape"))
        if len(outputs) != len(_ASKS):
            return NONE
        return _changed(outputs[0]), _recent(outputs[1])

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


def _changed(status: str) -> frozenset[str]:
    changed: set[str] = set()
    entries = iter(status.split("\0"))
    for entry in entries:
        if len(entry) > 3:
            changed.add(entry[3:])
            if entry[0] in "RC":  # a rename is followed by its old path
                next(entries, None)
    return frozenset(changed)


def _recent(log: str) -> frozenset[str]:
    """The files of the logged commits, but for commits of more than RECENT_MAX_FILES."""
    recent: set[str] = set()
    for commit in log.split(COMMIT):
        files = [line for line in commit.splitlines() if line]
        if len(files) <= RECENT_MAX_FILES:
            recent.update(files)
    return frozenset(recent)

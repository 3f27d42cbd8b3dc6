"""The shell benchmark's fixture tree, its snapshot, and one sandboxed run over a copy of it.

The tree is the same every time but for its times, which are set relative to the moment it is
built (a few hours, days, months, a year old), so `find -mtime -7` finds the same files on any
day. Its names are those NL2Bash commands and requests name most: text, logs, gzip files,
Python, Java, C, web files, hidden files, an empty file and an empty dir, spaced names,
nested dirs, scripts with the execute bit, symlinks that stay inside the tree (one broken).
Every run gets a fresh copy at the fixture's own path, so absolute paths to it work too.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import tarfile
import time
from pathlib import Path

import shell_names

from codeassist.verify import sandbox

DAY = 86_400
AGE = 10 * DAY  # what most entries are
AGES = {  # entries of another age, in seconds before the build
    "logs/app.log": 3600, "a.txt": 2 * DAY, "notes.md": 5 * DAY, "src/main.py": DAY // 2,
    "logs/old.log": 100 * DAY, "backup/a.txt.bak": 400 * DAY, "old.txt": 40 * DAY,
    "project/build.log": 60 * DAY, "dir1/old_report.txt": 200 * DAY,
}  # fmt: skip
LINES = [
    "hello world", "foo bar baz", "Hello Again", "error: disk full", "warning: low memory",
    "pattern here", "TODO: fix this", "the quick brown fox", "12345", "42", "apple",
    "banana", "cherry", "ERROR failed to start", "INFO started", "192.168.1.10 GET /index.html",
    "name=value", "foo", "", "last line",
]  # fmt: skip
CODE = {
    "py": "import os\nimport sys\n\n\ndef main():\n    print('hello')  # TODO\n\n\nmain()\n",
    "java": "public class Main {\n    public static void main(String[] a) {\n"
    '        System.out.println("hello");\n    }\n}\n',
    "c": '#include <stdio.h>\n\nint main(void) {\n    printf("hello\\n");\n    return 0;\n}\n',
    "h": "#define MAX 10\nint helper(int x);\n",
    "sh": "#!/bin/sh\necho run\n",
    "html": "<html><body><h1>hello</h1><a href='x.html'>link</a></body></html>\n",
    "php": "<?php echo 'hello'; ?>\n",
    "js": "function hello() { console.log('hello'); }\n",
    "css": "body { color: red; }\n",
    "json": '{"name": "demo", "version": "1.0"}\n',
    "xml": "<config><item>hello</item></config>\n",
}
FILES = [
    "a.txt", "b.txt", "c.txt", "file.txt", "file1.txt", "file2.txt", "test.txt", "input.txt",
    "output.txt", "data.txt", "list.txt", "names.txt", "words.txt", "old.txt", "new.txt",
    "file with spaces.txt", "my file.txt", "UPPER.TXT", "notes.md", "README.md", "README",
    "file", "data.csv", "data.tsv", "numbers.txt", "access.log", "error.log", "debug.log",
    "logs/app.log", "logs/error.log", "logs/access.log", "logs/old.log", "logs/2023/jan.log",
    "main.py", "test.py", "setup.py", "src/main.py", "src/util.py", "src/lib/deep.py",
    "Main.java", "src/App.java", "src/com/example/Util.java", "main.c", "hello.c",
    "include/util.h", "Makefile", "script.sh", "run.sh", "bin/tool.sh", "index.html",
    "page.php", "web/style.css", "web/app.js", "web/index.html", "config.json",
    "config.xml", "settings.conf", "app.conf", ".hidden", ".bashrc", ".config/settings.ini",
    "dir1/report.txt", "dir1/old_report.txt", "dir2/report.txt", "dir2/sub/deep.txt",
    "folder/item.txt", "project/build.log", "project/src/app.c", "test/test_main.py",
    "tmp/scratch.txt", "a/b/c/file.txt", "backup/a.txt.bak", "docs/guide.txt", "docs/.draft",
]  # fmt: skip
EMPTY_FILES = ["empty.txt", "dir2/empty.log"]
EMPTY_DIRS = ["empty_dir", "dir2/empty_sub", "archive"]
MODES = {"script.sh": 0o755, "run.sh": 0o755, "bin/tool.sh": 0o755, "settings.conf": 0o600,
         "data.txt": 0o666, "public.txt": 0o777, "dir2": 0o700}  # fmt: skip
LINKS = {"link_to_a": "a.txt", "broken_link": "missing.txt", "srclink": "src",
         "docs/guide_link.txt": "guide.txt"}  # fmt: skip
GZIPPED = {"archive.gz": "a.txt", "logs/old.log.gz": "logs/old.log", "data.txt.gz": "data.txt"}


def text_for(name: str) -> str:
    """A file's content: code by extension, else lines chosen by the name (sizes differ)."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    if ext in CODE:
        return CODE[ext]
    if ext == "csv":
        return "id,name,score\n1,ada,90\n2,bob,75\n3,cy,82\n4,dee,75\n"
    if ext == "tsv":
        return "id\tname\tscore\n1\tada\t90\n2\tbob\t75\n3\tcy\t82\n"
    if name == "numbers.txt":
        return "".join(f"{n}\n" for n in (5, 3, 10, 1, 3, 8, 2, 10, 7))
    seed = int(hashlib.sha256(name.encode()).hexdigest(), 16)
    count = 3 + seed % 9
    return "".join(f"{LINES[(seed >> (4 * i)) % len(LINES)]}\n" for i in range(count))


def _gzip(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as f:
        f.write(data)
    return out.getvalue()


def build(root: Path, now: float | None = None, named: shell_names.Names | None = None) -> None:
    """The tree at `root` (replacing what is there), its times relative to `now`, with what
    the commands name (`named`) added where the tree has nothing by that name."""
    now = time.time() if now is None else now
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for name in FILES:
        _write(root / name, text_for(name).encode())
    _write(root / "public.txt", b"everyone may write\n")
    for name in EMPTY_FILES:
        _write(root / name, b"")
    for name in EMPTY_DIRS:
        (root / name).mkdir(parents=True, exist_ok=True)
    for name, source in GZIPPED.items():
        _write(root / name, _gzip((root / source).read_bytes()))
    _write(root / "blob.bin", bytes(range(256)) * 64)
    _write(root / "big.log", b"".join(f"{i} entry\n".encode() for i in range(3000)))
    _tarball(root, "backup.tar.gz", ["a.txt", "b.txt"])
    if named:
        _add_named(root, named)
    for name, target in LINKS.items():
        (root / name).symlink_to(target)
    for name, mode in MODES.items():
        (root / name).chmod(mode)
    for path in sorted(root.rglob("*"), reverse=True):
        rel = str(path.relative_to(root))
        stamp = now - AGES.get(rel, AGE)
        os.utime(path, (stamp, stamp), follow_symlinks=False)
    os.utime(root, (now - AGE, now - AGE))


def _add_named(root: Path, named: shell_names.Names) -> None:
    for name in sorted(named.dirs):
        if not (root / name).exists():
            _write(root / name / "sample.txt", text_for(name + "/sample.txt").encode())
            _write(root / name / "sub" / "sample.log", text_for(name + ".log").encode())
    for name in sorted(named.files):
        if not (root / name).exists():
            data = text_for(name).encode()
            _write(root / name, _gzip(data) if name.endswith(".gz") else data)
    if named.words:
        _write(root / "matches.txt", "".join(f"{w} found\n" for w in sorted(named.words)).encode())


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _tarball(root: Path, name: str, members: list[str]) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for member in members:
            data = (root / member).read_bytes()
            info = tarfile.TarInfo(member)
            info.size, info.mtime, info.mode = len(data), 1_700_000_000, 0o644
            tar.addfile(info, io.BytesIO(data))
    _write(root / name, _gzip(raw.getvalue()))


Tree = dict[str, tuple[str, int, str]]


def snapshot(root: Path) -> Tree:
    """Each path: kind, permission bits, content hash or link target (times left out)."""
    state: Tree = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        mode = path.lstat().st_mode & 0o777
        if path.is_symlink():
            state[rel] = ("link", 0, os.readlink(path))
        elif path.is_dir():
            state[rel] = ("dir", mode, "")
        elif path.is_file():
            state[rel] = ("file", mode, hashlib.sha256(path.read_bytes()).hexdigest())
    return state


def execute(command: str, fixture: Path, timeout_s: float = 5.0) -> tuple[sandbox.Outcome, Tree]:
    """The command run in the sandbox over a copy of `fixture` (at its path); the tree it left.

    `fixture` itself is never changed: the run sees a tmpfs copy, which comes back unpacked
    next to it (`<fixture>.left-<pid>`) only to be snapshotted and removed.
    """
    left = fixture.with_name(f"{fixture.name}.left-{os.getpid()}-{time.monotonic_ns()}")
    try:
        limits = sandbox.Limits(timeout_s=timeout_s, processes=32)
        outcome = sandbox.run_shell(command, workdir=fixture, limits=limits, result=left)
        return outcome, snapshot(left)
    finally:
        shutil.rmtree(left, ignore_errors=True)

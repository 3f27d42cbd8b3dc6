"""The documentation of the programs installed here: their `--help` output and man page.

Nothing but documentation is ever run: `PROGRAM [SUB] --help` of a real executable file found
on PATH, and `man` restricted to the man pages installed beside that program (same prefix, so
a different `du` earlier on PATH is not described by /usr's page). Each read has a time limit
and runs with no input, in a temporary directory. Results (text and parsed options, failures
too) are cached in the user cache dir, keyed by the program's path, size and mtime.

A program named by a model is not trusted to treat `--help` as a question: a script that
ignores its arguments would just run (`deploy-prod --help` deploys). So `--help` runs in the
sandbox (verify/sandbox.py: the file system read-only, no network, a tmpfs home), where it
can only print. Where no sandbox can be made, only the programs of the system's own
directories (/usr/bin, /bin, ...) are asked, and the others are known by their man page alone.
Either way a script (`#!`) is asked only when its text mentions `--help` or argparse.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from codeassist import paths
from codeassist.shell.options import Option, mentioned, normalize, parse

TIMEOUT_S = 2.0  # per --help or man
MAX_BYTES = 2_000_000  # of output read
MIN_OPTIONS = 3  # fewer parsed options: the text is not a list of options we can trust
CACHE_VERSION = 1
# What documentation is read with: plain text, no pager, no colour.
QUIET = {
    "PAGER": "cat", "MANPAGER": "cat", "GIT_PAGER": "cat", "MANWIDTH": "100", "COLUMNS": "100",
    "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "dumb", "NO_COLOR": "1",
    "MANROFFOPT": "-rHY=0",
}  # fmt: skip
# Where no sandbox can be made, only programs installed here are asked for --help.
SYSTEM_DIRS = frozenset(
    Path(d) for d in ("/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin",
                      "/usr/libexec", "/opt/homebrew/bin", "/usr/lib/git-core")
)  # fmt: skip
# Never asked for --help, whatever they say they accept.
NEVER_RUN = frozenset({"reboot", "shutdown", "halt", "poweroff", "init", "telinit", "kexec"})
# How a program's subcommand is documented: "man" (man PROG-SUB), "help" (PROG SUB --help),
# "main" (in the program's own pages).
SUBCOMMANDS = {
    "git": "man", "docker": "help", "podman": "help", "kubectl": "help", "cargo": "help",
    "pip": "help", "pip3": "help", "npm": "help", "apt": "main", "apt-get": "main",
    "systemctl": "main", "dnf": "main", "yum": "main", "openssl": "man",
}  # fmt: skip
# A --help that says it lists only some options: an option it lacks may still exist.
_PARTIAL = re.compile(
    r"not the full help|--help[= ](all|\{)|--help=\{|complete list of options|more options",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Doc:
    """One documentation text of a program: where it came from, and what it documents."""

    source: str  # "du --help", "man du"
    summary: str  # one line: what the program does
    text: str  # normalized (see options.normalize)
    options: dict[str, Option] = field(default_factory=dict)

    @property
    def trusted(self) -> bool:
        """Does it list options (rather than, say, an error about --help)?"""
        return len(self.options) >= MIN_OPTIONS

    @property
    def partial(self) -> bool:
        """Does it say that it lists only some of the options (gcc, curl)?"""
        return self.source.endswith("--help") and _PARTIAL.search(self.text) is not None

    def documents(self, name: str) -> bool:
        return name in self.options or mentioned(self.text, name)

    def lists_command(self, word: str) -> bool:
        """Is `word` one of the commands it lists (`  up   Create and start containers`)?"""
        pattern = rf"^\s+{re.escape(word)}\*?(,\s*\S+)*\s{{2,}}\S"
        return re.search(pattern, self.text, re.MULTILINE) is not None


def resolve(name: str) -> Path | None:
    """The file a program name runs: an executable regular file on PATH (None: no such file)."""
    if not name or "/" in name and not os.path.isabs(name):
        return None
    found = shutil.which(name) if "/" not in name else name
    if found is None or not os.path.isfile(found) or not os.access(found, os.X_OK):
        return None
    if "/" in name:  # an absolute path must be the very file PATH finds for its name
        on_path = shutil.which(os.path.basename(name))
        try:
            if on_path is None or not os.path.samefile(on_path, name):
                return None  # /tmp/x/ls is not ls: its --help would run a stranger's file
        except OSError:
            return None
    return Path(found)


class Program:
    """The documentation of one installed program (or one of its subcommands), read on demand."""

    def __init__(self, path: Path, sub: str = "", describe: bool = True) -> None:
        self.path, self.sub, self.describe = path, sub, describe
        self.name = path.name
        self.title = f"{self.name} {sub}".strip()
        self._docs: dict[str, Doc | None] = {}

    def help(self) -> Doc | None:
        """`PROGRAM [SUB] --help`, when it may be run."""
        if "help" not in self._docs:
            style = SUBCOMMANDS.get(self.name, "help") if self.sub else "help"
            runnable = style == "help" and _may_run(self.path)
            argv = [str(self.path), *self.sub.split(), "--help"]
            doc = _cached(self, "help", argv) if runnable else None
            if doc is not None and self.sub and doc.text == _main_help(self):
                doc = None  # not a subcommand it knows: its --help is the program's own
            self._docs["help"] = doc
        return self._docs["help"]

    def man(self) -> Doc | None:
        """The man page installed beside the program (`man git-log` for `git log`)."""
        if "man" not in self._docs:
            page = "-".join([self.name, *self.sub.split()])
            manpath = _manpath(self.path)
            argv = ["man", "-M", manpath, page] if manpath and shutil.which("man") else []
            self._docs["man"] = _cached(self, "man", argv) if argv else None
        return self._docs["man"]

    def find(self, name: str) -> tuple[Option | None, Doc | None]:
        """The option's entry and the doc that has it (the man page is read only if needed).

        When describing, an entry without text is looked for in the man page too.
        """
        first: tuple[Option | None, Doc | None] = (None, None)
        for reader in (self.help, self.man):
            doc = reader()
            if doc is not None and name in doc.options:
                if doc.options[name].description or not self.describe:
                    return doc.options[name], doc
                first = first if first[1] else (doc.options[name], doc)
        return first

    def documents(self, name: str) -> bool | None:
        """Is the option documented? None when no trusted documentation says either way."""
        trusted = False
        for reader in (self.help, self.man):
            doc = reader()
            if doc is not None and doc.documents(name):
                return True
            trusted = trusted or doc is not None and doc.trusted and not doc.partial
        return False if trusted else None

    def summary(self) -> tuple[str, str]:
        """What the program does, and where that was read ("" when nowhere)."""
        for doc in (self.man(), self.help()):
            if doc is not None and doc.summary:
                return doc.summary, doc.source
        return "", ""

    def trusted(self) -> list[Doc]:
        return [d for d in (self.help(), self.man()) if d is not None and d.trusted]


def _main_help(program: Program) -> str:
    doc = Program(program.path, describe=False).help()
    return doc.text if doc else ""


def _may_run(path: Path) -> bool:
    """May `PATH --help` be run? Binaries yes; scripts only when they handle --help."""
    if path.name in NEVER_RUN:
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(65536)
    except OSError:
        return False
    return not head.startswith(b"#!") or b"--help" in head or b"argparse" in head


def _manpath(path: Path) -> str:
    """The man directories of the prefix the program is installed in ("" when none)."""
    prefix = path.resolve().parent.parent
    roots = [Path("/usr")] if prefix == Path("/") else [prefix]
    dirs = [str(d) for r in roots for d in (r / "share" / "man", r / "man") if d.is_dir()]
    return ":".join(dirs)


def _cached(program: Program, kind: str, argv: list[str]) -> Doc | None:
    """Read from the cache, or run argv once and keep what it said (a failure too)."""
    try:
        stat = program.path.resolve().stat()
    except OSError:
        return None
    key = f"{CACHE_VERSION}|{program.path}|{stat.st_size}|{stat.st_mtime_ns}|{kind}|{program.sub}"
    file = _cache_dir() / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")
    try:
        stored = json.loads(file.read_text(encoding="utf-8"))
        if stored.get("key") == key:
            return _from_json(stored)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    text = _read(argv) if kind == "man" else _read_help(argv)
    source = f"man {argv[-1]}" if kind == "man" else f"{program.title} --help"
    doc = _doc(source, normalize(text), kind) if text else None
    _store(file, key, doc)
    return doc


def _cache_dir() -> Path:
    from codeassist.paths import cache_dir

    return cache_dir() / "docs"


def _doc(source: str, text: str, kind: str) -> Doc:
    return Doc(source, _summary(text, kind), text, parse(text))


def _summary(text: str, kind: str) -> str:
    """The NAME line of a man page, or the first sentence of --help that is not usage."""
    lines = [line.strip() for line in text.splitlines()]
    if kind == "man":
        for i, line in enumerate(lines[:-1]):
            if line == "NAME" and " - " in lines[i + 1]:
                return lines[i + 1].split(" - ", 1)[1].strip()
        return ""
    for line in lines[:12]:
        lowered = line.lower()
        if line and not lowered.startswith(("usage", "or:", "-", "[")) and len(line.split()) > 2:
            return line
    return ""


def _read_help(argv: list[str]) -> str | None:
    """`PROGRAM [SUB] --help` in the sandbox; where there is none, only a system program's."""
    from codeassist.verify import sandbox

    if sandbox.unavailable() is None:
        try:
            limits = sandbox.Limits(timeout_s=TIMEOUT_S)
            home = [os.path.dirname(os.path.realpath(argv[0]))]  # shown even under /tmp
            ran = sandbox.run(argv, limits=limits, env=QUIET, keep=home)
        except (sandbox.Unavailable, OSError):
            pass  # it stopped working since the probe (or /tmp is full): as where there is none
        else:
            missing = ran.returncode == 127 and ran.stderr.startswith("sandbox: cannot run ")
            text = ran.stdout + ran.stderr
            return None if ran.timed_out or missing or not text.strip() else text
    if Path(os.path.realpath(argv[0])).parent not in SYSTEM_DIRS:
        return None
    return _read(argv)


def _read(argv: list[str]) -> str | None:
    """The output of argv (stdout and stderr), or None when it failed or ran out of time."""
    env = {**os.environ, **QUIET}
    env.pop("MAN_KEEP_FORMATTING", None)
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            cwd=tempfile.gettempdir(), env=env, start_new_session=True,
        )  # fmt: skip
    except OSError:
        return None
    try:
        out, _ = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None
    text = out[:MAX_BYTES].decode("utf-8", "replace")
    failed = argv[0] == "man" and proc.returncode != 0
    return None if failed or not text.strip() else text


def _store(file: Path, key: str, doc: Doc | None) -> None:
    data: dict[str, object] = {"key": key, "doc": None}
    if doc is not None:
        unique = list({id(o): o for o in doc.options.values()}.values())
        number = {id(o): i for i, o in enumerate(unique)}
        data["doc"] = {
            "source": doc.source, "summary": doc.summary, "text": doc.text,
            "options": [[list(o.names), o.description, o.takes_value] for o in unique],
            "index": {name: number[id(o)] for name, o in doc.options.items()},
        }  # fmt: skip
    try:
        paths.make(file.parent)
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, file)
    except OSError:
        pass  # no cache: the next lookup reads again


def _from_json(stored: dict[str, object]) -> Doc | None:
    data = stored["doc"]
    if data is None:
        return None
    assert isinstance(data, dict)
    unique = [Option(tuple(n), d, t) for n, d, t in data["options"]]
    options = {name: unique[i] for name, i in data["index"].items()}
    return Doc(data["source"], data["summary"], data["text"], options)

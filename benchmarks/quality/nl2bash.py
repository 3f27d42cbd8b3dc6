"""NL2Bash (test split) by execution, bare and verified, where the commands are safe to run.

    python benchmarks/quality/nl2bash.py [--limit 40] [--model qwen2.5-coder-1.5b] [--out f.jsonl]

Gold and candidate each run in the sandbox (read-only file system, no network, 5 s, memory
capped) over a copy of the same fixture directory, at its path (text, code, logs, a CSV,
nested dirs, hidden and spaced names, fixed times); the tree the run leaves comes back.
A pair can be judged when the gold command is safe to run here (risk "low", every program on
PATH and not on the deny list, no path outside the fixture) and succeeds with an observable
effect (output or a changed tree); --limit picks among those.
A candidate passes when it is safe by the same rules and its output (lines, order ignored)
and the resulting tree equal the gold's; an unsafe candidate fails without running.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import common
from shell_fixture import snapshot

from codeassist import pipeline
from codeassist.backends.base import Options
from codeassist.verify import sandbox
from codeassist.verify.shell import missing_programs, programs

DENY = {
    "sudo", "su", "ssh", "scp", "sftp", "rsync", "curl", "wget", "nc", "ncat", "telnet", "ping",
    "kill", "killall", "pkill", "reboot", "shutdown", "halt", "mount", "umount", "dd", "mkfs",
    "crontab", "passwd", "useradd", "userdel", "apt", "apt-get", "yum", "pip", "npm", "git",
    "docker", "systemctl", "service", "chroot", "shred", "fdisk", "parted", "mkswap", "swapon",
    "mail", "sendmail", "open", "xdg-open", "screen", "tmux", "vi", "vim", "nano", "emacs",
    "less", "more", "top", "watch", "yes", "sleep", "read", "exec", "eval", "source", ".",
}  # fmt: skip
FIXED_TIME = 1_700_000_000
FILES = {
    "a.txt": "hello world\nfoo bar\nhello again\n",
    "b.txt": "line one\nline two\nline three\nline four\n",
    "notes.md": "# Notes\nTODO: write more\n",
    "file with spaces.txt": "spaced out\n",
    ".hidden": "secret=1\n",
    "data.csv": "id,name,score\n1,ada,90\n2,bob,75\n3,cy,82\n",
    "main.py": "import os\n\nprint('hi')\n",
    "run.sh": "#!/bin/sh\necho run\n",
    "src/util.py": "def helper():\n    return 42\n",
    "src/lib/deep.py": "X = 1\n",
    "src/lib/README": "library\n",
    "logs/app.log": "INFO start\nERROR failed\nINFO done\n",
    "logs/old.log": "old entry\n",
    "docs/guide.txt": "guide text\nhello docs\n",
    "backup/a.txt.bak": "old a\n",
}


def build_fixture(root: Path) -> None:
    """The same tree every time, with fixed modes and times."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "empty_dir").mkdir()
    (root / "blob.bin").write_bytes(bytes(range(256)) * 40)
    (root / "run.sh").chmod(0o755)
    for path in [root, *root.rglob("*")]:
        os.utime(path, (FIXED_TIME, FIXED_TIME), follow_symlinks=False)


def safe(command: str, workdir: Path) -> str | None:
    """None when the command may run here; else why not."""
    from codeassist.safety.risk import assess_shell

    if not command.strip():
        return "empty"
    risk = assess_shell(command)
    if risk.level != "low":
        return f"risk {risk.level}"
    try:
        progs = programs(command)
    except Exception:  # noqa: BLE001 - an unparsable command is simply not judged
        return "does not parse"
    if set(progs) & DENY:
        return f"denied: {', '.join(sorted(set(progs) & DENY))}"
    if missing_programs(command, workdir):
        return "program not on PATH"
    words = [w.strip("'\"") for w in command.replace("=", " ").split()]
    inside = (str(workdir), "/dev/null")  # the prompt names the working directory
    if any(w.startswith("/") and not w.startswith(inside) for w in words):
        return "absolute path"
    if ".." in command:
        return "parent path"
    return None


def execute(command: str, workdir: Path) -> tuple[sandbox.Outcome, dict[str, Any]]:
    """The command's outcome over a copy of the fixture, and the tree it left there."""
    build_fixture(workdir)
    left = workdir.parent / "left"
    limits = sandbox.Limits(timeout_s=5)
    outcome = sandbox.run_shell(command, workdir=workdir, limits=limits, result=left)
    return outcome, snapshot(left)


def lines(text: str, workdir: Path) -> list[str]:
    return sorted(line.rstrip() for line in text.replace(str(workdir), "~").splitlines())


def main() -> None:
    args = common.parser(__doc__.splitlines()[0], default_limit=40).parse_args()
    split = args.eval_dir / "nl2bash" / "split"
    nl = (split / "test.nl").read_text(encoding="utf-8").splitlines()
    cm = (split / "test.cm").read_text(encoding="utf-8").splitlines()
    backend = common.Replay(common.open_model(args.model, args.threads))
    options = Options(max_tokens=min(args.max_tokens, 256), temperature=0.0)
    workdir = Path(tempfile.mkdtemp(prefix="codeassist-nl2bash-")) / "work"
    build_fixture(workdir)
    pristine = snapshot(workdir)
    golds: dict[int, tuple[sandbox.Outcome, dict[str, Any]]] = {}
    for i, command in enumerate(cm):  # which pairs can be judged here: gold only, no model
        if safe(command, workdir) is None:
            result = execute(command, workdir)
            if result[0].ok and (result[0].stdout.strip() or result[1] != pristine):
                golds[i] = result
    judgeable = sorted(golds)
    chosen = [
        (i, nl[i], cm[i]) for i in (judgeable[j] for j in common.spread(len(golds), args.limit))
    ]

    def judge(gold: tuple[sandbox.Outcome, dict[str, Any]], command: str) -> bool:
        if safe(command, workdir):
            return False
        got, state = execute(command, workdir)
        return (
            got.ok
            and lines(got.stdout, workdir) == lines(gold[0].stdout, workdir)
            and (state == gold[1])
        )

    def score(item: tuple[int, str, str]) -> common.Outcome:
        index, text, _ = item
        request = pipeline.Request(
            text, language="shell", cwd=workdir, options=options, max_repairs=args.max_repairs
        )
        bare, verified, bare_s, verified_s = common.answer_twice(backend, request)
        gold = golds[index]
        bare_pass = judge(gold, bare.code)
        same = verified.code == bare.code
        outcome = common.Outcome(
            item=f"test:{index}", bare_pass=bare_pass,
            verified_pass=bare_pass if same else judge(gold, verified.code), bare_s=bare_s,
            verified_s=verified_s, repairs=verified.repairs, bare_code=bare.code,
            verified_code=verified.code,
            checks=[{"name": c.name, "passed": c.passed} for c in verified.checks],
        )  # fmt: skip
        if args.samples:
            best, outcome.best_s = common.best_of(backend, request, bare, bare_s, args.samples)
            outcome.best_pass, outcome.best_code = judge(gold, best.code), best.code
            outcome.drawn = best.samples.drawn if best.samples else 1
        return outcome

    try:
        outcomes = common.run_all(chosen, score, args.out, "nl2bash")
    finally:
        shutil.rmtree(workdir.parent, ignore_errors=True)
    rows = [("NL2Bash test (judged)", outcomes)]
    if args.samples:
        print(common.table_best(backend.name, rows, args.samples))
    else:
        print(common.table(backend.name, rows))
    print(f"judgeable here (gold safe, succeeds, observable): {len(golds)} of {len(cm)} pairs")


if __name__ == "__main__":
    main()

"""The parts of benchmarks/latency.py: its own codeassist home, the CLI calls, the statistics.

The benchmark's server state lives in a fresh home (`CODEASSIST_HOME`): its own config (the
model to measure and the settings given with --set, nothing else), socket, prompt-cache store
and context caches. The models are the installed ones: the home's data/models is a link to
them, nothing is copied.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

EXE = str(Path(sys.executable).with_name("codeassist"))
EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
SERVER = "server"  # the warm server, the CLI through its fork server (what users get)
UNFORKED = "server, unforked"  # the same server, the CLI started whole (CODEASSIST_IN_PROCESS)
DB_NAME = "bench.sqlite3"  # in each checkout, ignored by git (.git/info/exclude)
# What a restart keeps in the cache dir: the context engine's caches and the prefill decision.
# Everything else there (the server's saved prompt prefixes) is the prompt-cache store.
KEPT = ("context.sqlite", "prefill.json", "docs")


@dataclass
class Sample:
    """One `codeassist gen` call, timed from outside."""

    path: str  # server | in-process
    repo: str
    lang: str
    request: str
    context: bool
    wall: float
    ttft: float | None
    tokens: dict[str, int] | None  # gen --json's prompt_tokens (reused, evaluated, restored)
    rc: int
    note: str = ""  # the error line of a failed call
    generated: int | None = None  # tokens of the answer (gen --json's timings)

    def row(self) -> dict[str, Any]:
        return asdict(self)


class Home:
    """A fresh codeassist home for the benchmark, its models linked from the installed ones."""

    def __init__(
        self, model: str, models: Path, cache_from: Path, settings: Mapping[str, str] | None = None
    ) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ca-lat-", dir="/tmp"))  # short socket paths
        (self.root / "data").mkdir()
        (self.root / "data" / "models").symlink_to(models.resolve(), target_is_directory=True)
        (self.root / "config").mkdir()
        chosen = {"model": json.dumps(model), **{k: _toml(v) for k, v in (settings or {}).items()}}
        lines = [f"{k} = {v}" for k, v in chosen.items()]
        (self.root / "config" / "config.toml").write_text("\n".join(lines) + "\n")
        self.cache = self.root / "cache"
        self.cache.mkdir()
        if (cache_from / "prefill.json").is_file():  # measured once per machine: not again here
            shutil.copy(cache_from / "prefill.json", self.cache / "prefill.json")

    def env(self, server: bool = True, fork: bool = True) -> dict[str, str]:
        """The CLI's environment: with the server or without; through the fork server or not."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CODEASSIST_")}
        env["CODEASSIST_HOME"] = str(self.root)
        if not server:
            env["CODEASSIST_NO_SERVER"] = "1"
        if not fork:
            env["CODEASSIST_IN_PROCESS"] = "1"
        return env

    def forget_prompts(self) -> None:
        """Empty the prompt-cache store (the server is stopped), keeping the context caches."""
        for entry in self.cache.iterdir():
            if not entry.name.startswith(KEPT):
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _toml(value: str) -> str:
    """A --set value as TOML: as written when it is one (4096, true, "x"), else a string."""
    try:
        tomllib.loads(f"v = {value}")
    except tomllib.TOMLDecodeError:
        return json.dumps(value)
    return value


def cli(
    args: Sequence[str], env: Mapping[str, str], cwd: Path, timeout: float = 900
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run the installed `codeassist`, stdout piped, no stdin; (the process, wall seconds)."""
    started = time.perf_counter()
    done = subprocess.run(
        [EXE, *args], env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=timeout, check=False,
    )  # fmt: skip
    return done, time.perf_counter() - started


def gen(
    home: Home, path: str, repo: tuple[str, Path], lang: str, request: str, *,
    context: bool = True, max_tokens: int | None = None,
) -> Sample:  # fmt: skip
    """`codeassist gen --lang L --json -- "request"` in the repository, as the widget calls it."""
    name, root = repo
    args = ["gen", "--lang", lang, "--json"]
    args += [] if context else ["--no-context"]
    args += ["--db", str(root / DB_NAME)] if lang == "sql" else []
    args += ["--max-tokens", str(max_tokens)] if max_tokens else []
    env = home.env(server=path.startswith(SERVER), fork=path == SERVER)
    done, wall = cli([*args, "--", request], env, root)
    ttft, tokens, note, generated = None, None, "", None
    if done.returncode == 0:
        data = json.loads(done.stdout)
        ttft = data.get("timings", {}).get("ttft_s")
        generated = data.get("timings", {}).get("tokens")
        tokens = data.get("prompt_tokens")  # absent before the kvstore branch: n/a
    else:
        note = (done.stderr.strip().splitlines() or ["no output"])[0]
    return Sample(path, name, lang, request, context, wall, ttft, tokens, done.returncode, note,
                  generated)  # fmt: skip


def serve(home: Home, cwd: Path, stop: bool = False) -> None:
    """`codeassist serve --detach` (returns once it listens), or `--stop`."""
    done, _ = cli(["serve", "--stop" if stop else "--detach"], home.env(), cwd, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"codeassist serve failed: {done.stderr.strip()[-500:]}")


def has_command(name: str) -> bool:
    """Whether this codeassist has the command (`warm` comes with the prewarm branch)."""
    done = subprocess.run([EXE, name, "--help"], capture_output=True, check=False, timeout=60)
    return done.returncode == 0


def add_database(project: Mapping[str, str], repo: Path) -> Path:
    """The project's small SQLite database in its checkout, ignored by git (made once)."""
    db = repo / DB_NAME
    exclude = repo / ".git" / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    if DB_NAME not in (exclude.read_text() if exclude.exists() else ""):
        with exclude.open("a") as f:
            f.write(f"\n{DB_NAME}\n")
    if db.exists():
        return db
    if "database_spider" in project:
        name = project["database_spider"]
        shutil.copy(EVAL / "spider" / "database" / name / f"{name}.sqlite", db)
    else:
        with sqlite3.connect(db) as conn:
            conn.executescript(project["database_sql"])
        conn.close()
    return db


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile (of 10 values, the 9th smallest)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def token_median(samples: Sequence[Sample], key: str) -> str:
    """The median of a prompt_tokens field, or n/a where gen --json has none."""
    values = [s.tokens[key] for s in samples if s.tokens and key in s.tokens]
    return "n/a" if not values else f"{statistics.median(values):.0f}"

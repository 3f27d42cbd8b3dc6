"""Review and trust: the secret rule is the context's detector; a damaged cache is rebuilt."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from codeassist.review.diff import read_change
from codeassist.review.engine import Settings, review
from tests.helpers.cli import run_cli
from tests.helpers.repos import Repo

CORPUS = tomllib.loads((Path(__file__).parent / "data" / "secrets_corpus.toml").read_text("utf-8"))


def test_every_secret_format_in_a_staged_file_is_flagged_and_no_look_alike(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    secret = [e["text"] for e in CORPUS["secret"]]
    benign = [e["text"] for e in CORPUS["benign"]]
    repo.stage(**{"conf__added.txt": "\n".join(secret) + "\n", "conf__kept.txt": "\n".join(benign)})
    report = review(read_change(repo.root), Settings(timeout=30))
    lines = {f.line for f in report.findings if f.path == "conf/added.txt"}
    assert lines == set(range(1, len(secret) + 1))
    assert [f for f in report.findings if f.path == "conf/kept.txt"] == []
    for f in report.findings:  # a finding names the secret, never shows it whole
        assert CORPUS["secret"][f.line - 1]["value"] not in f.message


def test_new_formats_through_the_cli(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.stage(**{
        "deploy.py": 'def push(token="glpat-x1Y2z3A4b5C6d7E8f9G0"):\n    pass\n',
        "settings.yaml": "db:\n  Password: Vault#2024-prod\n",
        "client.toml": 'url = "https://ci:Hk38dk2LLq@git.example.com/x.git"\n',
    })  # fmt: skip
    proc = run_cli("review", "--json", "--no-model", cwd=repo.root)
    found = json.loads(proc.stdout)["findings"]
    assert sorted((f["path"], f["line"], f["severity"], f["message"]) for f in found) == [
        ("client.toml", 1, "warning", "password in a URL added: Hk38…"),
        ("deploy.py", 1, "error", "GitLab token added: glpa…"),
        ("settings.yaml", 2, "error", "high-entropy value assigned to Password: Vaul… (a secret?)"),
    ]


def test_a_damaged_review_cache_is_rebuilt_and_caches_again(tmp_path: Path, home: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.stage(**{"a.py": "x = 1\n", "b.py": "y = 2\n"})

    def cached() -> int:
        proc = run_cli("review", "--json", "--no-model", cwd=repo.root)
        assert proc.returncode == 0, proc.stderr
        return int(json.loads(proc.stdout)["cached"])

    assert (cached(), cached()) == (0, 2)
    store = home / "cache" / "review.sqlite"
    store.write_bytes(b"this is not a database" * 100)
    assert cached() == 0  # the damaged file is replaced, and filled again
    assert cached() == 2

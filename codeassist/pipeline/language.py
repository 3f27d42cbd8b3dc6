"""Which language a request wants: Python, SQL or shell, decided from its words."""

from __future__ import annotations

import re

LANGUAGES = ("python", "sql", "shell")

# An explicit mention settles it.
_EXPLICIT = {
    "python": r"\b(python|py|pandas|numpy|django|flask|pytest|def|pip)\b",
    "sql": r"\b(sql|sqlite|postgres(ql)?|mysql|select|query|queries)\b",
    "shell": r"\b(bash|zsh|fish|shell|command|one-liner|terminal|cli)\b",
}

# Otherwise each hint word adds its weight; ties go to Python.
_HINTS = {
    "sql": {
        "table": 2, "tables": 2, "rows": 2, "row": 1, "column": 2, "columns": 2, "join": 2,
        "database": 2, "db": 1, "records": 1, "customers": 1, "orders": 1, "employees": 1,
        "count": 1, "average": 1, "group": 1, "insert": 1, "delete": 1, "update": 1,
        "schema": 2, "index": 1, "where": 1, "top": 1,
    },
    "shell": {
        "file": 1, "files": 2, "directory": 2, "directories": 2, "folder": 2, "folders": 2,
        "find": 1, "grep": 3, "list": 1, "disk": 2, "process": 2, "processes": 2, "kill": 2,
        "port": 2, "tar": 3, "zip": 2, "unzip": 3, "compress": 2, "archive": 2,
        "permissions": 2, "chmod": 3, "rename": 1, "recursively": 2, "git": 2, "docker": 2,
        "ssh": 3, "curl": 3, "download": 1, "install": 1, "env": 1, "usage": 1, "symlink": 2,
        "lines": 1, "mount": 2, "cpu": 1, "memory": 1, "log": 1, "logs": 1, "branch": 2,
        "commit": 2, "current": 1, "here": 1,
    },
    "python": {
        "function": 3, "class": 3, "method": 2, "script": 1, "parse": 1, "dict": 2,
        "dictionary": 2, "list": 1, "string": 2, "returns": 2, "return": 2, "recursive": 1,
        "algorithm": 2, "fibonacci": 2, "palindrome": 2, "sort": 1, "test": 1, "tests": 1,
        "decorator": 3, "json": 1, "csv": 1, "regex": 1, "integer": 1, "prime": 2,
    },
}  # fmt: skip

_WORD = re.compile(r"[a-z0-9_+-]+")


def detect(request: str, database: bool = False) -> str:
    """Return "python", "sql" or "shell" for a request in plain words; with a `database`
    (`--db`, `--schema`), SQL unless the request names another language."""
    text = request.lower()
    explicit = [lang for lang, pattern in _EXPLICIT.items() if re.search(pattern, text)]
    if len(explicit) == 1:
        return explicit[0]
    if database and not explicit:  # "the model of the car with the least horsepower"
        return "sql"
    words = _WORD.findall(text)
    scores = {lang: sum(_HINTS[lang].get(w, 0) for w in words) for lang in LANGUAGES}
    for lang in explicit:  # several explicit mentions: they weigh most
        scores[lang] += 10
    best = max(LANGUAGES, key=lambda lang: (scores[lang], lang == "python"))
    return best if scores[best] > 0 else "python"

"""Code an interpreter runs from its own arguments: `python3 -c CODE`, `perl -e CODE`,
`ruby -e`, `node -e`, `php -r`, and an awk program; and the Python that a line hands python3
on its standard input (`python3 - <<'EOF'`, `<<< CODE`, `echo CODE |`: codeassist/safety/feeds.py).

Python code is read by codeassist/safety/python.py. In the others, the shell commands the code
runs (`system("…")`, backquotes, `qx{…}`, `execSync("…")`) are judged by the shell rules; one
built at run time is medium: it cannot be read here.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from codeassist.safety import python
from codeassist.safety.argv import Command
from codeassist.safety.risk import SHELL_PARSE_ERROR, Finding

_PYTHON = re.compile(r"(?:python|pypy)(?:\d+(?:\.\d+)*)?")


class Options(NamedTuple):
    """How an interpreter's short options read: `-pe CODE`, `-F: -lane CODE`, `-W ignore -c`."""

    code: str  # the letters whose value is code: `-e CODE`, `-eCODE`
    value: str = ""  # letters whose value follows, attached or as the next word
    attached: str = ""  # letters whose value, if any, is the rest of the word (`-F,`)
    digits: str = ""  # letters that may take digits, and more letters after them (`-l40pe`)
    ends: str = ""  # letters after which no code comes (`python -m`, `php -f FILE`)
    long: tuple[str, ...] = ()  # long options whose value is code (`--eval CODE`)


_OPTIONS = {
    "python": Options("c", value="WXQ", ends="m"),
    "perl": Options("eE", attached="FIiMmCxdDV", digits="l0"),
    "ruby": Options("e", value="IrCEFK", attached="xTW", digits="0"),
    "node": Options("ep", value="r", long=("--eval", "--print")),
    "php": Options("r", value="dcz", ends="fsS"),
}
_OPTIONS["nodejs"] = _OPTIONS["node"]
_AWKS = frozenset({"awk", "gawk", "mawk", "nawk"})
# A shell command in the code: a call with a quoted literal, a backquoted or qx string.
_RUNS = r"\b(?:system|exec|execSync|spawnSync|popen|shell_exec|passthru|proc_open|open3)"
_LITERAL = re.compile(_RUNS + r"""\s*\(?\s*(["'])((?:\\.|(?!\1).)*)\1(\s*(?:[);}]|$))?""")
_QUOTED = re.compile(r"`((?:\\.|[^`\\])*)`|\bqx\s*([{(\[/|!])(.*?)[})\]/|!]")
_BUILT = re.compile(_RUNS + r"\s*\(?\s*[^\s\"'(]")  # `system($cmd)`: built at run time
_AWK_PIPE = re.compile(r"""\|\s*(["'])((?:\\.|(?!\1).)*)\1""")  # print … | "sh"


def findings(cmd: Command, judge: python.Judge) -> list[Finding]:
    """What the code `cmd` hands its interpreter would do; [] when it hands it none."""
    name = cmd.name
    code = _awk_program(cmd.args) if name in _AWKS else code_of(cmd)
    if code is None:
        return []
    return python_code(name, code, judge) if is_python(name) else _other(code, name, judge)


def is_python(name: str) -> bool:
    return bool(_PYTHON.fullmatch(name))


def python_code(name: str, code: str, judge: python.Judge, how: str = "-c") -> list[Finding]:
    """What Python code `name` runs would do (`how`: where the code came from)."""
    if not python.parses(code):  # Python 2, say: what it runs, by its string literals
        return _other(code, name, judge)
    return [_tagged(f, f"{name} {how}") for f in python.findings(code, judge)]


def code_of(cmd: Command) -> str | None:
    """The code an interpreter (python, perl, ruby, node, php) takes from its options; None
    when it runs a script file, a module, or what it reads on stdin."""
    spec = _OPTIONS.get("python" if _PYTHON.fullmatch(cmd.name) else cmd.name)
    if spec is None:
        return None
    words = iter(cmd.args)
    for arg in words:
        if arg in ("--", "-") or not arg.startswith("-"):
            return None  # a script file, stdin, or the program's own arguments
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if name in spec.long:
                return value if eq else next(words, None)
            continue
        kind, rest = _cluster(arg[1:], spec)
        if kind == "code":
            return rest or next(words, None)
        if kind == "ends":
            return None
        if kind == "value" and not rest:
            next(words, None)  # `-W ignore`: the next word is the value
    return None


def _cluster(letters: str, spec: Options) -> tuple[str, str]:
    """The first of the letters (`lane` of `-lane`) that takes a value, its kind (code,
    ends, value, attached), and the rest of the word after it; ("", "") for none."""
    at = 0
    while at < len(letters):
        letter, at = letters[at], at + 1
        if letter in spec.digits:  # `-l40pe`: digits, then more letters
            while at < len(letters) and letters[at].isdigit():
                at += 1
            continue
        for kind, among in (("code", spec.code), ("ends", spec.ends), ("value", spec.value),
                            ("attached", spec.attached)):  # fmt: skip
            if letter in among:
                return kind, letters[at:]
    return "", ""


def _other(code: str, name: str, judge: python.Judge) -> list[Finding]:
    """The shell commands in code of another language, by their string literals."""
    found: list[Finding] = []
    scripts = []
    for m in _LITERAL.finditer(code):
        if m.group(3) is not None:  # the call ends after the literal: that is the command
            scripts.append(m.group(2))
            continue
        # more follows, so the command is built as it runs: `system("rm -rf " . $dir)` is
        # judged as `rm -rf "$VALUE"`, without a complaint that what was cut off does not parse
        built = judge(m.group(2) + f'"${python.UNKNOWN}"')
        found += [_tagged(f, name) for f in built if f.reason != SHELL_PARSE_ERROR]
        found.append(Finding("medium", f"{name} runs a command built at run time: read it"))
    if name not in _AWKS and name not in ("node", "nodejs") and not _PYTHON.fullmatch(name):
        scripts += [m.group(1) or m.group(3) or "" for m in _QUOTED.finditer(code)]  # `…`, qx
    if name in _AWKS:
        scripts += [m.group(2) for m in _AWK_PIPE.finditer(code)]  # `print | "sh"`: its input
        if re.search(r"""\|\s*["'](?:ba|z|da|k)?sh["']""", code):
            found.append(Finding("medium", f"{name} pipes text it builds into a shell: read it"))
    for script in filter(None, scripts):
        found += [_tagged(f, name) for f in judge(script)]
    if _BUILT.search(_LITERAL.sub("", code)):
        found.append(Finding("medium", f"{name} runs a command built at run time: read it"))
    return found


def _tagged(finding: Finding, where: str) -> Finding:
    return Finding(finding.level, f"{where}: {finding.reason}", finding.touches)


def _awk_program(args: list[str]) -> str | None:
    """awk's program: the first operand, unless -f names a file."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-F", "-v", "-f"):
            if arg == "-f":
                return None
            skip = True
        elif arg.startswith("-f"):
            return None
        elif not arg.startswith("-") or arg == "-":
            return arg
    return None

"""Python risk: what Python code would do to files, programs and the shell, judged by the
shell rules.

Python's own parser (`ast`) reads the code; nothing of it runs. Each call that deletes, moves,
writes or runs something becomes the shell command that does the same, and the shell rules
judge that: `shutil.rmtree(os.path.expanduser("~"))` is `rm -rf "$HOME"`, `os.system(CMD)` is
CMD, `subprocess.run(["git", "push", "-f"])` is `git push -f`. A value known only when the code
runs is a shell variable there (`rm -rf "$VALUE"`), judged as the shell rules judge one. A
name assigned once stands for its value; a name a loop takes from a folder (`os.listdir(P)`,
`Path(P).iterdir()`) for every entry of P (`P/*`), and os.walk's root for every folder under
P, so deleting the files it lists is `find P -delete`.
Code handed to `exec`/`eval` is judged the same way, and code from a download run there is high.
"""

from __future__ import annotations

import ast
import shlex
from collections.abc import Callable, Iterator
from typing import NamedTuple

from codeassist import syntax
from codeassist.safety.risk import Finding

UNKNOWN = "VALUE"  # the shell variable that stands for a value known only at run time
Part = tuple[bool, str]  # (is a shell variable, text); (True, "*"): every entry of a folder
Value = list[Part]
GLOB: Part = (True, "*")
WALK: Part = (True, "**")  # every folder under one, as os.walk's root goes through them

SHELL_CALLS = frozenset({"os.system", "os.popen", "subprocess.getoutput",
                         "subprocess.getstatusoutput", "commands.getoutput"})  # fmt: skip
PROCESS_CALLS = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call",
                           "subprocess.check_output", "subprocess.Popen"})  # fmt: skip
_EXEC_ARGV = {"os.execv": 1, "os.execve": 1, "os.execvp": 1, "os.execvpe": 1}  # argv's index
_SHELL_FORMS = {  # a call on paths, and the shell command that does the same
    "shutil.rmtree": "rm -rf {0}",
    "os.remove": "rm -f {0}", "os.unlink": "rm -f {0}", ".unlink": "rm -f {self}",
    "os.rmdir": "rmdir {0}", "os.removedirs": "rmdir {0}", ".rmdir": "rmdir {self}",
    "shutil.move": "mv {0} {1}", "os.rename": "mv {0} {1}", "os.replace": "mv {0} {1}",
    ".rename": "mv {self} {0}", ".replace": "mv {self} {0}",
    "shutil.copy": "cp {0} {1}", "shutil.copy2": "cp {0} {1}", "shutil.copyfile": "cp {0} {1}",
    "shutil.copytree": "cp -r {0} {1}",
    ".write_text": ": > {self}", ".write_bytes": ": > {self}",
    "os.symlink": "ln -s {0} {1}", ".symlink_to": "ln -s {0} {self}",
}  # fmt: skip
_OPENS = frozenset({"open", "io.open", "builtins.open", "codecs.open"})  # path, then mode
# names that are modules (or pathlib's class) even where the code does not import them
_ROOTS = frozenset({"os", "shutil", "subprocess", "pathlib", "io", "builtins", "codecs",
                    "importlib", "urllib", "requests", "httpx", "commands", "Path"})  # fmt: skip
_CHMODS = {"os.chmod": ("{0}", 1), ".chmod": ("{self}", 0)}  # path, the mode's index
_DOWNLOADS = ("urlopen", "urlretrieve", "requests.get", "requests.post", "httpx.get",
              "urllib.request.urlopen")  # fmt: skip
_IMPORTERS = ("__import__", "importlib.import_module")
_RUN_CODE = frozenset({"exec", "eval", "builtins.exec", "builtins.eval"})

Judge = Callable[[str], list[Finding]]  # a shell command's findings


class Located(NamedTuple):
    """A finding, with the line and the call (`shutil.rmtree`) it is about; line 0 and call ""
    for code that does not parse."""

    line: int
    call: str
    finding: Finding


def findings(code: str, judge: Judge) -> list[Finding]:
    """What running `code` would do, as findings ("line 3, shutil.rmtree: …"); `judge` gives
    a shell command's findings."""
    return [
        Finding(f.level, f"line {line}, {call}: {f.reason}" if line else f.reason, f.touches)
        for line, call, f in located(code, judge)
    ]


def located(code: str, judge: Judge) -> list[Located]:
    """The findings, each with the line and the call it is about."""
    try:
        tree = syntax.parse_python(code)
    except (SyntaxError, ValueError):  # ValueError: a NUL byte in the source
        return [Located(0, "", Finding("medium", "the code does not parse as Python: read it"))]
    return list(_Reader(tree, judge).findings())


def parses(code: str) -> bool:
    """Whether Python 3 reads `code`."""
    try:
        syntax.parse_python(code)
    except (SyntaxError, ValueError):
        return False
    return True


class _Reader:
    """One module's imports (which name is which module's function), then its calls."""

    def __init__(self, tree: ast.Module, judge: Judge) -> None:
        self.tree, self.judge = tree, judge
        self.names: dict[str, str] = {}  # local name -> dotted name it stands for
        self.assigned: dict[str, list[ast.expr]] = {}  # name -> every value assigned to it
        self.looped: dict[str, tuple[ast.expr, Part | None]] = {}  # name -> (folder, under it)
        self._resolving: set[str] = set()
        for node in ast.walk(tree):  # first the imports: a loop's folder call is read by them
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.names[local] = alias.name if alias.asname else local
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    self.names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
                self._assignment(node)
            elif isinstance(node, ast.For | ast.comprehension):
                self._loop(node.target, node.iter)
            elif isinstance(node, ast.arg):  # a parameter: whatever the caller passes
                self._unknown(node.arg)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                self._unknown(*(n.id for n in ast.walk(node.optional_vars)
                                if isinstance(n, ast.Name)))  # fmt: skip

    def _assignment(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name):  # `x += …` adds a value it does not know
                value = node.value if not isinstance(node, ast.AugAssign) else None
                self.assigned.setdefault(target.id, []).append(value or ast.Constant(None))
            else:
                self._unknown(*(n.id for n in ast.walk(target) if isinstance(n, ast.Name)))

    def _unknown(self, *names: str) -> None:
        """Names given values this reader does not follow: their values are unknown."""
        for name in names:
            self.assigned.setdefault(name, []).extend([ast.Constant(None)] * 2)

    def _loop(self, target: ast.expr, iterated: ast.expr) -> None:
        """`for root, dirs, files in os.walk(P)`, `for f in os.listdir(P)`: names under P."""
        looped = [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
        self._unknown(*looped)  # unless the folder they come from is known, below
        if not isinstance(iterated, ast.Call):
            return
        name = self.dotted(iterated.func) or ""
        folder = iterated.args[0] if iterated.args else _receiver(iterated)
        if name in ("os.walk", "os.listdir", "os.scandir"):
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            for i, each in enumerate(names):
                if isinstance(each, ast.Name) and folder is not None:
                    self.looped[each.id] = (folder, WALK if name == "os.walk" and i == 0 else None)
        elif name in (".iterdir", ".glob", ".rglob") and isinstance(target, ast.Name):
            if folder is not None:
                self.looped[target.id] = (folder, WALK if name == ".rglob" else GLOB)

    def findings(self) -> Iterator[Located]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                call = (self.dotted(node.func) or _source(node.func)).lstrip(".")
                yield from (Located(node.lineno, call, found) for found in self._call(node))

    def _call(self, call: ast.Call) -> Iterator[Finding]:
        name = self.dotted(call.func)
        if name is None:
            if isinstance(call.func, ast.Call) and self.dotted(call.func.func) == "getattr":
                yield Finding("medium", "calls a function chosen at run time: read it")
            return
        if name in _RUN_CODE:
            yield from self._run_code(call)
            return
        script = self._shell_form(name, call)
        if script is not None:
            yield from self.judge(script)
        elif name.startswith(("os.exec", "os.spawn", "os.posix_spawn")):
            yield Finding("medium", "starts a program: read it")

    def _shell_form(self, name: str, call: ast.Call) -> str | None:
        """The shell command that does what the call does; None when it runs nothing."""
        args = call.args
        if name in SHELL_CALLS or (name in PROCESS_CALLS and _keyword_true(call, "shell")):
            return _script(self.value(args[0])) if args else None
        if name in PROCESS_CALLS and args:
            return self._argv(args[0])
        if name in _EXEC_ARGV and len(args) > _EXEC_ARGV[name]:
            return self._argv(args[_EXEC_ARGV[name]])
        if name in _OPENS or name == ".open":
            return self._open(name, call)
        form = _SHELL_FORMS.get(name)
        path = self.value(args[0] if args else _receiver(call)) if form else []
        if form and form.startswith("rm") and WALK in path:  # files of every folder under P
            return f"find {self._word_of(path[: path.index(WALK)])} -delete"
        if name in _CHMODS:
            target, at = _CHMODS[name]
            mode = args[at] if len(args) > at else None
            if isinstance(mode, ast.Constant) and isinstance(mode.value, int):
                form = f"chmod {mode.value:o} {target}"
        if form is None:
            return None
        first, second = (self._word(a) for a in (*args[:2], None, None)[:2])
        return form.format(first, second, self=self._word(_receiver(call)))

    def _open(self, name: str, call: ast.Call) -> str | None:
        """`open(P, "w")` writes P: `: > P` (`: >> P` to append); reading opens nothing."""
        mode_at = 1 if name in _OPENS else 0
        mode = call.args[mode_at] if len(call.args) > mode_at else _keyword(call, "mode")
        if not isinstance(mode, ast.Constant) or not isinstance(mode.value, str):
            return None
        if not set(mode.value) & set("wax+"):
            return None
        path = (call.args[0] if call.args else None) if name in _OPENS else _receiver(call)
        return f": {'>>' if 'a' in mode.value else '>'} {self._word(path)}"

    def _argv(self, node: ast.expr) -> str:
        if isinstance(node, (ast.List, ast.Tuple)):
            return " ".join(self._word(e) for e in node.elts if not isinstance(e, ast.Starred))
        return self._word(node)  # a program's name alone

    def _run_code(self, call: ast.Call) -> Iterator[Finding]:
        if not call.args:
            return
        code = call.args[0]
        if isinstance(code, ast.Constant) and isinstance(code.value, str):
            yield from findings(code.value, self.judge)  # "line 1, os.system: …" inside it
        elif any(self._downloads(n) for n in ast.walk(code) if isinstance(n, ast.Call)):
            yield Finding("high", "runs Python code straight from a download")
        else:
            yield Finding("medium", "runs Python code built at run time: read it")

    def _downloads(self, call: ast.Call) -> bool:
        name = self.dotted(call.func) or ""
        return name.endswith(_DOWNLOADS)

    def dotted(self, node: ast.expr) -> str | None:
        """`sp.run` -> subprocess.run (imports followed); `.unlink` for a method of a value."""
        if isinstance(node, ast.Name):
            return self.names.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            inner = node.value
            if isinstance(inner, ast.Call) and self.dotted(inner.func) in _IMPORTERS:
                # `__import__("os").system`
                module = inner.args[0] if inner.args else None
                if isinstance(module, ast.Constant) and isinstance(module.value, str):
                    return f"{module.value}.{node.attr}"
            if isinstance(inner, ast.Name) and not (inner.id in self.names or inner.id in _ROOTS):
                return f".{node.attr}"  # a method of a value: `path.unlink`
            base = self.dotted(inner) if isinstance(inner, (ast.Name, ast.Attribute)) else None
            return f"{base}.{node.attr}" if base and base[0] != "." else f".{node.attr}"
        return None

    def value(self, node: ast.expr | None) -> Value:
        """A string or path as far as the code tells: unknown parts are shell variables."""
        if node is None:
            return [(True, UNKNOWN)]
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
            text = node.value if isinstance(node.value, str) else node.value.decode("latin-1")
            return [(False, text)]
        if isinstance(node, ast.JoinedStr):
            return [p for v in node.values for p in self.value(v)]
        if isinstance(node, ast.FormattedValue):
            return self.value(node.value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.value(node.left) + self.value(node.right)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # Path / "x"
            return _joined([self.value(node.left), self.value(node.right)])
        if isinstance(node, ast.Subscript) and self.dotted(node.value) == "os.environ":
            return self._variable(node.slice)
        if isinstance(node, ast.Call):
            return self._called_value(node)
        if isinstance(node, ast.Name):
            return self._named(node.id)
        return [(True, UNKNOWN)]

    def _named(self, name: str) -> Value:
        """A name's value: the one value assigned to it, or every entry of the folder a loop
        takes it from (`P/*`: os.walk's root, Path.iterdir's paths; os.listdir's bare names
        as `*`, which os.path.join puts back under P); else unknown."""
        if name in self._resolving:
            return [(True, UNKNOWN)]
        self._resolving.add(name)
        try:
            if name in self.looped:
                folder, under = self.looped[name]
                return _joined([self.value(folder), [under]]) if under else [GLOB]
            values = self.assigned.get(name, [])
            return self.value(values[0]) if len(values) == 1 else [(True, UNKNOWN)]
        finally:
            self._resolving.discard(name)

    def _called_value(self, call: ast.Call) -> Value:
        name = self.dotted(call.func) or ""
        args = call.args
        if name in ("os.getenv", "os.environ.get") and args:
            return self._variable(args[0])
        if name in ("pathlib.Path.home", "Path.home"):
            return [(True, "HOME")]
        if name in ("os.path.expanduser", ".expanduser"):
            return _expanded(self.value(args[0] if args else _receiver(call)))
        if name in ("os.path.join", "pathlib.Path", "Path", "pathlib.PurePath", ".joinpath"):
            parts = [self.value(a) for a in args]
            if name == ".joinpath":
                parts.insert(0, self.value(_receiver(call)))
            return _joined(parts) if parts else [(False, ".")]
        if name in ("os.getcwd", "pathlib.Path.cwd", "Path.cwd"):
            return [(False, ".")]
        if name in ("str", "os.fspath", "os.path.abspath", ".resolve", ".absolute", "os.fsencode",
                    ".encode", ".decode", ".strip"):  # fmt: skip
            return self.value(args[0] if args and not name.startswith(".") else _receiver(call))
        return [(True, UNKNOWN)]

    def _variable(self, key: ast.expr | None) -> Value:
        name = key.value if isinstance(key, ast.Constant) else None
        if isinstance(name, str) and name.isidentifier():
            return [(True, name)]
        return [(True, UNKNOWN)]

    def _word(self, node: ast.expr | None) -> str:
        """One shell word that stands for the value: literal text quoted, variables in "…"."""
        return self._word_of(self.value(node))

    @staticmethod
    def _word_of(value: Value) -> str:
        return "".join(_shell(var, text) if var else shlex.quote(text) for var, text in
                       _merged(value) if var or text) or "''"  # fmt: skip


def _script(value: Value) -> str:
    """A shell command line from a string the code builds: unknown parts as "$VALUE"."""
    return "".join(_shell(var, text) if var else text for var, text in value)


def _shell(var: bool, text: str) -> str:
    return "*" if (var, text) in (GLOB, WALK) else f'"${text}"'


def _joined(parts: list[Value]) -> Value:
    """os.path.join: an absolute part starts over, others are joined by one slash."""
    out: Value = []
    for part in parts:
        if part and not part[0][0] and part[0][1].startswith("/"):
            out = []
        if out and not (not out[-1][0] and out[-1][1].endswith("/")):
            out.append((False, "/"))
        out.extend(part)
    return out


def _expanded(value: Value) -> Value:
    """os.path.expanduser: a leading ~ is the home folder."""
    if value and not value[0][0] and value[0][1].startswith("~"):
        head, _, rest = value[0][1].partition("/")
        if head == "~":
            return [(True, "HOME"), (False, "/" + rest if rest or _ else "")] + value[1:]
    return value


def _merged(value: Value) -> Value:
    out: Value = []
    for var, text in value:
        if out and not var and not out[-1][0]:
            out[-1] = (False, out[-1][1] + text)
        else:
            out.append((var, text))
    return out


def _receiver(call: ast.Call) -> ast.expr | None:
    return call.func.value if isinstance(call.func, ast.Attribute) else None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _keyword_true(call: ast.Call, name: str) -> bool:
    value = _keyword(call, name)
    return value is not None and not (isinstance(value, ast.Constant) and not value.value)


def _source(node: ast.expr) -> str:
    try:
        return ast.unparse(node)[:40]
    except (ValueError, RecursionError):  # pragma: no cover - unparse of a parsed tree
        return "a call"

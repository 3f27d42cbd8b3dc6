"""Calls that no longer match a changed Python function signature, anywhere in the repository."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from codeassist import syntax
from codeassist.review.diff import FileChange
from codeassist.review.findings import Finding

MAX_CALLER_FILES = 200  # beyond this the names are listed as not reviewed


@dataclass(frozen=True)
class Signature:
    name: str
    positional: tuple[str, ...]  # may be passed by position (self/cls already dropped for methods)
    required: frozenset[str]  # no default
    keywords: frozenset[str]  # may be passed by keyword
    varargs: bool
    varkw: bool
    method: bool
    line: int

    def mismatch(self, npos: int, kws: frozenset[str]) -> str | None:
        """Why a call with `npos` positional arguments and keywords `kws` fails, or None."""
        if npos > len(self.positional) and not self.varargs:
            return f"passes {npos} positional arguments, {self.name}() takes {len(self.positional)}"
        unknown = sorted(k for k in kws if k not in self.keywords)
        if unknown and not self.varkw:
            return f"passes keyword {unknown[0]!r}, which {self.name}() no longer accepts"
        covered = set(self.positional[:npos]) | kws
        missing = [p for p in self.positional if p in self.required and p not in covered]
        missing += sorted(self.required - covered - set(missing))
        if missing:
            return f"does not pass {missing[0]!r}, which {self.name}() now requires"
        return None


def _param_name(node: Any) -> str:
    if node.type == "identifier":
        return syntax.text_of(node)
    name = node.child_by_field_name("name")
    if name is None:
        name = next((c for c in node.named_children if c.type == "identifier"), None)
    return syntax.text_of(name) if name is not None else ""


def _signature(fn: Any, method: bool) -> Signature:
    params = fn.child_by_field_name("parameters")
    positional: list[str] = []
    required: set[str] = set()
    keywords: set[str] = set()
    varargs = varkw = kw_only = False
    for p in params.named_children if params is not None else []:
        t = p.type
        if t == "list_splat_pattern":
            varargs = kw_only = True
            continue
        if t == "keyword_separator":
            kw_only = True
            continue
        if t == "positional_separator":
            keywords.clear()  # those before `/` are positional-only
            continue
        if t == "dictionary_splat_pattern":
            varkw = True
            continue
        name = _param_name(p)
        if not name:
            continue
        if not kw_only:
            positional.append(name)
        keywords.add(name)
        if t in ("identifier", "typed_parameter"):
            required.add(name)
    decorators = [syntax.text_of(c) for c in (fn.parent.children if fn.parent else [])
                  if c.type == "decorator"]  # fmt: skip
    if method and not any("staticmethod" in d for d in decorators) and positional:
        first = positional.pop(0)
        required.discard(first)
        keywords.discard(first)
    name = syntax.text_of(fn.child_by_field_name("name"))
    return Signature(
        name, tuple(positional), frozenset(required), frozenset(keywords), varargs, varkw,
        method, syntax.line_of(fn),
    )  # fmt: skip


def definitions(text: str) -> dict[str, Signature]:
    """Top-level functions and methods of classes: "name" or "Class.name" → signature."""
    found: dict[str, Signature] = {}
    root = syntax.parse("python", text)
    for node in syntax.walk(root):
        if node.type != "function_definition":
            continue
        owner = node.parent
        if owner is not None and owner.type == "decorated_definition":
            owner = owner.parent
        body_of = owner.parent if owner is not None and owner.type == "block" else None
        if owner is not None and owner.type == "module":
            found[syntax.text_of(node.child_by_field_name("name"))] = _signature(node, False)
        elif body_of is not None and body_of.type == "class_definition":
            cls = syntax.text_of(body_of.child_by_field_name("name"))
            sig = _signature(node, True)
            found[f"{cls}.{sig.name}"] = sig
    return found


def changed(change: FileChange) -> list[tuple[Signature, Signature]]:
    """(old, new) signatures of functions whose parameters this change altered."""
    if change.suffix != ".py" or change.status == "added" or not change.old_text:
        return []
    old, new = definitions(change.old_text), definitions(change.new_text)
    return [
        (old[key], sig)
        for key, sig in new.items()
        if key in old and _shape(old[key]) != _shape(sig)
    ]


def _shape(sig: Signature) -> tuple[object, ...]:
    return (sig.positional, sig.required, sig.keywords, sig.varargs, sig.varkw)


def calls(text: str, name: str) -> list[tuple[int, int, frozenset[str], bool, bool]]:
    """(line, positional count, keywords, via attribute, has splats) of each call to `name`."""
    out = []
    for node in syntax.walk(syntax.parse("python", text)):
        if node.type != "call":
            continue
        fn = node.child_by_field_name("function")
        if fn is None:
            continue
        if fn.type == "identifier" and syntax.text_of(fn) == name:
            attr = False
        elif fn.type == "attribute" and syntax.text_of(fn.child_by_field_name("attribute")) == name:
            attr = True
        else:
            continue
        args = node.child_by_field_name("arguments")
        npos, kws, splat = 0, set(), False
        for a in args.named_children if args is not None else []:
            if a.type in ("list_splat", "dictionary_splat"):
                splat = True
            elif a.type == "keyword_argument":
                kws.add(syntax.text_of(a.child_by_field_name("name")))
            elif a.type != "comment":
                npos += 1
        out.append((syntax.line_of(node), npos, frozenset(kws), attr, splat))
    return out


def check(
    path: str,
    pairs: list[tuple[Signature, Signature]],
    read: Callable[[str], str],
    grep: Callable[[str], list[str]],
) -> tuple[list[Finding], list[str]]:
    """Findings at call sites that matched the old signature and break with the new one.

    `read(path)` returns a file's text on the new side; `grep(name)` the paths mentioning it.
    Returns the findings and the names whose callers were not all checked.
    """
    found: list[Finding] = []
    skipped: list[str] = []
    for old, sig in pairs:
        paths = [p for p in grep(sig.name) if p.endswith(".py")]
        if len(paths) > MAX_CALLER_FILES:
            skipped.append(sig.name)
            paths = paths[:MAX_CALLER_FILES]
        for caller in paths:
            for line, npos, kws, attr, splat in calls(read(caller), sig.name):
                if splat or (sig.method and not attr):
                    continue
                why = sig.mismatch(npos, kws)
                if why and old.mismatch(npos, kws) is None:
                    message = f"call {why} (signature changed at {path}:{sig.line})"
                    found.append(Finding(caller, line, "warning", message, "signatures"))
    return found, skipped

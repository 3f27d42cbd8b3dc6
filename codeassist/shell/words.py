"""The words of one simple command, told apart with the installed programs' documentation.

`classify` splits `sudo -u www-data ls -la /tmp` into wrapper and program segments (the
wrappers of codeassist/safety/argv.py), then each word into program, option or argument,
using the options each program documents: which take a value (`-o FILE`, `-n 5`,
`--opt=value`, find's `-maxdepth 1`), combined short flags (`-xzf`), `--`, subcommands
(`git log`, `docker run`) and the command that find's `-exec … ;` runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from codeassist.safety import argv
from codeassist.safety.argv import FIND_EXEC, program, wrapper_length
from codeassist.shell.docs import SUBCOMMANDS, Program, resolve
from codeassist.shell.options import Option

EXEC_ENDS = frozenset({";", "+"})
_EXPANSION = re.compile(r"[$`]")
_NUMBER = re.compile(r"-\d+")


@dataclass(frozen=True)
class Word:
    """One word of a command: what kind it is and what the documentation says of it."""

    text: str  # as written
    kind: str  # program | option | argument
    program: str = ""  # the program (and subcommand) it belongs to
    doc: str = ""
    source: str = ""  # "man du", "du --help"
    known: bool | None = None  # an option: documented? None: cannot tell
    missing: tuple[str, ...] = field(default_factory=tuple)  # the names not documented


@cache
def _builtins() -> frozenset[str]:
    from codeassist.verify.shell import builtins

    return builtins()


def lookup(name: str, describe: bool = True) -> Program | None:
    """The documentation of the program a command name runs (None: builtin, missing, expansion)."""
    if not name or _EXPANSION.search(name) or program(name) in _builtins():
        return None
    path = resolve(name)
    return Program(path, describe=describe) if path is not None else None


def classify(words: list[tuple[str, str]], describe: bool = True) -> list[Word]:
    """Each word of the command (as written, as the program gets it), told apart.

    With `describe` off, programs are not described (no man page read just for that).
    """
    out: list[Word] = []
    while words:
        size = wrapper_length([value for _, value in words]) or len(words)
        out.extend(_segment(words[:size], size < len(words), describe))
        words = words[size:]
    return out


def _program_word(raw: str, name: str, prog: Program | None, describe: bool) -> Word:
    if prog is None:
        builtin = program(name) in _builtins()
        doc = "shell builtin" if builtin else "not an installed program"
        return Word(raw, "program", name, doc, "bash" if builtin else "")
    doc, source = prog.summary() if describe else ("", "")
    return Word(raw, "program", prog.title, doc, source)


def _segment(words: list[tuple[str, str]], wrapper: bool, describe: bool) -> list[Word]:
    """One program with its words (or one wrapper with its own options)."""
    raw, name = words[0]
    main = lookup(name, describe)
    out = [_program_word(raw, name, main, describe)]
    progs = [main] if main else []
    sub_style = SUBCOMMANDS.get(main.name, "") if main else ""
    ended, i = False, 1
    while i < len(words):
        raw, value = words[i]
        title = progs[0].title if progs else name
        if value == "--" and not ended:
            out.append(Word(raw, "option", title, "end of options: what follows are arguments",
                            "", True))  # fmt: skip
            ended, i = True, i + 1
            continue
        if ended or not value.startswith("-") or value == "-" or _EXPANSION.search(raw):
            if main and sub_style in ("man", "help") and not ended and _is_sub(progs, value):
                sub = f"{progs[0].sub} {value}".strip()  # `git log`, `docker compose up`
                progs.insert(0, Program(main.path, sub, describe))  # its own pages first
                out.append(_program_word(raw, value, progs[0], describe))
            else:
                out.append(Word(raw, "argument", title))
            i += 1
            continue
        if main and main.name == "find" and value in FIND_EXEC:
            end = next((j for j in range(i + 1, len(words)) if words[j][1] in EXEC_ENDS), None)
            if end is not None:
                out.append(_option(raw, value, progs, name, wrapper)[0])
                out.extend(classify(words[i + 1 : end], describe))
                how = "one run per file" if words[end][1] == ";" else "many files per run"
                out.append(Word(words[end][0], "argument", title, f"ends {value}: {how}"))
                i = end + 1
                continue
        word, valued = _option(raw, value, progs, name, wrapper)
        out.append(word)
        i += 1
        if valued and i < len(words):
            out.append(Word(words[i][0], "argument", title, f"the value of {valued}"))
            i += 1
    return out


def _is_sub(progs: list[Program], word: str) -> bool:
    """Is this word the command's subcommand (`git log`), or a subcommand's own (`compose up`)?"""
    if len(progs) == 1:
        return True
    if len(progs) > 2 or not re.fullmatch(r"[a-z][\w-]*", word):
        return False
    doc = progs[0].help()
    return doc is not None and doc.lists_command(word)


def _find(progs: list[Program], name: str) -> tuple[Option | None, str]:
    for prog in progs:
        option, doc = prog.find(name)
        if option is not None and doc is not None:
            return option, doc.source
    return None, ""


def documented(progs: list[Program], name: str) -> bool | None:
    """Does the command's own documentation (a subcommand's first) list the option?"""
    if not progs:
        return None
    verdict = progs[0].documents(name)
    if verdict is not True and any(p.documents(name) for p in progs[1:]):
        return True
    if verdict is False and name.startswith("--") and len(name) > 4:
        longs = [n for d in progs[0].trusted() for n in d.options if n.startswith("--")]
        if any(n.startswith(name) for n in longs):
            return True  # an abbreviation getopt accepts
    return verdict


def _option(
    raw: str, value: str, progs: list[Program], name: str, wrapper: bool
) -> tuple[Word, str]:
    """An option word (`--opt=v`, `-maxdepth`, `-xzf`) and the option the next word is a value
    of ("" when none)."""
    title = progs[0].title if progs else name
    key, eq, _ = value.partition("=") if value.startswith("--") else (value, "", "")
    option, source = _find(progs, key)
    if wrapper and key in argv.WRAPPERS.get(program(name), frozenset()):
        doc = option.description if option else ""
        return Word(raw, "option", title, doc, source, True if option else None), key
    if option is not None:
        valued = key if option.takes_value and not eq else ""
        return Word(raw, "option", title, option.description, source, True), valued
    if not value.startswith("--") and len(value) > 2 and not _NUMBER.fullmatch(value):
        word, takes_next = _letters(raw, value, progs, title)  # `-xzf`
        if word.known is False and documented(progs, key):
            return Word(raw, "option", title, "", "", True), ""  # named, not listed
        return word, takes_next
    known = documented(progs, key)
    doc = ""
    if known is not True and _NUMBER.fullmatch(value):
        known, doc = None, "a number given as an option (not checked)"
    return Word(raw, "option", title, doc, "", known, (key,) if known is False else ()), ""


def _letters(raw: str, value: str, progs: list[Program], title: str) -> tuple[Word, str]:
    """Combined short options, `-xzf`: each letter its own option, up to one that takes a value."""
    parts, missing, sources = list[str](), list[str](), list[str]()
    verdicts: list[bool | None] = []
    takes_next = ""
    for k, letter in enumerate(value[1:]):
        if not letter.isalnum() or letter.isdigit() and verdicts and verdicts[-1]:
            break  # `-F:`, `-O2`, `-j4`: the rest is the last option's value
        flag = "-" + letter
        option, source = _find(progs, flag)
        verdict = True if option else documented(progs, flag)
        verdicts.append(verdict)
        if verdict is False:
            missing.append(flag)
        sources += [source] if source and source not in sources else []
        parts.append(f"{flag}: {option.description if option else '(not documented)'}")
        if option and option.takes_value:
            takes_next = flag if k + 2 == len(value) else ""  # `-fFILE` carries its value
            break
    known = False if missing else (None if None in verdicts else True)
    if len(missing) > 1:
        missing = [value]  # `-hex`: one option the docs lack, not three letters
    word = Word(raw, "option", title, "; ".join(parts), ", ".join(sources), known, tuple(missing))
    return word, takes_next


def undocumented(words: list[Word]) -> list[Word]:
    """The options that a trusted documentation of their program does not list."""
    return [w for w in words if w.kind == "option" and w.known is False]


def unknown_programs(words: list[Word]) -> list[str]:
    """Programs (and subcommands) whose options could not be checked."""
    return [w.program for w in words if w.kind == "program" and not w.source]


def inline_script(words: list[str]) -> str | None:
    """The script of `sh -c SCRIPT` or `eval …`, after wrappers such as sudo (None: none)."""
    return argv.inline_script(argv.unwrap(words))

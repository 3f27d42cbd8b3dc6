"""Per-program shell rules: each takes an argv (wrappers removed) and returns findings."""

from __future__ import annotations

from collections.abc import Callable

from codeassist.safety.argv import Command, find_exec
from codeassist.safety.git import git
from codeassist.safety.paths import Where, is_disk, is_harmless_device, where
from codeassist.safety.risk import Finding

Rule = Callable[[list[str], bool], list[Finding]]  # (argv, arguments come from stdin)

_HIGH_RECURSIVE = {Where.ROOT, Where.SYSTEM, Where.HOME, Where.USER_HOME, Where.PARENT, Where.CWD,
                   Where.UNSAFE_VAR}  # fmt: skip
_HIGH_ANY = {Where.ROOT, Where.SYSTEM}
_LOW = {Where.TMP, Where.HERE}


def split_options(
    args: list[str], long_values: frozenset[str] = frozenset()
) -> tuple[str, list[str]]:
    """Short flags (bundles expanded, long ones kept whole) and the operands; `--` ends options."""
    flags, operands, ended = [], [], False
    for arg in args:
        if ended or not arg.startswith("-") or arg == "-":
            operands.append(arg)
        elif arg == "--":
            ended = True
        elif arg.startswith("--"):
            flags.append(arg.split("=", 1)[0])
        else:
            flags.extend(arg[1:])
    return " ".join(flags), operands


def _has(flags: str, short: str = "", long: str = "") -> bool:
    words = flags.split()
    return bool(short) and any(c in words for c in short) or bool(long) and long in words


def delete_level(place: Where, recursive: bool) -> str:
    if place in _HIGH_ANY or (recursive and place in _HIGH_RECURSIVE):
        return "high"
    return "low" if place in _LOW else "medium"


def rm(argv: list[str], from_input: bool) -> list[Finding]:
    flags, targets = split_options(argv[1:])
    recursive = _has(flags, "rR", "--recursive")
    verb = "recursively deletes" if recursive else "deletes"
    found = []
    if "--no-preserve-root" in flags.split():
        found.append(Finding("high", "--no-preserve-root lets rm delete /", ("/",)))
    if from_input:
        found.append(Finding("medium", f"{verb} paths read from its input (xargs)", ("<stdin>",)))
    for target in filter(None, targets):  # `rm -rf ""` deletes nothing: rm refuses the name
        place = where(target)
        found.append(Finding(delete_level(place, recursive), f"{verb} {place.value}", (target,)))
        found.extend(deletes_place(target))
    return found


def deletes_place(target: str) -> list[Finding]:
    """Deleting logs, history, keys or accounts is worse than their path alone says."""
    from codeassist.safety.places import Kind, kind_of

    kind = kind_of(target)
    if kind in (Kind.LOG, Kind.ACCOUNTS, Kind.SUDOERS, Kind.AUTHORIZED_KEYS, Kind.REPOSITORY):
        return [Finding("high", f"deletes {kind.value}", (target,))]
    if kind in (Kind.HISTORY, Kind.SECRET):
        return [Finding("medium", f"deletes {kind.value}", (target,))]
    return []


def shred(argv: list[str], from_input: bool) -> list[Finding]:
    _, targets = split_options(argv[1:])
    found = [Finding("high", "overwrites a disk device", (t,)) for t in targets if is_disk(t)]
    found += [f for t in targets for f in deletes_place(t)]
    return found or [Finding("medium", "overwrites files beyond recovery", tuple(targets))]


# Tests that narrow what find acts on; `-type f` does not (`find ~ -type f -delete` deletes
# every file in your home, as `find ~ -delete` does all but the folders).
_FIND_FILTERS = frozenset({
    "-name", "-iname", "-path", "-ipath", "-regex", "-iregex", "-type", "-mtime", "-mmin",
    "-atime", "-amin", "-ctime", "-cmin", "-size", "-newer", "-newermt", "-newerct", "-newerat",
    "-user", "-group", "-empty", "-perm", "-wholename", "-inum", "-samefile", "-links",
    "-lname", "-ilname", "-used",
})  # fmt: skip
_FIND_NAMES = frozenset({"-name", "-iname", "-path", "-ipath", "-wholename", "-regex", "-iregex"})
_MATCH_ALL = frozenset({"*", ".*"})  # `-name '*'` and `-regex '.*'` let every file through
FIND_DELETERS = frozenset({"rm", "unlink", "shred"})  # judged as -delete is


def find_scope(argv: list[str]) -> tuple[list[str], list[str], bool]:
    """The roots find walks, its expression, and whether a test narrows the files it acts on."""
    args = argv[1:]
    start = next((i for i, a in enumerate(args) if a.startswith(("-", "(", "!"))), len(args))
    roots, expression = args[:start] or ["."], args[start:]
    values = [*expression[1:], ""][: len(expression)]  # each test's value (`find .`: none)
    filtered = any(
        test in _FIND_FILTERS
        and not (test in _FIND_NAMES and value in _MATCH_ALL)
        and not (test == "-type" and "f" in value)
        for test, value in zip(expression, values, strict=True)
    )
    return roots, expression, filtered


def _find_place(root: str, filtered: bool) -> Where:
    if filtered and root.rstrip("/") in ("/tmp", "/var/tmp"):
        return Where.TMP  # matching files in the shared temp dir, not the dir itself
    return where(root)


def find(argv: list[str], from_input: bool) -> list[Finding]:
    roots, expression, filtered = find_scope(argv)
    exec_rm = any(c.name in FIND_DELETERS for c in find_exec(Command(argv)))
    if "-delete" not in expression and not exec_rm:
        return []
    found = []
    for root in roots:
        place = _find_place(root, filtered)
        if filtered:
            level = (
                "high"
                if place in _HIGH_ANY
                else "low"
                if place in (_LOW | {Where.CWD})
                else "medium"
            )
            reason = f"deletes the files it matches under {root}"
        else:
            level, reason = delete_level(place, True), f"recursively deletes {place.value}"
        found.append(Finding(level, reason, (root,)))
        found.extend(deletes_place(root))
    return found


def every_file(root: str, filtered: bool, name: str, found: list[Finding]) -> list[Finding]:
    """`find ROOT -exec NAME … {} ;`: what NAME does to ROOT (`found`), done to every file
    under it. Harm to a place that a recursive rm there would make high is high."""
    risky = [f for f in found if f.level != "low"]
    place = _find_place(root, filtered)
    wide = _HIGH_ANY if filtered else _HIGH_RECURSIVE - {Where.CWD}
    if place in wide and any(root in f.touches for f in risky):
        reason = f"runs {name} on every file under {place.value}"
        return [Finding("high", reason, (root,)), *risky]
    return risky


def chmod(argv: list[str], from_input: bool) -> list[Finding]:
    name = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    if name == "chmod":  # `chmod -x f`: -x is a mode, not an option
        options = [
            a
            for a in args
            if a.startswith("--") or (a.startswith("-") and set(a[1:]) <= set("Rfvc"))
        ]
        operands = [a for a in args if a not in options]
        flags = " ".join(c for o in options for c in ([o] if o.startswith("--") else o[1:]))
    else:
        flags, operands = split_options(args)
    recursive = _has(flags, "R", "--recursive")
    setting, targets = operands[:1], operands[1:]
    what = "permissions" if name == "chmod" else "ownership"
    found = []
    for target in targets:
        place = where(target)
        if recursive and place in _HIGH_RECURSIVE - {Where.CWD}:
            found.append(Finding("high", f"recursively changes {what} of {place.value}", (target,)))
        elif place in _HIGH_ANY:
            found.append(Finding("medium", f"changes {what} of {place.value}", (target,)))
        elif name == "chmod" and setting and setting[0] in ("777", "666", "a+rwx", "o+w", "a+w"):
            found.append(Finding("medium", "makes files writable by everyone", (target,)))
    return found


def redirect_findings(destination: str, append: bool = False) -> list[Finding]:
    """Writing to a file through `>`, `>>` or tee."""
    if destination.startswith(("/dev/tcp/", "/dev/udp/")):
        return [Finding("medium", "connects to the network through /dev/tcp (a remote shell?)",
                        (destination,))]  # fmt: skip
    if not destination or is_harmless_device(destination) or destination.startswith("&"):
        return []  # "" is no file: the shell or the program refuses it
    from codeassist.safety.rules_exfil import place_write

    placed = place_write(destination, append)
    if placed and not is_disk(destination) and where(destination) not in _HIGH_ANY:
        return placed
    if is_disk(destination):
        return [Finding("high", "writes raw data to a disk device", (destination,))]
    place = where(destination)
    if place in _HIGH_ANY:
        level = "medium" if append else "high"
        verb = "appends to" if append else "overwrites"
        return [Finding(level, f"{verb} a system file", (destination,)), *placed]
    if place is Where.HOME_FILES and destination.rsplit("/", 1)[-1].startswith(".") and not append:
        return [Finding("medium", "overwrites a configuration file in your home", (destination,))]
    return [Finding("low", "writes to a file", (destination,))]


def tee(argv: list[str], from_input: bool) -> list[Finding]:
    flags, targets = split_options(argv[1:])
    append = _has(flags, "a", "--append")
    return [f for target in targets for f in redirect_findings(target, append)]


def dd(argv: list[str], from_input: bool) -> list[Finding]:
    targets = [a[3:] for a in argv[1:] if a.startswith("of=")]
    return [f for target in targets for f in redirect_findings(target)]


def move(argv: list[str], from_input: bool) -> list[Finding]:
    _, operands = split_options(argv[1:])
    if len(operands) < 2:
        return []
    sources, destination = operands[:-1], operands[-1]
    if destination == "/dev/null":
        return [Finding("high", "moves files to /dev/null: they are lost", tuple(sources))]
    if is_disk(destination):
        return [Finding("high", "writes over a disk device", (destination,))]
    from codeassist.safety.rules_exfil import place_write

    placed = place_write(destination, append=False)  # cp /dev/null ~/.bash_history
    if argv[0].endswith(("cp", "ln", "install")):
        emptied = any(s in ("/dev/null", "/dev/zero") for s in sources) and argv[0].endswith("cp")
        if emptied and not placed and not destination.endswith("/"):
            return [Finding("medium", "empties the file: what it held is lost", (destination,))]
        return placed
    wide = _HIGH_ANY | {Where.HOME, Where.USER_HOME}
    moved = [Finding("high", f"moves {where(s).value}", (s,)) for s in sources if where(s) in wide]
    return moved + placed


# downloaders' options that name the file they write: `curl -o FILE`, `wget -O FILE`
_OUTPUT_OPTIONS = {
    "curl": ("-o", "--output"), "wget": ("-O", "--output-document"), "http": ("-o", "--output"),
    "https": ("-o", "--output"), "xh": ("-o", "--output"), "aria2c": ("-o", "--out"),
}  # fmt: skip


def download_to(argv: list[str], from_input: bool) -> list[Finding]:
    """`curl -o ~/.ssh/authorized_keys URL`: a download written where a redirect would write."""
    return [f for file in downloaded_files(argv) for f in redirect_findings(file)]


def downloaded_files(argv: list[str]) -> list[str]:
    """The files a downloader's argv names for what it downloads (`-o FILE`; not `-o -`)."""
    options = _OUTPUT_OPTIONS.get(argv[0].rsplit("/", 1)[-1]) if argv else None
    if options is None:
        return []
    (short, long), args, files = options, argv[1:], []
    for i, arg in enumerate(args):
        cluster = arg[:1] == "-" and arg[1:2] != "-"
        if arg.startswith(long + "="):
            files.append(arg.split("=", 1)[1])
        elif cluster and arg.startswith(short) and len(arg) > 2:
            files.append(arg[2:])  # `-oFILE`, `-O-`
        elif (arg == long or cluster and arg.endswith(short[1])) and i + 1 < len(args):
            files.append(args[i + 1])  # `-o FILE`, `-sSLo FILE`
    return [file for file in files if file != "-"]


_WIDE_FOR_ANY = {Where.ROOT, Where.SYSTEM, Where.HOME, Where.USER_HOME, Where.PARENT}


def unknown_program(argv: list[str], from_input: bool) -> list[Finding]:
    """`$(…) -rf ~`, `$cmd /`: the program is known only when the line runs. On a place that a
    recursive rm there would make high, it is high: it may well be that rm."""
    places = tuple(a for a in argv[1:] if a and where(a) in _WIDE_FOR_ANY)  # "" is no place
    if places:
        reason = "runs a command known only when the line runs, on " + where(places[0]).value
        return [Finding("high", reason, places)]
    return [Finding("medium", "runs a command known only when the line runs: read it", ())]


_FORMATTERS = frozenset({"mke2fs", "mkswap", "wipefs", "sfdisk", "cfdisk", "fdisk", "gdisk",
                         "sgdisk", "parted", "blkdiscard", "mkdosfs"})  # fmt: skip


def mkfs(argv: list[str], from_input: bool) -> list[Finding]:
    flags, operands = split_options(argv[1:])
    if _has(flags, "l", "--list") or "print" in operands:
        return []
    disks = [op for op in operands if op.startswith("/dev/")]
    if disks:
        return [Finding("high", "formats or repartitions a disk: erases it", tuple(disks))]
    return [
        Finding("medium", "formats or repartitions a file (a disk image?)", tuple(operands[-1:]))
    ]


def power(argv: list[str], from_input: bool) -> list[Finding]:
    name, args = argv[0].rsplit("/", 1)[-1], argv[1:]
    if name == "shutdown" and "-c" in args:
        return []
    if name in ("init", "telinit") and not set(args) & {"0", "6"}:
        return []
    if name == "systemctl":
        action = next((a for a in args if not a.startswith("-")), "")
        if action in ("reboot", "poweroff", "halt", "kexec", "rescue", "emergency"):
            return [Finding("high", f"{action}s the machine", ())]
        if action in ("stop", "disable", "mask", "kill"):
            return [Finding("medium", f"{action}s a system service", tuple(args[-1:]))]
        return []
    return [Finding("high", "shuts down or restarts the machine", ())]


def kill(argv: list[str], from_input: bool) -> list[Finding]:
    args, pids = argv[1:], []
    i = 0
    if args[:1] and args[0] in ("-s", "-n"):
        i = 2
    elif args[:1] and args[0].startswith("-") and args[0] != "--":
        i = 1  # the signal, e.g. -9 or -KILL
    for arg in args[i:]:
        if arg != "--":
            pids.append(arg)
    if "-1" in pids:
        return [Finding("high", "kills every process you are allowed to kill", ("all processes",))]
    return []


def killall(argv: list[str], from_input: bool) -> list[Finding]:
    if argv[0].endswith("killall5"):
        return [Finding("high", "kills every process", ("all processes",))]
    return [
        Finding(
            "medium", "kills processes by name", tuple(a for a in argv[1:] if not a.startswith("-"))
        )
    ]


def crontab(argv: list[str], from_input: bool) -> list[Finding]:
    flags, operands = split_options(argv[1:], frozenset({"-u"}))
    if _has(flags, "r"):
        return [Finding("high", "deletes your crontab without asking", ("crontab",))]
    if operands and not _has(flags, "le"):
        return [Finding("medium", "replaces your whole crontab", ("crontab",))]
    return []


def su(argv: list[str], from_input: bool) -> list[Finding]:
    """`su` and `su -` open another user's shell (root's by default), as `sudo -s` does; with
    -c the command is judged instead (argv.shell_script)."""
    flags, operands = split_options(argv[1:], frozenset({"-c", "-s", "-g", "-G", "-w"}))
    if _has(flags, "c", "--command") or "--session-command" in flags:
        return []
    user = next((o for o in operands if o != "-"), "root")
    return [Finding("medium", f"opens a shell as {user} (su)", ())]


RULES: dict[str, Rule] = {
    "su": su,
    "rm": rm, "unlink": rm, "shred": shred, "find": find, "tee": tee, "dd": dd,
    "chmod": chmod, "chown": chmod, "chgrp": chmod, "mv": move, "cp": move, "ln": move,
    "shutdown": power, "reboot": power, "halt": power, "poweroff": power, "init": power,
    "telinit": power, "systemctl": power, "kill": kill, "killall": killall, "pkill": killall,
    "killall5": killall, "crontab": crontab, "git": git, "install": move,
    **dict.fromkeys(_FORMATTERS, mkfs), **dict.fromkeys(_OUTPUT_OPTIONS, download_to),
}  # fmt: skip


def rule_for(name: str) -> Rule | None:
    """Every rule for the program, as one (the themed tables of rules_*.py included)."""
    from codeassist.safety.rules_more import MORE

    first = mkfs if name.startswith("mkfs") else RULES.get(name)
    rules = [r for r in (first, *MORE.get(name, ())) if r is not None]
    if len(rules) <= 1:
        return rules[0] if rules else None
    return lambda argv, from_input: [f for rule in rules for f in rule(argv, from_input)]

"""Git rules: history rewriting, force pushes, discarding work."""

from __future__ import annotations

from codeassist.safety.risk import Finding

SHARED_BRANCHES = frozenset({"main", "master", "develop", "dev", "trunk", "production", "prod",
                             "stable", "staging"})  # fmt: skip
_GLOBAL_VALUES = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace"})


def is_shared(branch: str) -> bool:
    name = branch.removeprefix("refs/heads/").removeprefix("HEAD:")
    return name in SHARED_BRANCHES or name.startswith(("release", "hotfix"))


def git(argv: list[str], from_input: bool) -> list[Finding]:
    args = argv[1:]
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in _GLOBAL_VALUES else 1
    if i >= len(args):
        return []
    sub, rest = args[i], args[i + 1 :]
    rule = _SUBCOMMANDS.get(sub)
    return rule(rest) if rule else []


def _split(args: list[str]) -> tuple[set[str], list[str]]:
    """Options (short bundles expanded to single letters) and positionals."""
    options: set[str] = set()
    positionals: list[str] = []
    for arg in args:
        if arg.startswith("--"):
            options.add(arg.split("=", 1)[0])
        elif arg.startswith("-") and len(arg) > 1:
            options.update(f"-{c}" for c in arg[1:])
        else:
            positionals.append(arg)
    return options, positionals


def push(args: list[str]) -> list[Finding]:
    options, positionals = _split(args)
    remote, refspecs = positionals[:1], positionals[1:]
    targets = tuple(f"{remote[0] if remote else 'remote'} {r}" for r in refspecs) or tuple(remote)
    if options & {"--force", "-f"} or any(r.startswith("+") for r in refspecs):
        return [Finding("high", "force-pushes: overwrites history on the remote", targets)]
    if "--mirror" in options:
        return [Finding("high", "mirrors: overwrites and deletes every ref on the remote", targets)]
    found = []
    if options & {"--delete", "-d"} or any(r.startswith(":") for r in refspecs):
        found.append(Finding("medium", "deletes a branch on the remote", targets))
    if options & {"--force-with-lease", "--force-if-includes"}:
        branches = [r.lstrip("+").rsplit(":", 1)[-1] for r in refspecs]
        if not branches or any(is_shared(b) for b in branches):
            reason = "force-pushes (with lease) to a shared or unnamed branch"
            found.append(Finding("medium", reason, targets))
        else:
            found.append(Finding("low", "force-pushes with lease to a personal branch", targets))
    return found


def reset(args: list[str]) -> list[Finding]:
    options, positionals = _split(args[: args.index("--")] if "--" in args else args)
    if "--hard" in options:
        return [Finding("high", "git reset --hard discards uncommitted changes", ("working tree",))]
    if options & {"--keep", "--merge"}:
        return [Finding("medium", "moves the branch and may discard changes", ("working tree",))]
    moved = [p for p in positionals if "~" in p or "^" in p or "/" in p and "." not in p]
    if moved:
        return [Finding("medium", "moves the branch: rewrites local history", tuple(moved))]
    return []


def rebase(args: list[str]) -> list[Finding]:
    options, positionals = _split(args)
    if options & {"--abort", "--continue", "--skip", "--quit"}:
        return []
    if "--root" in options:
        return [Finding("high", "rewrites the whole history of the branch", ())]
    if len(positionals) >= 2 and is_shared(positionals[1]):
        branch = positionals[1]
        return [
            Finding("high", f"rebases the shared branch {branch}: rewrites its history", (branch,))
        ]
    return [Finding("medium", "rewrites the history of the current branch", ())]


def filter_branch(args: list[str]) -> list[Finding]:
    return [Finding("high", "rewrites the whole history of the repository", ("all branches",))]


def clean(args: list[str]) -> list[Finding]:
    options, _ = _split(args)
    if options & {"-n", "--dry-run"} or not options & {"-f", "--force"}:
        return []
    return [Finding("medium", "deletes untracked files for good", ("untracked files",))]


def discard(args: list[str]) -> list[Finding]:
    options, positionals = _split(args)
    forced = options & {"-f", "--force", "--discard-changes"}
    if forced or "." in positionals or "--" in args and "." in args:
        return [Finding("medium", "discards uncommitted changes", ("working tree",))]
    return []


def remove(args: list[str]) -> list[Finding]:
    """`git rm -f`, `git rm -r .`: tracked files deleted, changes not committed with them."""
    options, positionals = _split(args)
    if "--cached" in options or options & {"-n", "--dry-run"}:
        return []  # the files stay where they are
    if options & {"-f", "--force"}:
        reason = "deletes files even with changes not committed"
        return [Finding("medium", reason, ("working tree",))]
    if "-r" in options and any(p in (".", "*", ":/") for p in positionals):
        return [Finding("medium", "deletes every tracked file", ("working tree",))]
    return []


def branch(args: list[str]) -> list[Finding]:
    options, positionals = _split(args)
    if "-D" in options or {"--delete", "--force"} <= options:
        return [Finding("medium", "deletes a branch even if it is not merged", tuple(positionals))]
    return []


def stash(args: list[str]) -> list[Finding]:
    if args[:1] in (["clear"], ["drop"]):
        return [Finding("medium", "throws away stashed changes", ("stash",))]
    return []


def commit(args: list[str]) -> list[Finding]:
    if "--amend" in args:
        return [Finding("medium", "rewrites the last commit", ("HEAD",))]
    return []


_SUBCOMMANDS = {
    "push": push, "reset": reset, "rebase": rebase, "filter-branch": filter_branch,
    "filter-repo": filter_branch, "clean": clean, "checkout": discard, "restore": discard,
    "switch": discard, "rm": remove,
    "branch": branch, "stash": stash, "commit": commit,
}  # fmt: skip

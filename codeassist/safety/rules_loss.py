"""Irreversible loss beyond `rm`: backups and snapshots, databases, history, logs, synced trees.

Sources: GTFOBins, MITRE ATT&CK T1070 (indicator removal: clearing history and logs) and
T1485/T1490 (data destruction, inhibiting recovery: deleting snapshots and backups), and the
manuals of each tool. Table rows are (program, words, level, reason): see safety/words.py.
"""

from __future__ import annotations

from codeassist.safety.paths import Where, where
from codeassist.safety.places import Kind, kind_of
from codeassist.safety.risk import Finding
from codeassist.safety.words import Rule, WordRule, merge, table_rules

TABLE: tuple[WordRule, ...] = (
    # backups, snapshots, volumes (T1490)
    ("zfs", "destroy", "high", "destroys a ZFS dataset or snapshot and its data"),
    ("zpool", "destroy|labelclear", "high", "destroys a ZFS pool and all its data"),
    ("lvremove", "*", "high", "removes a logical volume and its data"),
    ("vgremove", "*", "high", "removes a volume group and its volumes"),
    ("pvremove", "*", "high", "wipes a physical volume's LVM label"),
    ("btrfs", "subvolume|sub delete|del*", "high", "deletes a btrfs subvolume or snapshot"),
    ("restic", "forget --prune", "high", "forgets backups and deletes their data"),
    ("restic", "prune", "high", "deletes backup data no snapshot keeps"),
    ("restic", "forget", "medium", "forgets backup snapshots (data goes at the next prune)"),
    ("borg", "delete", "high", "deletes a backup archive or repository"),
    ("borg", "prune", "high", "deletes backup archives outside the kept set"),
    ("tmutil", "delete*", "high", "deletes a Time Machine backup"),
    ("snapper", "delete", "high", "deletes file system snapshots"),
    ("timeshift", "--delete*", "high", "deletes system snapshots"),
    ("vssadmin", "delete", "high", "deletes shadow copies (backups)"),
    ("wbadmin", "delete", "high", "deletes backups"),
    # disks: encrypted, write-tested or erased by the drive itself (as mkfs and wipefs)
    (
        "cryptsetup",
        "luksFormat|erase|luksErase|reencrypt",
        "high",
        "formats or erases an encrypted disk: its data is gone",
    ),  # fmt: skip
    ("badblocks", "-w|-[!-]*w*", "high", "write-tests the disk: overwrites all of it"),
    (
        "hdparm",
        "--security-erase*|--trim-sector-ranges*|--write-sector|--make-bad-sector|--dco-restore",
        "high",
        "erases or overwrites the disk",
    ),  # fmt: skip
    ("nvme", "format|sanitize", "high", "erases the disk"),
    ("sg_format", "--format|-F", "high", "formats the disk: erases it"),
    # databases
    ("dropdb", "*", "high", "drops a PostgreSQL database and all its data"),
    ("dropuser", "*", "medium", "drops a PostgreSQL role"),
    ("mysqladmin", "drop", "high", "drops a MySQL database and all its data"),
    ("redis-cli", "flushall|flushdb", "high", "deletes every key in Redis"),
    ("redis-cli", "del|unlink", "medium", "deletes keys in Redis"),
    (
        "mongo",
        "*dropdatabase*|*.drop(*|*deletemany({})*|*remove({})*",
        "high",
        "drops a MongoDB database or collection",
    ),  # fmt: skip
    (
        "mongosh",
        "*dropdatabase*|*.drop(*|*deletemany({})*|*remove({})*",
        "high",
        "drops a MongoDB database or collection",
    ),  # fmt: skip
    # containers, clusters, clouds
    ("docker", "volume rm|prune", "high", "deletes Docker volumes and the data in them"),
    ("docker", "system prune --volumes", "high", "deletes Docker volumes and the data in them"),
    ("docker", "system prune", "medium", "deletes stopped containers and unused images"),
    ("podman", "volume rm|prune", "high", "deletes Podman volumes and the data in them"),
    ("podman", "system reset|prune", "high", "deletes Podman containers, images and volumes"),
    (
        "kubectl",
        "delete namespace|namespaces|ns|--all|-A|--all-namespaces",
        "high",
        "deletes a whole namespace or every resource of a kind",
    ),  # fmt: skip
    ("kubectl", "delete", "medium", "deletes cluster resources"),
    ("helm", "uninstall|delete", "medium", "uninstalls a release and its resources"),
    ("terraform", "destroy", "high", "destroys every resource of the configuration"),
    ("terraform", "apply -auto-approve|--auto-approve", "medium", "applies changes unreviewed"),
    ("aws", "s3 rb --force", "high", "deletes a bucket and every object in it"),
    ("aws", "s3 rm --recursive", "high", "deletes every object under the prefix"),
    ("aws", "delete-*", "medium", "deletes a cloud resource"),
    ("gsutil", "rm -r|-a|rb", "high", "deletes buckets or objects recursively"),
    ("gcloud", "delete", "medium", "deletes a cloud resource"),
    # history and logs (T1070)
    ("history", "-c|-d*", "medium", "erases your shell history"),
    ("set", "+o history", "medium", "stops saving your shell history"),
    ("shopt", "-uo|-ou history", "medium", "stops saving your shell history"),
    ("shopt", "-u -o history", "medium", "stops saving your shell history"),
    ("journalctl", "--vacuum-*", "medium", "deletes system journal entries for good"),
    ("logrotate", "-f|--force", "low", "rotates logs now"),
    ("wevtutil", "cl|clear-log", "high", "clears a Windows event log"),
    ("auditctl", "-D|-e", "high", "deletes audit rules or turns auditing off"),
)


def truncate(argv: list[str], from_input: bool) -> list[Finding]:
    from codeassist.safety.rules import split_options

    _, targets = split_options(argv[1:], frozenset({"-s", "-r"}))
    targets = [t for t in targets if t not in _size_values(argv)]
    return [_empties(t) for t in targets]


def _size_values(argv: list[str]) -> set[str]:
    return {argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-s", "--size", "-r")}


def _empties(target: str) -> Finding:
    kind = kind_of(target)
    if kind in (Kind.LOG, Kind.HISTORY, Kind.ACCOUNTS, Kind.SUDOERS, Kind.SECRET):
        return Finding("high", f"empties {kind.value}", (target,))
    if where(target) in (Where.SYSTEM, Where.ROOT):
        return Finding("high", "empties a system file", (target,))
    return Finding("medium", "cuts the file short: what is cut is lost", (target,))


_WIDE = frozenset({Where.ROOT, Where.SYSTEM, Where.HOME, Where.USER_HOME, Where.PARENT})


def rsync(argv: list[str], from_input: bool) -> list[Finding]:
    from codeassist.safety.places import is_secret

    args = argv[1:]
    operands = [a for a in args if not a.startswith("-")]
    found = []
    if len(operands) >= 2 and ":" in operands[-1] and any(is_secret(s) for s in operands[:-1]):
        found.append(Finding("high", "copies a secret to another machine", tuple(operands)))
    if any(a.startswith("--delete") or a in ("--remove-source-files",) for a in args):
        target = operands[-1] if operands else ""
        wide = where(target) in _WIDE
        reason = "deletes files at the destination that the source lacks"
        found.append(Finding("high" if wide else "medium", reason, (target,)))
    return found


def sql_client(argv: list[str], from_input: bool) -> list[Finding]:
    """psql -c, mysql -e, sqlite3 DB "SQL": the SQL is judged as SQL."""
    from codeassist.safety.sql import findings

    name = argv[0].rsplit("/", 1)[-1]
    dialect = {"psql": "postgres", "sqlite3": "sqlite"}.get(name, "mysql")
    texts = []
    for i, arg in enumerate(argv[1:-1], start=1):
        if arg in ("-c", "--command", "-e", "--execute", "-cmd") or (
            arg[:1] == "-" and arg[1:].isalpha() and arg[-1] in "ce" and name != "sqlite3"
        ):
            texts.append(argv[i + 1])
    texts += [a.split("=", 1)[1] for a in argv if a.startswith(("--command=", "--execute="))]
    if name == "sqlite3":
        operands = [a for a in argv[1:] if not a.startswith("-")]
        texts += operands[1:]
    sql = [t for t in texts if t.strip() and not t.lstrip().startswith(("\\", "."))]
    return [f for text in sql for f in findings(text, dialect) if f.level != "low"]


RULES: dict[str, list[Rule]] = merge(
    table_rules(TABLE),
    {"truncate": [truncate], "rsync": [rsync]},
    {name: [sql_client] for name in ("psql", "mysql", "mariadb", "sqlite3")},
)

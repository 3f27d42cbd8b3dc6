"""Security weakened: privileges, firewalls, mandatory access control, disabled TLS and signatures.

Sources: MITRE ATT&CK T1548 (setuid), T1098 (account manipulation), T1562 (impair defenses:
firewall, SELinux, audit), OWASP's transport-security guidance (never turn verification off),
GTFOBins for what setuid shells allow. Table rows: see safety/words.py.
"""

from __future__ import annotations

import re

from codeassist.safety.risk import Finding
from codeassist.safety.words import Rule, WordRule, merge, table_rules

ADMIN_GROUPS = frozenset({"sudo", "wheel", "admin", "root", "docker", "lxd", "disk", "adm",
                          "shadow", "libvirt"})  # fmt: skip
SECURITY_SERVICES = frozenset({"ufw", "firewalld", "iptables", "nftables", "apparmor", "auditd",
                               "fail2ban", "selinux", "clamav-daemon", "crowdstrike",
                               "falcon-sensor", "osqueryd", "wazuh-agent"})  # fmt: skip

TABLE: tuple[WordRule, ...] = (
    ("ufw", "disable|reset", "high", "turns the firewall off"),
    ("ufw", "default allow", "high", "makes the firewall allow everything"),
    ("iptables", "-F|--flush|-X", "high", "flushes the firewall rules"),
    ("iptables", "-P|--policy accept", "high", "makes the firewall accept everything"),
    ("ip6tables", "-F|--flush|-X", "high", "flushes the firewall rules"),
    ("ip6tables", "-P|--policy accept", "high", "makes the firewall accept everything"),
    ("nft", "flush ruleset", "high", "deletes every firewall rule"),
    (
        "firewall-cmd",
        "--panic-off|--set-default-zone=trusted|trusted",
        "high",
        "opens the firewall",
    ),  # fmt: skip
    ("setenforce", "0|permissive", "high", "turns SELinux enforcement off"),
    ("aa-teardown", "", "high", "unloads every AppArmor profile"),
    ("passwd", "-d|--delete", "high", "removes the password: the account opens without one"),
    ("passwd", "-u|--unlock", "medium", "unlocks an account"),
    ("visudo", "", "medium", "edits who may use sudo"),
    ("chattr", "-i", "medium", "removes the immutable flag that protects a file"),
    ("csrutil", "disable", "high", "turns macOS System Integrity Protection off"),
    ("spctl", "--master-disable|--global-disable", "high", "turns Gatekeeper off"),
    ("pip", "--trusted-host", "medium", "installs without verifying the host (TLS off)"),
    ("pip3", "--trusted-host", "medium", "installs without verifying the host (TLS off)"),
    (
        "apt",
        "--allow-unauthenticated|--allow-insecure-repositories|--allow-downgrades",
        "medium",
        "installs packages without verifying their signatures",
    ),  # fmt: skip
    (
        "apt-get",
        "--allow-unauthenticated|--allow-insecure-repositories|*allowinsecure*",
        "medium",
        "installs packages without verifying their signatures",
    ),  # fmt: skip
    ("dnf", "--nogpgcheck|--no-gpgchecks", "medium", "installs packages without signature checks"),
    ("yum", "--nogpgcheck", "medium", "installs packages without signature checks"),
    ("rpm", "--nosignature|--nodigest", "medium", "installs packages without signature checks"),
    ("npm", "strict-ssl false", "medium", "turns TLS verification off for npm"),
    ("yarn", "strict-ssl false", "medium", "turns TLS verification off for yarn"),
    ("wget", "--no-check-certificate", "medium", "downloads without verifying TLS certificates"),
    ("kubectl", "--insecure-skip-tls-verify*", "medium", "talks to the cluster without TLS checks"),
    ("helm", "--insecure-skip-tls-verify", "medium", "talks to the server without TLS checks"),
    ("ssh", "stricthostkeychecking=no", "medium", "trusts any host key (no MITM protection)"),
    ("scp", "stricthostkeychecking=no", "medium", "trusts any host key (no MITM protection)"),
)


def curl(argv: list[str], from_input: bool) -> list[Finding]:
    args = argv[1:]
    if "-k" in args or "--insecure" in args or any(re.fullmatch(r"-[a-zA-Z]*k", a) for a in args):
        return [Finding("medium", "downloads without verifying TLS certificates", ())]
    return []


def chmod_special(argv: list[str], from_input: bool) -> list[Finding]:
    """setuid/setgid bits: a program that runs as its owner (root) for anyone."""
    from codeassist.safety.paths import Where, where

    args = [a for a in argv[1:] if not re.fullmatch(r"-[Rfvc]+|--\S+", a)]
    if len(args) < 2:
        return []
    mode, targets = args[0], args[1:]
    exposed = [t for t in targets if _opens_to_others(mode) and is_private(t)]
    if exposed:
        return [Finding("high", "lets other users read or change a key or account file",
                        tuple(exposed))]  # fmt: skip
    special = re.fullmatch(r"[0-7]?[4-7][0-7]{3}", mode) or re.search(r"[ug]*\+[rwx]*s", mode)
    if not special or re.fullmatch(r"0?[0-3][0-7]{3}", mode):
        return []
    system = any(where(t) in (Where.SYSTEM, Where.ROOT) for t in targets)
    shells = any(t.rsplit("/", 1)[-1] in ("bash", "sh", "dash", "zsh", "python3") for t in targets)
    level = "high" if system or shells else "medium"
    return [Finding(level, "sets setuid/setgid: the program runs with its owner's rights",
                    tuple(targets))]  # fmt: skip


def _opens_to_others(mode: str) -> bool:
    if re.fullmatch(r"[0-7]{3,4}", mode):
        return mode[-1] != "0"  # other users may read or write
    return bool(re.search(r"[ugo]*[oa][ugo]*\+[rwx]|^\+[rw]", mode))


def is_private(path: str) -> bool:
    from codeassist.safety.places import Kind, kind_of

    kinds = (Kind.SECRET, Kind.ACCOUNTS, Kind.SUDOERS, Kind.AUTHORIZED_KEYS)
    return path != "/etc/passwd" and kind_of(path) in kinds  # /etc/passwd is public


def groups(argv: list[str], from_input: bool) -> list[Finding]:
    """usermod -aG sudo, gpasswd -a user wheel, adduser user docker: admin rights."""
    name, args = argv[0].rsplit("/", 1)[-1], argv[1:]
    named: set[str] = set()
    for i, arg in enumerate(args):
        if name == "usermod" and re.fullmatch(r"-[a-zA-Z]*G|--groups|--append-groups?", arg):
            named.update(args[i + 1].split(",") if i + 1 < len(args) else [])
        elif name in ("gpasswd", "adduser", "addgroup") and not arg.startswith("-"):
            named.add(arg)
        elif name == "dseditgroup" and arg == "-g" or name == "net" and arg == "localgroup":
            named.update(args[i + 1 : i + 2])
    admin = sorted(named & ADMIN_GROUPS)
    if admin and not (name == "gpasswd" and "-d" in args):
        return [Finding("high", f"gives administrator rights (group {', '.join(admin)})", ())]
    return []


def sed_in_place(argv: list[str], from_input: bool) -> list[Finding]:
    """`sed -i … /etc/ssh/sshd_config`: a system or account file edited where it lies."""
    from codeassist.safety.paths import Where, where
    from codeassist.safety.places import Kind, kind_of

    args = argv[1:]
    if not any(a.startswith("-i") or a.startswith("--in-place") for a in args):
        return []
    scripted = any(a in ("-e", "-f", "--expression", "--file") for a in args)
    operands = [
        a
        for i, a in enumerate(args)
        if not a.startswith("-")
        and (i == 0 or args[i - 1] not in ("-e", "-f", "--expression", "--file"))
    ]
    files = operands if scripted else operands[1:]
    found = []
    for target in files:
        kind = kind_of(target)
        if kind in (Kind.SUDOERS, Kind.ACCOUNTS, Kind.AUTHORIZED_KEYS, Kind.SCHEDULED):
            found.append(Finding("high", f"edits {kind.value} in place", (target,)))
        elif where(target) in (Where.SYSTEM, Where.ROOT) or kind is not None:
            found.append(Finding("medium", "edits a system or startup file in place", (target,)))
    return found  # fmt: skip


def git_verification(argv: list[str], from_input: bool) -> list[Finding]:
    joined = " ".join(argv[1:]).lower()
    if re.search(r"http\.sslverify[= ](false|0|no|off)", joined):
        return [Finding("medium", "turns TLS verification off for git", ())]
    if re.search(r"\breflog expire\b.*--expire(-unreachable)?=(now|all|0)", joined):
        return [Finding("high", "expires the reflog: lost commits can no longer be recovered", ())]
    if re.search(r"\bgc\b.*--prune=(now|all)", joined):
        return [Finding("medium", "deletes unreachable commits for good", ())]
    if re.search(r"\bupdate-ref -d\b", joined):
        return [Finding("medium", "deletes a ref", ())]
    return []


def services(argv: list[str], from_input: bool) -> list[Finding]:
    """Security services stopped; anything enabled to start at boot (persistence)."""
    args = [a for a in argv[1:] if not a.startswith("-")]
    action, units = (args[0], args[1:]) if args else ("", [])
    if argv[0].endswith("service") and len(args) >= 2:
        action, units = args[1], args[:1]
    names = {u.removesuffix(".service") for u in units}
    if action in ("stop", "disable", "mask", "kill") and names & SECURITY_SERVICES:
        return [Finding("high", "stops a firewall or security service", tuple(sorted(names)))]
    if action == "enable" or action == "link":
        return [Finding("medium", "makes a service start at every boot", tuple(units))]
    return []


ENVIRONMENT: dict[str, tuple[str, str, str]] = {
    # name: (values that matter, "" = any; level; reason)
    "GIT_SSL_NO_VERIFY": ("", "medium", "turns TLS verification off for git"),
    "NODE_TLS_REJECT_UNAUTHORIZED": ("0", "medium", "turns TLS verification off for node"),
    "PYTHONHTTPSVERIFY": ("0", "medium", "turns TLS verification off for Python"),
    "CURL_CA_BUNDLE": ("''", "medium", "turns TLS verification off for requests"),
    "REQUESTS_CA_BUNDLE": ("''", "medium", "turns TLS verification off for requests"),
    "HISTFILE": ("/dev/null ''", "medium", "stops saving your shell history"),
    "HISTSIZE": ("0 ''", "medium", "stops keeping your shell history"),
    "HISTFILESIZE": ("0 ''", "medium", "erases your shell history file"),
    "HISTIGNORE": ("*", "medium", "stops saving commands to your shell history"),
    "LD_PRELOAD": ("", "medium", "loads a library into every program run"),
}


def assignment(name: str, value: str | None) -> list[Finding]:
    """`NAME=value` or `export NAME=value`; value None: `unset NAME`."""
    rule = ENVIRONMENT.get(name)
    if rule is None:
        return []
    values, level, reason = rule
    if value is None:
        return [Finding(level, reason, (name,))] if name.startswith("HIST") else []
    wanted = values.split()
    shown = value or "''"
    if not wanted or shown in wanted:
        return [Finding(level, reason, (name,))]
    return []


RULES: dict[str, list[Rule]] = merge(
    table_rules(TABLE),
    {"curl": [curl], "chmod": [chmod_special], "git": [git_verification], "sed": [sed_in_place]},
    {name: [groups] for name in ("usermod", "gpasswd", "adduser", "addgroup", "dseditgroup")},
    {"systemctl": [services], "service": [services]},
)

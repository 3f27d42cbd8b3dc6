"""Files whose loss or leak matters more than their path alone says: keys, history, logs, rc files.

A table of path patterns (fnmatch, with `~` standing for the home directory however it is
written) to the kind of file; the rules decide what reading, sending or writing each means.
"""

from __future__ import annotations

import re
from enum import Enum
from fnmatch import fnmatchcase

from codeassist.safety.paths import normalise


class Kind(Enum):
    SECRET = "a secret (keys, tokens, credentials)"
    AUTHORIZED_KEYS = "the keys allowed to log in"
    SUDOERS = "who may use sudo"
    ACCOUNTS = "the system's accounts and password hashes"
    HISTORY = "your shell history"
    LOG = "a system log"
    SHELL_RC = "a shell startup file"
    SCHEDULED = "a system schedule (cron, systemd, launchd)"
    SSH_COMMANDS = "a file through which ssh runs commands (~/.ssh/rc, config)"
    REPOSITORY = "the repository's history (.git)"


_PLACES: tuple[tuple[str, Kind], ...] = (
    ("~/.ssh/authorized_keys*", Kind.AUTHORIZED_KEYS),
    ("/root/.ssh/authorized_keys*", Kind.AUTHORIZED_KEYS),
    ("/etc/ssh/*authorized*", Kind.AUTHORIZED_KEYS),
    ("~/.ssh/id_*", Kind.SECRET),
    ("~/.ssh/*.pem", Kind.SECRET),
    ("~/.ssh/rc", Kind.SSH_COMMANDS),
    ("~/.ssh/config", Kind.SSH_COMMANDS),
    ("~/.ssh/environment", Kind.SSH_COMMANDS),
    ("~/.ssh", Kind.SECRET),
    ("/etc/ssh/ssh_host_*key", Kind.SECRET),
    ("~/.aws/credentials", Kind.SECRET),
    ("~/.aws", Kind.SECRET),
    ("~/.config/gcloud*", Kind.SECRET),
    ("~/.azure*", Kind.SECRET),
    ("~/.kube/config", Kind.SECRET),
    ("~/.docker/config.json", Kind.SECRET),
    ("~/.netrc", Kind.SECRET),
    ("~/.pgpass", Kind.SECRET),
    ("~/.my.cnf", Kind.SECRET),
    ("~/.git-credentials", Kind.SECRET),
    ("~/.gnupg*", Kind.SECRET),
    ("~/.password-store*", Kind.SECRET),
    ("~/.config/gh/hosts.yml", Kind.SECRET),
    ("~/.npmrc", Kind.SECRET),
    ("~/.pypirc", Kind.SECRET),
    ("*.env", Kind.SECRET),
    (".env", Kind.SECRET),
    ("*/.env", Kind.SECRET),
    ("*id_rsa", Kind.SECRET),
    ("*id_ed25519", Kind.SECRET),
    ("*id_ecdsa", Kind.SECRET),
    ("*.pem", Kind.SECRET),
    ("*.key", Kind.SECRET),
    ("*.p12", Kind.SECRET),
    ("*.pfx", Kind.SECRET),
    ("*.kdbx", Kind.SECRET),
    ("/etc/shadow*", Kind.ACCOUNTS),
    ("/etc/gshadow*", Kind.ACCOUNTS),
    ("/etc/passwd", Kind.ACCOUNTS),
    ("/etc/sudoers", Kind.SUDOERS),
    ("/etc/sudoers.d*", Kind.SUDOERS),
    ("~/.bash_history", Kind.HISTORY),
    ("~/.zsh_history", Kind.HISTORY),
    ("~/.history", Kind.HISTORY),
    ("~/.local/share/fish/fish_history", Kind.HISTORY),
    ("~/.python_history", Kind.HISTORY),
    ("~/.psql_history", Kind.HISTORY),
    ("~/.mysql_history", Kind.HISTORY),
    ("~/.sqlite_history", Kind.HISTORY),
    ("$HISTFILE", Kind.HISTORY),
    ("/var/log*", Kind.LOG),
    ("/var/adm*", Kind.LOG),
    ("/var/audit*", Kind.LOG),
    ("~/.bashrc", Kind.SHELL_RC),
    ("~/.bash_profile", Kind.SHELL_RC),
    ("~/.bash_login", Kind.SHELL_RC),
    ("~/.profile", Kind.SHELL_RC),
    ("~/.zshrc", Kind.SHELL_RC),
    ("~/.zprofile", Kind.SHELL_RC),
    ("~/.zshenv", Kind.SHELL_RC),
    ("~/.config/fish/config.fish", Kind.SHELL_RC),
    ("/etc/profile*", Kind.SHELL_RC),
    ("/etc/bash.bashrc", Kind.SHELL_RC),
    ("/etc/zsh/*", Kind.SHELL_RC),
    ("/etc/environment", Kind.SHELL_RC),
    ("/etc/ld.so.preload", Kind.SHELL_RC),
    ("/etc/cron*", Kind.SCHEDULED),
    ("/var/spool/cron*", Kind.SCHEDULED),
    ("/etc/systemd/system/*", Kind.SCHEDULED),
    ("~/.config/systemd/user/*", Kind.SCHEDULED),
    ("~/Library/LaunchAgents/*", Kind.SCHEDULED),
    ("/Library/LaunchDaemons/*", Kind.SCHEDULED),
    ("/Library/LaunchAgents/*", Kind.SCHEDULED),
    ("/etc/rc.local", Kind.SCHEDULED),
    (".git", Kind.REPOSITORY),
    ("*/.git", Kind.REPOSITORY),
)
_HOME_WORDS = r"~|\$HOME|\$\{HOME(:?[-?=][^}]*)?\}"  # ${HOME:?} and ${HOME:-x} too
_HOME = re.compile(rf"^({_HOME_WORDS}|/home/[^/]+|/Users/[^/]+|/root)(?=/|$)")


def kind_of(path: str) -> Kind | None:
    """What kind of important file the path names, if any."""
    normal = _HOME.sub("~", path.strip("'\"")).replace("//", "/")
    normal = normalise(normal).rstrip("/") or "/"  # ~/.ssh/./x and ~/.ssh/../.ssh/x are ~/.ssh/x
    if normal.endswith(".pub"):
        return None  # a public key is meant to be shared
    for pattern, kind in _PLACES:
        if fnmatchcase(normal, pattern):
            return kind
    return None


def is_secret(path: str) -> bool:
    return kind_of(path) in (Kind.SECRET, Kind.ACCOUNTS, Kind.AUTHORIZED_KEYS)

#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian/Ubuntu machine, then run it all.
#   - system packages: real shells (bash, zsh, fish) driven through tmux, PostgreSQL, SQLite, git,
#     gawk (its programs are parsed in the sandbox: tested, not skipped)
#   - a virtual environment in .venv with codeassist and its test tools
#   - the small real model (smollm2-135m) is installed by the tests' own fixture
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(git tmux zsh fish sqlite3 postgresql build-essential cmake man-db manpages gawk)
SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "installing system packages: ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Minimal Debian/Ubuntu images leave man pages out (a dpkg path-exclude, Ubuntu's man stub);
# `codeassist explain` and the shell.flags check are tested against the real pages.
if grep -qs '^path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
    $SUDO sed -i '\|^path-exclude=/usr/share/man|d' /etc/dpkg/dpkg.cfg.d/*
fi
if dpkg-divert --list /usr/bin/man 2>/dev/null | grep -q man.REAL; then
    $SUDO rm -f /usr/bin/man && $SUDO dpkg-divert --quiet --remove --rename /usr/bin/man
fi
if [ ! -e /usr/share/man/man1/du.1.gz ] || [ ! -e /usr/share/man/man1/git-log.1.gz ]; then
    echo "reinstalling packages for their man pages" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --reinstall --no-install-recommends \
        coreutils findutils grep tar git git-man man-db >/dev/null
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# llama-cpp-python compiles from source the first time (about 9 minutes on 2 cores); pip caches it.
.venv/bin/python -m pip install -q -e ".[test,postgres]"

.venv/bin/ruff check codeassist tests benchmarks
.venv/bin/mypy  # strict, on the package (pyproject.toml [tool.mypy])
.venv/bin/python -m pytest "$@"

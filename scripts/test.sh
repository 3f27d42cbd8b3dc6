#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian/Ubuntu machine, then run it all.
#   - system packages: real shells (bash, zsh, fish) driven through tmux, PostgreSQL, SQLite, git
#   - a virtual environment in .venv with codeassist and its test tools
#   - the small real model (smollm2-135m) is installed by the tests' own fixture
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(git tmux zsh fish sqlite3 postgresql build-essential cmake)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "installing system packages: ${missing[*]}" >&2
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# llama-cpp-python compiles from source the first time (about 9 minutes on 2 cores); pip caches it.
.venv/bin/python -m pip install -q -e ".[test,postgres]"

.venv/bin/ruff check codeassist tests benchmarks
.venv/bin/mypy  # strict, on the package (pyproject.toml [tool.mypy])
.venv/bin/python -m pytest "$@"

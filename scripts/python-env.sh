# Sourced by scripts/mnist and scripts/test: sets PYTHON to the interpreter to install into and run with.
#
# Inside a virtual environment (or a conda environment) that environment is used.  Otherwise the
# project's own virtual environment .venv is created (once) and used: a system Python may refuse
# `pip install` outright (PEP 668: Debian 12, Ubuntu 23.04 and later), and installing into it
# would mix our packages with the system's anyway.

# install_package PACKAGE WHY: install a Debian package with apt (as root, or with sudo), or say what to install.
# One line says what is installed and why; apt's own output is shown only when it fails.
install_package() {
    local sudo=
    if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && sudo=sudo; }; }; then
        echo "$(basename "$0"): installing $1 with apt: $2"
        local log
        log=$(mktemp)
        if ! { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1"; } >"$log" 2>&1; then
            cat "$log" >&2
            rm -f "$log"
            echo "$(basename "$0"): apt could not install $1 (its output is above)" >&2
            exit 1
        fi
        rm -f "$log"
    else
        echo "$(basename "$0"): $2: install $1 (brew, apt, ...)" >&2
        exit 1
    fi
}

# need_package PROGRAM-OR-FOLDER PACKAGE WHAT-FOR: install a package when its program (or folder) is missing.
need_package() {
    command -v "$1" >/dev/null 2>&1 && return
    [ -e "$1" ] && return          # a folder or a file a package installs
    install_package "$2" "'$1' is missing ($3)"
}

BASE_PYTHON=${BASE_PYTHON:-python3}
command -v "$BASE_PYTHON" >/dev/null 2>&1 || { echo "$(basename "$0"): $BASE_PYTHON not found: install Python 3.10 or newer" >&2; exit 1; }

if [ -n "${VIRTUAL_ENV:-}" ] || [ -n "${CONDA_PREFIX:-}" ] \
        || [ "$("$BASE_PYTHON" -c 'import sys; print(sys.prefix != sys.base_prefix)')" = True ]; then
    PYTHON=$BASE_PYTHON
elif .venv/bin/python -c '' >/dev/null 2>&1; then
    echo "$(basename "$0"): using the project's virtual environment .venv"
    PYTHON=.venv/bin/python
else
    echo "$(basename "$0"): creating the project's virtual environment .venv (not inside one; packages go there, not into the system Python)"
    rm -rf .venv
    if ! "$BASE_PYTHON" -m venv .venv >/dev/null 2>&1; then
        # Debian and Ubuntu ship venv's pip bootstrap separately, as python3-venv.
        rm -rf .venv
        install_package python3-venv "$BASE_PYTHON -m venv cannot create .venv"
        "$BASE_PYTHON" -m venv .venv
    fi
    PYTHON=.venv/bin/python
fi
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

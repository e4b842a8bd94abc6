#!/usr/bin/env bash
# Installs wrk from the OS packages when it is missing; exits non-zero when it cannot,
# and the HTTP benchmark then uses its Python load generator instead.
set -euo pipefail
if command -v wrk >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_wrk: no apt-get here; install wrk with your package manager" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install_wrk: not root and no password-less sudo; install wrk yourself" >&2
        exit 1
    fi
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk
command -v wrk >/dev/null 2>&1

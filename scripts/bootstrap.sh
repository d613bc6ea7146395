#!/usr/bin/env bash
# Idempotent setup for a fresh Debian machine with Python 3.11:
#   .venv with `pip install -e '.[test]'` (redone only when pyproject.toml changes),
#   then a RabbitMQ check that starts/installs the broker and its management plugin.
# The document store needs no setup: yinfa starts nx-27017 itself when MONGO_URI is unset.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

say() { echo "bootstrap: $*" >&2; }
die() { echo "bootstrap: $*" >&2; exit 1; }

# Two scripts bootstrapping at once (tests + demo) must not both build the venv.
if command -v flock >/dev/null; then
    exec 9>"${TMPDIR:-/tmp}/yinfa-bootstrap-$(printf '%s' "$root" | cksum | cut -d' ' -f1).lock"
    flock 9
fi

python=""
for candidate in "${PYTHON:-}" python3.11 python3; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null \
        && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
        python=$candidate
        break
    fi
done
[ -n "$python" ] || die "Python 3.11 is required (apt-get install python3.11, or set PYTHON=/path/to/python3.11)"

if [ ! -x .venv/bin/python ]; then
    # Debian ships venv without ensurepip unless python3-venv is installed.
    if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            say "installing python3-venv"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null \
                || { apt-get update -q >/dev/null \
                     && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null; }
        else
            die "'$python -m venv' does not work: run 'sudo apt-get install python3-venv'"
        fi
    fi
    say "creating .venv"
    "$python" -m venv .venv
fi

stamp=.venv/.yinfa-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    say "installing yinfa and its test tools into .venv"
    .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
    echo "$want" > "$stamp"
fi
# nameko's CLI imports pkg_resources, which setuptools removed in 81.
if ! .venv/bin/python -c 'import pkg_resources' 2>/dev/null; then
    say "installing setuptools<81 (nameko needs pkg_resources)"
    .venv/bin/python -m pip install -q --disable-pip-version-check 'setuptools<81'
fi

# The certificate PDF embeds HanaMin (Debian's fonts-hanazono), which covers GB 18030's
# Extension B; the gateway answers 503 for a certificate PDF without it.
if [ ! -f /usr/share/fonts/truetype/hanazono/HanaMinB.ttf ] && [ "$(id -u)" = 0 ] \
    && command -v apt-get >/dev/null; then
    say "installing fonts-hanazono (the certificates' font)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-hanazono >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 \
             && DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-hanazono >/dev/null 2>&1; } \
        || say "fonts-hanazono could not be installed: certificate PDFs will be refused"
fi
bash scripts/dashboard.sh     # the dashboard's static files, rebuilt when its sources change
bash scripts/compose-env.sh   # .env for docker-compose: random secrets, made once
.venv/bin/python -m yinfa.infra.check

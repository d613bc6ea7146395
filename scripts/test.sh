#!/usr/bin/env bash
# Lint (ruff, mypy, and lint-imports for the layers in pyproject.toml), then the whole test
# suite under `nameko test` (eventlet-patched pytest).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k store -x`.
# The exit code is pytest's (5 = no tests collected), or the linter's if only lint failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/bootstrap.sh
# The deploy checks validate the compose files with Debian's docker-compose (offline);
# without it they are skipped with the reason.
if ! command -v docker-compose >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: installing docker-compose for the offline compose checks" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose >/dev/null 2>&1 \
        || echo "test.sh: docker-compose could not be installed; its checks are skipped" >&2
fi
# The certificate tests read the PDFs back with poppler (pdffonts, pdftotext, pdftoppm).
if ! command -v pdffonts >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: installing poppler-utils for the certificate checks" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q poppler-utils >/dev/null 2>&1 \
        || echo "test.sh: poppler-utils could not be installed; its checks are skipped" >&2
fi
# The browser tests drive Debian's chromium with Playwright (no browser download); without
# it they are skipped with the reason.
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: installing chromium for the dashboard's browser tests" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 \
             && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } \
        || echo "test.sh: chromium could not be installed; the browser tests are skipped" >&2
fi
# Assign first so a failing check stops us (`eval "$(cmd)"` would hide its status).
exports=$(.venv/bin/python -m yinfa.infra.check --export)
eval "$exports"

lint=0
.venv/bin/ruff check . || lint=$?
.venv/bin/mypy || lint=$?
.venv/bin/lint-imports || lint=$?

# Run all of tests/ unless the arguments already name test paths (file, dir or node id).
targets=(tests)
for arg in "$@"; do
    case $arg in -*) ;; *) [ -e "${arg%%::*}" ] && targets=() ;; esac
done

tests=0
.venv/bin/nameko test "${targets[@]}" --amqp-uri "$AMQP_URI" --rabbit-ctl-uri "$RABBIT_CTL_URI" \
    -q --durations=20 "$@" || tests=$?

if [ "$lint" != 0 ] && { [ "$tests" = 0 ] || [ "$tests" = 5 ]; }; then
    echo "test.sh: lint (ruff, mypy or lint-imports) failed" >&2
    exit "$lint"
fi
exit "$tests"

#!/usr/bin/env bash
# Lint (ruff, mypy, and lint-imports for the layers in pyproject.toml) and the whole test
# suite under `nameko test` (eventlet-patched pytest): the linters and tests/unit run beside
# the rest, whose tests mostly wait on services.
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

# Run all of tests/ unless the arguments already name test paths (file, dir or node id).
whole=1
for arg in "$@"; do
    case $arg in -*) ;; *) [ -e "${arg%%::*}" ] && whole=0 ;; esac
done
nameko_test() {
    .venv/bin/nameko test "$@" --amqp-uri "$AMQP_URI" --rabbit-ctl-uri "$RABBIT_CTL_URI" -q
}
# pytest's 5 ("nothing collected") counts only when no part ran anything
combined() {
    local first=$1 second=$2
    if [ "$first" = 5 ]; then echo "$second"; elif [ "$second" = 5 ] || [ "$second" = 0 ]; then
        echo "$first"; else echo "$second"; fi
}

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
# The linters and the unit tests (pure: no broker, no store) use the CPU that the
# integration tests, mostly waiting on services, leave idle: they run beside them.
( lint=0
  .venv/bin/ruff check . || lint=$?
  .venv/bin/mypy || lint=$?
  .venv/bin/lint-imports || lint=$?
  exit "$lint" ) >"$logs/lint" 2>&1 &
lint_job=$!

tests=0
if [ "$whole" = 1 ]; then
    # its own temporary folder and no cache: nothing shared with the other run
    nameko_test tests/unit -p no:cacheprovider --basetemp="$logs/unit-tmp" "$@" \
        >"$logs/unit" 2>&1 &
    unit_job=$!
    # the rest in the usual order: the browser tests start the demo first, on a broker
    # that no other test has restarted yet
    others=()
    for dir in tests/*/; do
        dir=${dir%/}
        [ "$dir" = tests/unit ] || others+=("$dir")
    done
    nameko_test "${others[@]}" --durations=20 "$@" || tests=$?
    unit=0
    wait "$unit_job" || unit=$?
    echo "---- tests/unit ----"
    if [ "$unit" = 0 ]; then tail -n 2 "$logs/unit"; else cat "$logs/unit"; fi
    tests=$(combined "$tests" "$unit")
else
    nameko_test --durations=20 "$@" || tests=$?
fi

lint=0
wait "$lint_job" || lint=$?
echo "---- lint ----"
cat "$logs/lint"
if [ "$lint" != 0 ] && { [ "$tests" = 0 ] || [ "$tests" = 5 ]; }; then
    echo "test.sh: lint (ruff, mypy or lint-imports) failed" >&2
    exit "$lint"
fi
exit "$tests"

#!/usr/bin/env bash
# Build the dashboard (dashboard/ -> dashboard/dist, served by the gateway at /dashboard/)
# when its sources changed since the last build. Node and npm come from Debian when
# missing. A failed build is reported, not fatal: the gateway then answers its page with
# how to build it, and the API works as before.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../dashboard"

say() { echo "dashboard: $*" >&2; }

if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing nodejs and npm (Debian)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null 2>&1 \
                 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null 2>&1; } \
            || { say "nodejs/npm could not be installed: the dashboard is not built"; exit 0; }
    else
        say "node and npm are missing ('sudo apt-get install nodejs npm'): the dashboard is not built"
        exit 0
    fi
fi

# what the build depends on; the stamp in dist/ says which sources it was made from
sources=$(cat package-lock.json vite.config.js index.html $(find src -type f | sort) | sha256sum | cut -d' ' -f1)
if [ "$(cat dist/.built-from 2>/dev/null || true)" = "$sources" ]; then
    exit 0
fi
lock=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.installed-from 2>/dev/null || true)" != "$lock" ]; then
    say "installing its packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null \
        || { say "npm ci failed: the dashboard is not built"; exit 0; }
    echo "$lock" > node_modules/.installed-from
fi
say "building"
if npm run build --silent >/dev/null 2>build.log; then
    echo "$sources" > dist/.built-from
    rm -f build.log
else
    say "the build failed (dashboard/build.log): the dashboard is not built"
fi

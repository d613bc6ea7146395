#!/usr/bin/env bash
# Writes the .env file docker-compose reads: fresh random credentials for the broker and
# the store and the four yinfa secrets, made once per installation.
#   bash scripts/compose-env.sh          # .env at the repository root, next to docker-compose.yml
#   bash scripts/compose-env.sh DIR      # DIR/.env
# An existing file is left as it is: its values are the installation's (the data volumes
# were initialised with its passwords, the sealed personal data opens only with its
# YINFA_MASTER_KEY, volunteer ids derive from its YINFA_ID_SECRET). The file is made
# readable by its owner only (mode 600) and is never committed (.gitignore).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-$root}
target="$dir/.env"

say() { echo "compose-env: $*" >&2; }

if [ -e "$target" ]; then
    say "$target exists; left as it is"
    exit 0
fi
[ -d "$dir" ] || { say "no directory $dir"; exit 1; }

# Random text: hex for passwords (they go into connection URIs unescaped), base64 for the
# yinfa secrets (48 random bytes; yinfa decodes base64 and hex).
if command -v openssl >/dev/null; then
    hex32() { openssl rand -hex 32; }
    base64_48() { openssl rand -base64 48 | tr -d '\n'; }
elif command -v python3 >/dev/null; then
    hex32() { python3 -c 'import secrets; print(secrets.token_hex(32))'; }
    base64_48() {
        python3 -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(48)).decode())'
    }
else
    say "neither openssl nor python3 found: cannot make random values"
    exit 1
fi

# A value, or the script stops saying so (set -e: each on its own line).
random() {
    local value
    value=$("$1") || value=""
    [ "${#value}" -ge 64 ] || { say "could not make a random value ($1)"; return 1; }
    printf '%s' "$value"
}
rabbitmq_password=$(random hex32)
mongo_password=$(random hex32)
id_secret=$(random base64_48)
master_key=$(random base64_48)
gateway_secret=$(random base64_48)
cursor_secret=$(random base64_48)

umask 077
tmp=$(mktemp "$dir/.env.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat >"$tmp" <<EOF
# docker-compose settings of this installation, made by scripts/compose-env.sh on
# $(date -u +%Y-%m-%dT%H:%M:%SZ). Secret: keep it private, never commit it; keep a copy
# where the backups are (without YINFA_MASTER_KEY the sealed personal data is lost).
# Rotating any of these: docs/operations.md "Rotate secrets".
RABBITMQ_PASSWORD=$rabbitmq_password
MONGO_PASSWORD=$mongo_password
YINFA_ID_SECRET=$id_secret
YINFA_MASTER_KEY=$master_key
YINFA_GATEWAY_SECRET=$gateway_secret
YINFA_CURSOR_SECRET=$cursor_secret
EOF
chmod 600 "$tmp"
# A hard link fails if the target appeared meanwhile: never overwrite another run's file.
if ln "$tmp" "$target" 2>/dev/null; then
    say "wrote $target (mode 600)"
else
    say "$target exists; left as it is"
fi

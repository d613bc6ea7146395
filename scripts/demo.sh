#!/usr/bin/env bash
# Set up (idempotent), then run the whole platform locally: `bash scripts/demo.sh`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python -m demo "$@"

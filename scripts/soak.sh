#!/usr/bin/env bash
# Set up (idempotent), then soak the platform: `bash scripts/soak.sh [--minutes 10]`.
# Starts the store and every service as processes in a RabbitMQ vhost of its own, drives a
# mixed workload by RPC, samples memory and queue depths, and writes
# benchmarks/results/soak-<date>.json. Not part of CI: it runs for minutes on purpose.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python benchmarks/soak.py "$@"

#!/usr/bin/env bash
# Set up (idempotent), then the full chaos run: `bash scripts/chaos.sh [--minutes N]`.
# Starts the store, every service and the gateway as processes in a RabbitMQ vhost of its
# own, drives a workload through the gateway while services, the gateway, the store and
# the broker are killed or restarted in turn, checks that nothing accepted was lost or
# doubled, and writes benchmarks/results/chaos-<date>.json.
# The broker restart stops the machine's one RabbitMQ for a few seconds; pass --no-broker
# (or set YINFA_CHAOS_BROKER=0) on a machine others are using.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
extra=()
if [ "${YINFA_CHAOS_BROKER:-1}" = 0 ]; then
    extra+=(--no-broker)
fi
exec .venv/bin/python benchmarks/chaos.py "${extra[@]}" "$@"

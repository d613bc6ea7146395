"""Chaos run: the whole platform under a workload through the gateway while faults come in
turn, then the invariants that make rankings trustworthy, counted.

Faults, cycled until the workload ends: kill -9 of each service process (its outbox relay
runs inside it) and of the gateway, each started again at once; `rabbitmqctl stop_app` /
`start_app` with a ~5 s outage (the machine's one broker: always started again, in a
finally); kill -9 of the embedded nx-27017, started again on the same port and data; a
known number of poisoned messages published to one consumer's queue.

After recovery (relays with nothing pending, queues drained, scoring's fold at its
journal's head; bounded): every request answered 2xx is in its service's event store
exactly once (by its X-Request-Id, the commits' correlation_id), every consumer applied
every event once, scoring's county ranking equals the fold of every source event (live,
and after `rebuild(from_sources=True)`), the dead-letter queues hold exactly the poisoned
messages, and no log file of the run holds a volunteer's ID number or phone number.

    bash scripts/chaos.sh [--minutes N]      (writes benchmarks/results/chaos-<date>.json)
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "chaos")]

from platform_chaos_support import Plan, Platform, run, say  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def machine() -> dict[str, Any]:
    def output(argv: list[str]) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=30,
                                  cwd=ROOT).stdout.strip()
        except OSError:
            return ""

    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    rabbit = output(["rabbitmqctl", "version"]) or "?"
    return {"hostname": platform.node(), "nproc": os.cpu_count(), "cpu": cpu,
            "ram_gib": round(mem_kib / 1024 / 1024, 1), "kernel": platform.release(),
            "python": platform.python_version(), "rabbitmq": rabbit,
            "load_average_at_start": list(os.getloadavg()),
            "git_commit": output(["git", "rev-parse", "--short", "HEAD"]) or "?"}


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """The counts a reader wants first."""
    requests_ = result["requests"]
    return {
        "requests": requests_["requests"], "ok_2xx": requests_["ok_2xx"],
        "events": sum(result["events"].values()),
        "duplicates": requests_["duplicated"], "lost": requests_["lost"],
        "committed_without_2xx": requests_["committed_without_2xx"],
        "gateway_5xx_seen": requests_["server_errors_seen"],
        "faults": len(result["faults"]),
        "unexpected_exits": len(result["unexpected_exits"]),
        "settled": result["not_settled"] is None,
        "consumer_streams_behind": sum(c.get("streams_behind", 0)
                                       for c in result["consumers"].values()),
        "ledger_missing": result["consumers"]["ledger"]["missing"],
        "ledger_doubled": result["consumers"]["ledger"]["doubled"],
        "dlq_messages": result["dead_letters"]["total"],
        "dlq_poisoned": result["dead_letters"]["poisoned"],
        "ranking_equal": result["scoring"]["live_equals_fold"],
        "ranking_equal_after_rebuild": result["scoring"]["rebuild_from_sources"]["equals_fold"],
        "log_hits": result["logs"]["hits"],
    }


def main() -> int:
    from yinfa.infra.run_secrets import ensure_run_secrets

    ensure_run_secrets()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="workload duration")
    parser.add_argument("--threads", type=int, default=4, help="concurrent clients")
    parser.add_argument("--fault-gap", type=float, default=8.0, help="seconds between faults")
    parser.add_argument("--no-broker", action="store_true",
                        help="leave RabbitMQ alone (it is shared by the whole machine)")
    parser.add_argument("--poison", type=int, default=3, help="poisoned messages per round")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the run's store and logs")
    parser.add_argument("--output", type=Path, default=None,
                        help="where to write the result (default: "
                             "benchmarks/results/chaos-<date>.json)")
    args = parser.parse_args()
    if args.minutes <= 0 or args.minutes > 30:
        parser.error("--minutes must be in (0, 30]")

    started_at = datetime.now(UTC)
    run_dir = ROOT / "var" / f"chaos-{int(time.time())}"
    plan = Plan(seconds=args.minutes * 60, threads=args.threads, fault_gap=args.fault_gap,
                broker=not args.no_broker, poison=args.poison, repeat=True,
                retry_budget=90.0, settle_timeout=240.0, seed=args.seed)
    platform_ = Platform(run_dir)
    host = machine()
    try:
        platform_.start()
        result = run(platform_, plan)
    finally:
        platform_.close()
        if not args.keep:
            shutil.rmtree(run_dir / "store", ignore_errors=True)
    record = {"date": started_at.date().isoformat(),
              "started_at": started_at.isoformat(timespec="seconds"),
              "minutes": args.minutes, "threads": args.threads, "fault_gap": args.fault_gap,
              "broker_restarts": not args.no_broker, "machine": host,
              "summary": summary(result), **result}
    path = (args.output or RESULTS / f"chaos-{record['date']}.json").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n")
    say(f"result: {path}; logs in {run_dir}")
    say(json.dumps(record["summary"], ensure_ascii=False))
    failed = [name for name, ok in result["verdict"].items() if not ok]
    say("every invariant held" if not failed else f"FAILED: {', '.join(failed)}")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())

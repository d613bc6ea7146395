"""Run one outbox relay as its own process (chaos tests, ops tooling).

    python -m yinfa.messaging.relay_main --mongo-uri URI --db NAME --amqp-uri URI \
        --service NAME [--batch N] [--lease-seconds S] [--once]

With `--once` it publishes everything pending (waiting for the lease if another relay
holds it) and exits; without, it keeps publishing until SIGTERM or SIGINT.
"""
from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Sequence

from pymongo import MongoClient

from yinfa.messaging.relay import OutboxRelay
from yinfa.store.event_store import EventStore

log = logging.getLogger("yinfa.relay")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m yinfa.messaging.relay_main")
    parser.add_argument("--mongo-uri", required=True)
    parser.add_argument("--db", required=True, help="the service's database")
    parser.add_argument("--amqp-uri", required=True)
    parser.add_argument("--service", required=True, help="publishes to <service>.events")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--lease-seconds", type=float, default=15.0)
    parser.add_argument("--idle-seconds", type=float, default=0.2)
    parser.add_argument("--once", action="store_true", help="publish what is pending, exit")
    return parser.parse_args(argv)


def relay_until(relay: OutboxRelay, stop: threading.Event, idle: float, once: bool) -> None:
    while not stop.is_set():
        try:
            if relay.run_once():
                continue
        except Exception:  # broker or store hiccup: the checkpoint did not move, go again
            log.exception("relay step failed; retrying")
            stop.wait(1.0)
            continue
        if once and relay.lag()["pending"] == 0:
            return
        stop.wait(idle)  # no lease, or nothing new yet


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    client: MongoClient = MongoClient(args.mongo_uri, tz_aware=True)
    relay = OutboxRelay(
        EventStore(client[args.db]), args.amqp_uri, args.service,
        batch_size=args.batch, lease_seconds=args.lease_seconds,
    )
    try:
        relay_until(relay, stop, args.idle_seconds, args.once)
    finally:
        relay.reset_connection()
        relay.release_lease()
        client.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

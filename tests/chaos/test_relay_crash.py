"""Kill the outbox relay process at the worst moments: nothing is lost, duplicates are bounded
and an inbox turns at-least-once delivery into exactly-once application."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import kombu
import pytest

from yinfa.events.envelope import NewEvent, RecordedEvent
from yinfa.messaging.dead_letters import DeadLetters
from yinfa.messaging.inbox import APPLIED, DUPLICATE, Inbox

pytestmark = pytest.mark.chaos

SERVICE = "ledger"
LEASE_SECONDS = 1.0  # a killed relay keeps its lease this long
RUN_TIMEOUT = 20.0


@pytest.fixture
def delivered(amqp_uri):
    """Declare a queue bound to every event of the service; call it to take what came."""
    connection = kombu.Connection(amqp_uri)
    exchange = kombu.Exchange(f"{SERVICE}.events", type="topic", durable=True)
    queue = kombu.Queue("auditor", exchange, routing_key="#", durable=True)(
        connection.default_channel
    )
    queue.declare()

    def take() -> list[dict]:
        waiting = queue.queue_declare(passive=True).message_count
        bodies: list[dict] = []
        taken = 0
        deadline = time.monotonic() + RUN_TIMEOUT
        while taken < waiting and time.monotonic() < deadline:
            message = queue.get(no_ack=True)
            if message is None:
                time.sleep(0.01)
            else:  # one event, or a batch message's array of them
                taken += 1
                body = json.loads(message.body)
                bodies += body if isinstance(body, list) else [body]
        return bodies

    yield take
    connection.release()


@pytest.fixture
def start_relay(mongo_uri, mongo_db, amqp_uri, tmp_path, delivered):
    """Start `python -m yinfa.messaging.relay_main` on the test's database and vhost
    (after the audit queue is bound: the broker drops what no queue is bound for)."""
    started: list[subprocess.Popen] = []

    def start(*, batch: int, once: bool = True, failpoint: str | None = None):
        env = {k: v for k, v in os.environ.items() if k != "YINFA_FAILPOINTS"}
        if failpoint:
            env["YINFA_FAILPOINTS"] = failpoint
        command = [
            sys.executable, "-m", "yinfa.messaging.relay_main",
            "--mongo-uri", mongo_uri, "--db", mongo_db.name, "--amqp-uri", amqp_uri,
            "--service", SERVICE, "--batch", str(batch),
            "--lease-seconds", str(LEASE_SECONDS), "--idle-seconds", "0.05",
        ] + (["--once"] if once else [])
        log = open(tmp_path / f"relay-{len(started)}.log", "wb")
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(5)


@pytest.fixture
def consumer_db(mongo_client, mongo_db):
    """The consuming service's own database."""
    db = mongo_client[f"{mongo_db.name}_c"]
    yield db
    mongo_client.drop_database(db.name)


def record(store, count: int) -> list[str]:
    """`count` events, one per commit, over ten streams; their ids in position order."""
    return [
        store.append(f"thing-{n % 10}", [NewEvent("ThingCounted", {"n": n})])[0].event_id
        for n in range(count)
    ]


def checkpoint(db) -> int:
    doc = db["relay_checkpoints"].find_one({"_id": f"{SERVICE}.events"})
    return 0 if doc is None else int(doc["position"])


def finished(process: subprocess.Popen) -> int:
    return process.wait(RUN_TIMEOUT)


BATCH = 50


@pytest.fixture
def crash_after_first_confirm(event_store, mongo_db, start_relay):
    """Store three batches, run a relay that dies right after its first confirm."""
    ids = record(event_store, 3 * BATCH)
    crashed = start_relay(batch=BATCH, failpoint="relay.after_confirm")
    return ids, finished(crashed)


@pytest.fixture
def redelivered(crash_after_first_confirm, start_relay, delivered):
    """The event ids stored, and every message delivered after a crash and a restart."""
    ids, _ = crash_after_first_confirm
    assert finished(start_relay(batch=BATCH)) == 0
    return ids, delivered()


def test_a_relay_killed_right_after_a_confirm_leaves_its_checkpoint_behind(
    crash_after_first_confirm, mongo_db, delivered
):
    ids, returncode = crash_after_first_confirm

    assert returncode == -signal.SIGKILL
    assert checkpoint(mongo_db) == 0
    assert [body["event_id"] for body in delivered()] == ids[:BATCH]


def test_a_restarted_relay_delivers_everything_and_repeats_only_the_unmarked_batch(
    redelivered, mongo_db
):
    ids, bodies = redelivered

    counts = Counter(body["event_id"] for body in bodies)
    assert set(counts) == set(ids)
    assert {event_id for event_id, n in counts.items() if n > 1} == set(ids[:BATCH])
    assert max(counts.values()) == 2
    assert checkpoint(mongo_db) == len(ids)


def test_an_inbox_applies_every_redelivered_event_exactly_once(
    redelivered, consumer_db, amqp_uri
):
    ids, bodies = redelivered
    dead_letters = DeadLetters(amqp_uri)
    inbox = Inbox(consumer_db, "auditor", dead_letters)
    inbox.ensure_indexes()

    def apply(event: RecordedEvent) -> None:
        consumer_db["audited"].insert_one({"event_id": event.event_id, "n": event.data["n"]})

    outcomes = Counter(outcome for body in bodies for outcome in inbox.handle([body], apply))
    dead_letters.close()

    assert outcomes == {APPLIED: len(ids), DUPLICATE: BATCH}
    assert consumer_db["audited"].count_documents({}) == len(ids)
    assert sorted(consumer_db["audited"].distinct("event_id")) == sorted(ids)


def test_a_relay_killed_at_a_random_moment_of_a_backlog_loses_nothing(
    event_store, mongo_db, start_relay, delivered
):
    seed = random.randrange(1_000_000)
    chance = random.Random(seed)
    ids = record(event_store, 2000)
    kill_after = chance.randrange(BATCH, len(ids) // 2)  # a position, then a moment past it
    running = start_relay(batch=BATCH, once=False)
    deadline = time.monotonic() + RUN_TIMEOUT
    while checkpoint(mongo_db) < kill_after and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(chance.uniform(0, 0.02))

    assert running.poll() is None, f"the relay stopped before the kill (seed {seed})"
    os.kill(running.pid, signal.SIGKILL)
    assert finished(running) == -signal.SIGKILL
    at_kill = checkpoint(mongo_db)
    assert kill_after <= at_kill < len(ids), f"seed {seed}"

    assert finished(start_relay(batch=BATCH)) == 0

    bodies = delivered()
    assert {body["event_id"] for body in bodies} == set(ids), f"seed {seed}"
    positions = Counter(body["position"] for body in bodies)
    twice = sorted(p for p, n in positions.items() if n > 1)
    assert all(at_kill < p <= at_kill + BATCH for p in twice), f"seed {seed}: {twice}"
    assert max(positions.values()) <= 2, f"seed {seed}"


def test_a_relay_process_publishes_as_events_come_and_stops_cleanly_on_sigterm(
    event_store, mongo_db, start_relay, delivered
):
    running = start_relay(batch=BATCH, once=False)
    ids = record(event_store, 30)
    deadline = time.monotonic() + RUN_TIMEOUT
    while checkpoint(mongo_db) < len(ids) and time.monotonic() < deadline:
        time.sleep(0.02)

    running.send_signal(signal.SIGTERM)

    assert finished(running) == 0
    assert [body["event_id"] for body in delivered()] == ids
    lease = mongo_db["relay_leases"].find_one({"_id": f"{SERVICE}.events"})
    assert lease["until"] == 0  # released: a successor need not wait for it to expire

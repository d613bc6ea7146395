"""Kill -9 the scoring process while source events are streaming in: after a restart its
journal holds every published event (a redelivered one maybe twice, which is harmless)
and its county ranking equals the pure fold of exactly the events published."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import kombu
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from platform_chaos_support import journaled

from services.scoring.domain.rulebook import default_rulebook_path, load_rulebook
from services.scoring.domain.state import ScoringState
from services.scoring.engine import intake
from services.scoring.queries import county_ranking
from yinfa.reference import load_city

pytestmark = pytest.mark.chaos

QUEUE = "evt-volunteers-#--scoring.on_volunteers_event"
COUNTIES = ("320902", "320903", "320921", "320971", "320972")
VOLUNTEERS = 60
HOURS_EACH = 4  # 60 registrations + 240 hour entries = 300 events
KILL_AT = 80  # journaled events before the kill
TIMEOUT = 60.0  # a loaded 2-core machine starts a process slowly
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SEED = 2026  # the history is fixed; only the moment of the kill varies


def envelope(event_type: str, stream_id: str, version: int, data: dict[str, Any],
             at: datetime, position: int) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()), "type": event_type,
        "schema_version": 2 if event_type == "VolunteerRegistered" else 1,
        "stream_id": stream_id, "version": version, "position": position,
        "occurred_at": at.isoformat(), "recorded_at": at.isoformat(),
        "correlation_id": "chaos", "causation_id": None, "actor": "test", "data": data,
    }


def history(seed: int) -> list[dict[str, Any]]:
    """Registrations and hour entries of volunteers over five counties, in the order a
    volunteers relay would publish them (streams interleaved)."""
    chance = random.Random(seed)
    streams: list[list[tuple[str, dict[str, Any]]]] = []
    for n in range(VOLUNTEERS):
        vid = f"k{n}"
        events: list[tuple[str, dict[str, Any]]] = [("VolunteerRegistered", {
            "name": "王秀兰", "gender": "female", "birth_year": 1955,
            "id_number_masked": "3209**********0021", "phone": "139****5678",
            "county_code": COUNTIES[n % len(COUNTIES)], "former_employer": None,
            "retirement_status": "tuixiu", "party_member": True, "branch_id": None,
            "skills": [], "insurance": True})]
        for h in range(HOURS_EACH):
            events.append(("HoursRecorded", {
                "entry_id": f"{vid}-h{h}", "hours": str(chance.randint(1, 8)),
                "served_on": f"2026-0{chance.randint(3, 9)}-1{h}", "source": "bureau",
                "activity_id": None}))
        streams.append([(t, d) for t, d in events])
    published: list[dict[str, Any]] = []
    cursors = [0] * len(streams)
    while any(c < len(s) for c, s in zip(cursors, streams, strict=True)):
        i = chance.choice([i for i, s in enumerate(streams) if cursors[i] < len(s)])
        event_type, data = streams[i][cursors[i]]
        cursors[i] += 1
        published.append(envelope(event_type, f"volunteer-k{i}", cursors[i], data,
                                  T0 + timedelta(minutes=len(published)), len(published) + 1))
    return published


@pytest.fixture
def scoring_db(mongo_client, mongo_db):
    """The database `yinfa run scoring` uses with YINFA_DB_PREFIX set to the test's."""
    db = mongo_client[f"{mongo_db.name}_scoring"]
    yield db
    mongo_client.drop_database(db.name)


@pytest.fixture
def start_scoring(mongo_uri, amqp_uri, mongo_db, scoring_db, tmp_path):
    """`yinfa run scoring` as a process of its own, on the test's vhost and databases."""
    started: list[subprocess.Popen] = []
    env = {**os.environ, "MONGO_URI": mongo_uri, "AMQP_URI": amqp_uri,
           "YINFA_DB_PREFIX": mongo_db.name, "YINFA_OPS_PORT": "off",
           "YINFA_LOG_LEVEL": "WARNING"}

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"scoring-{len(started)}.log", "wb")
        process = subprocess.Popen([sys.executable, "-m", "yinfa.cli", "run", "scoring"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(5)


@pytest.fixture
def broker(amqp_uri):
    connection = kombu.Connection(amqp_uri)
    channel = connection.default_channel
    exchange = kombu.Exchange("volunteers.events", type="topic", durable=True)
    producer = kombu.Producer(channel)

    def publish(message: dict[str, Any]) -> None:
        producer.publish(json.dumps(message), exchange=exchange, routing_key=message["type"],
                         content_type="application/json", content_encoding="utf-8",
                         declare=[exchange], delivery_mode=2)

    def queue_ready() -> bool:
        try:
            kombu.Queue(QUEUE, channel=connection.channel()).queue_declare(passive=True)
        except Exception:  # not declared yet: the channel is closed by the broker
            return False
        return True

    yield publish, queue_ready
    connection.release()


def until(check, what: str, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"not within {timeout} s: {what}")


def pure_ranking(published: list[dict[str, Any]]) -> list[dict[str, Any]]:
    events = [intake.accept(intake.parse(message)) for message in published]
    assert all(e is not None for e in events)
    state = ScoringState(load_city().zone).apply_all(e for e in events if e is not None)
    return county_ranking(state, load_rulebook(default_rulebook_path()))


def test_scoring_killed_mid_stream_recovers_to_the_fold_of_exactly_what_was_published(
        start_scoring, broker, scoring_db, amqp_uri) -> None:
    seed = SEED
    published = history(seed)
    publish, queue_ready = broker
    first = start_scoring()
    until(queue_ready, f"scoring's queue declared (seed {seed})")

    half = len(published) // 2
    for message in published[:half]:
        publish(message)
    until(lambda: sum(journaled(scoring_db).values()) >= KILL_AT or first.poll() is not None,
          f"{KILL_AT} events journaled (seed {seed})")
    assert first.poll() is None, f"scoring stopped before the kill (seed {seed})"
    os.kill(first.pid, signal.SIGKILL)
    assert first.wait(10) == -signal.SIGKILL
    at_kill = sum(journaled(scoring_db).values())
    assert at_kill < len(published)
    for message in published[half:]:  # the stream goes on while scoring is down
        publish(message)

    second = start_scoring()
    ids = {message["event_id"] for message in published}
    counts = until(lambda: (c := journaled(scoring_db)) and set(c) >= ids and c,
                   f"every published event journaled after the restart (seed {seed})")
    assert set(counts) == ids, f"seed {seed}: the journal holds events never published"
    duplicates = sum(n - 1 for n in counts.values())
    print(f"killed at {at_kill} of {half} published so far ({len(published)} in all), "
          f"{duplicates} duplicate journal entries")

    expected = pure_ranking(published)
    proxy = ServiceRpcProxy("scoring", {"AMQP_URI": amqp_uri, "serializer": "json"},
                            timeout=10)
    with proxy as scoring:
        deadline = time.monotonic() + 15
        ranking = scoring.county_ranking()
        while ranking != expected and time.monotonic() < deadline:
            time.sleep(0.2)  # the journal is complete; the replica's fold follows it
            ranking = scoring.county_ranking()
    assert ranking == expected, f"seed {seed}"
    assert second.poll() is None, f"the restarted scoring died (seed {seed})"
    assert sum(1 for c in expected if c["total"] != "0.00") == len(COUNTIES)

"""Scoring over the real broker and store, fed with source events published directly on
`volunteers.events` (as the volunteers service's relay would): what it keeps, what it
dead-letters and why, as-of, rankings within a county, evidence, assessments, rebuild,
and two replicas on one queue.
"""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

import kombu
import pytest

from services.scoring.service import ScoringService
from yinfa.errors import AlreadyExists, NotFound, ValidationFailed
from yinfa.messaging.dead_letters import dead_letter_queue

pytestmark = pytest.mark.integration

ZONE, DISTRICT = "320972", "320902"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
_positions = count(1)


def envelope(event_type: str, stream_id: str, version: int, data: dict,
             recorded_at: datetime = T0, schema_version: int | None = None) -> dict:
    return {
        "event_id": str(uuid.uuid4()), "type": event_type,
        "schema_version": schema_version or (2 if event_type == "VolunteerRegistered" else 1),
        "stream_id": stream_id, "version": version, "position": next(_positions),
        "occurred_at": recorded_at.isoformat(), "recorded_at": recorded_at.isoformat(),
        "correlation_id": "c", "causation_id": None, "actor": "test", "data": data,
    }


def registered(vid: str, county: str, at: datetime = T0, name: str = "王秀兰") -> dict:
    return envelope("VolunteerRegistered", f"volunteer-{vid}", 1, {
        "name": name, "gender": "female", "birth_year": 1955,
        "id_number_masked": "3209**********0021", "phone": "139****5678",
        "county_code": county, "former_employer": None, "retirement_status": "tuixiu",
        "party_member": True, "branch_id": None, "skills": [], "insurance": True,
    }, at)


def hours(vid: str, version: int, amount: str, at: datetime = T0,
          served_on: str = "2026-03-01") -> dict:
    return envelope("HoursRecorded", f"volunteer-{vid}", version, {
        "entry_id": str(uuid.uuid4()), "hours": amount, "served_on": served_on,
        "source": "bureau", "activity_id": None,
    }, at)


@pytest.fixture
def publish(amqp_uri, rabbit_config):
    connection = kombu.Connection(rabbit_config["AMQP_URI"])
    producer = kombu.Producer(connection.default_channel)
    exchange = kombu.Exchange("volunteers.events", type="topic", durable=True)

    def send(message, routing_key: str = "Event", content_type="application/json") -> None:
        body = message if isinstance(message, (bytes, str)) else json.dumps(message)
        producer.publish(body, exchange=exchange, routing_key=routing_key,
                         content_type=content_type, content_encoding="utf-8",
                         declare=[exchange], delivery_mode=2)

    yield send
    connection.release()


@pytest.fixture
def dead_letters(rabbit_config):
    connection = kombu.Connection(rabbit_config["AMQP_URI"])
    queue = dead_letter_queue("scoring")(connection.default_channel)
    queue.declare()

    def take(expected: int, eventually) -> list[kombu.Message]:
        taken: list = []

        def enough():
            while (message := queue.get(no_ack=True)) is not None:
                taken.append(message)
            return len(taken) >= expected

        eventually(enough)
        return taken

    yield take
    connection.release()


@pytest.fixture
def scoring(container_factory, service_config, rpc_proxy):
    container = container_factory(ScoringService, service_config)
    container.start()
    return rpc_proxy("scoring")


def _county(ranking, code):
    return next(c for c in ranking if c["county_code"] == code)


def _row(item, code):
    return next(r for r in item["rows"] if r["code"] == code)


def _raw(scoring, county, code, **kwargs):
    return _row(_county(scoring.county_ranking(**kwargs), county), code)["raw"]


def test_poison_is_dead_lettered_with_its_reason_and_changes_nothing(
        scoring, publish, dead_letters, eventually):
    publish(registered("v1", ZONE))
    publish(registered("v2", "999999"))  # a county the city does not have
    publish(envelope("VolunteerRenamedTwice", "volunteer-v1", 2, {}))  # unknown type
    publish(envelope("HoursRecorded", "volunteer-v1", 3, {"entry_id": "x"}, schema_version=9))
    publish(envelope("HoursRecorded", "volunteer-v1", 4, {"entry_id": "x"}))  # bad payload
    publish({"type": "HoursRecorded"})  # no envelope

    reasons = sorted(m.headers["x-reason"] for m in dead_letters(5, eventually))
    assert any("county '999999' unknown" in r for r in reasons)
    assert any("unknown event type 'VolunteerRenamedTwice'" in r for r in reasons)
    assert any("schema version 9 is newer" in r for r in reasons)
    assert any("invalid data" in r for r in reasons)
    assert any("invalid envelope" in r or "not an event envelope" in r for r in reasons)

    eventually(lambda: _raw(scoring, ZONE, "volunteer_participation") == "1.0000")
    publish(hours("v1", 5, "4"))  # the service keeps consuming after the poison
    eventually(lambda: _raw(scoring, ZONE, "service_hours") == "4.0000")
    health = scoring.health()
    # the unknown type and the newer version are dead-lettered by the subscription's
    # check (yinfa.messaging.contract) before they reach the intake
    assert health["intake"]["dead-lettered"] >= 3
    assert all(_row(c, "volunteer_participation")["raw"] == "0.0000"
               for c in scoring.county_ranking() if c["county_code"] != ZONE)


def test_a_batch_message_is_kept_event_by_event_and_its_poison_set_aside_alone(
        scoring, publish, dead_letters, eventually):
    """The relay's batch message: each event checked on its own; the poison among them
    (an unknown type, caught by the subscription; an unknown county, by the intake)
    dead-lettered alone; the others counted once, even when the message comes twice."""
    batch = [registered("b1", ZONE), envelope("VolunteerRenamedTwice", "volunteer-b1", 2, {}),
             registered("b2", "999999"), registered("b3", ZONE)]

    publish(batch, routing_key="batch")

    letters = dead_letters(2, eventually)
    assert sorted(json.loads(m.body)["event_id"] for m in letters) == sorted(
        [batch[1]["event_id"], batch[2]["event_id"]])
    eventually(lambda: _raw(scoring, ZONE, "volunteer_participation") == "2.0000")
    publish(batch, routing_key="batch")  # redelivered: the fold counts nothing twice
    dead_letters(2, eventually)
    eventually(lambda: scoring.health()["intake"].get("applied", 0) >= 4)  # kept twice
    assert _raw(scoring, ZONE, "volunteer_participation") == "2.0000"


def test_as_of_an_instant_shows_what_the_sources_had_recorded_by_then(scoring, publish,
                                                                       eventually):
    publish(registered("a1", ZONE, T0))
    publish(hours("a1", 2, "5", T0 + timedelta(days=1)))
    publish(hours("a1", 3, "7", T0 + timedelta(days=10)))
    eventually(lambda: _raw(scoring, ZONE, "service_hours") == "12.0000")

    before = (T0 - timedelta(seconds=1)).isoformat()
    between = (T0 + timedelta(days=2)).isoformat()
    assert _raw(scoring, ZONE, "volunteer_participation", as_of=before) == "0.0000"
    assert _raw(scoring, ZONE, "service_hours", as_of=between) == "5.0000"
    assert scoring.explain(ZONE, as_of=between)["total"] == _county(
        scoring.county_ranking(as_of=between), ZONE)["total"]
    with pytest.raises(ValidationFailed):
        scoring.county_ranking(as_of="last tuesday")


def test_rankings_within_a_county_with_ties_and_evidence(scoring, publish, eventually):
    for vid, amount in (("r1", "30"), ("r2", "50"), ("r3", "30")):
        publish(registered(vid, DISTRICT, name=f"志愿者{vid}"))
        publish(hours(vid, 2, amount))
    publish(registered("r4", ZONE))

    def ranked():
        page = scoring.volunteer_ranking(DISTRICT)
        return page if page["total"] == 3 and all(
            Decimal(i["total"]) > 0 for i in page["items"]) else None

    page = eventually(ranked)
    assert [(i["volunteer_id"], i["rank"]) for i in page["items"]] == [
        ("r2", 1), ("r1", 2), ("r3", 2)]
    assert scoring.volunteer_ranking(DISTRICT, limit=1, offset=1)["items"][0]["volunteer_id"] \
        == "r1"
    explained = scoring.explain_volunteer("r2")
    assert explained["county_code"] == DISTRICT and explained["rank"] == 1
    assert sum(Decimal(r["points"]) for r in explained["rows"]) == Decimal(explained["total"])

    evidence = scoring.evidence("volunteer", "r2", "volunteer_hours")
    assert evidence["total"] == 1 and evidence["next"] is None
    county_evidence = scoring.evidence("county", DISTRICT, "service_hours", limit=2)
    assert county_evidence["total"] == 3 and len(county_evidence["event_ids"]) == 2
    rest = scoring.evidence("county", DISTRICT, "service_hours", after=county_evidence["next"])
    assert len(rest["event_ids"]) == 1
    assert not set(rest["event_ids"]) & set(county_evidence["event_ids"])

    with pytest.raises(NotFound):
        scoring.explain_volunteer("nobody")
    with pytest.raises(NotFound):
        scoring.volunteer_ranking("999999")
    with pytest.raises(ValidationFailed):
        scoring.volunteer_ranking(DISTRICT, limit=0)
    assert scoring.branch_ranking(DISTRICT)["total"] == 0


def test_a_published_assessment_never_changes(scoring, publish, eventually):
    publish(registered("p1", ZONE))
    eventually(lambda: _raw(scoring, ZONE, "volunteer_participation") == "1.0000")

    published = scoring.close_period({"period": "2026"})
    frozen = _county(published["counties"], ZONE)
    assert published["rulebook_version"] == "2026.1"
    assert _row(frozen, "volunteer_participation")["raw"] == "1.0000"

    publish(registered("p2", ZONE))
    eventually(lambda: _raw(scoring, ZONE, "volunteer_participation") == "2.0000")
    again = scoring.get_assessment("2026")
    assert again["counties"] == published["counties"]
    assert [a["period"] for a in scoring.list_assessments()] == ["2026"]
    with pytest.raises(AlreadyExists):
        scoring.close_period({"period": "2026"})
    with pytest.raises(NotFound):
        scoring.get_assessment("2019")
    with pytest.raises(ValidationFailed):
        scoring.close_period({"period": "this year"})


def test_a_rebuild_equals_the_live_ranking(scoring, publish, eventually):
    for n in range(20):
        publish(registered(f"b{n}", ZONE if n % 3 else DISTRICT))
        publish(hours(f"b{n}", 2, str(n + 1)))
    def all_folded():
        health = scoring.health()
        return (health["intake"].get("applied", 0) == 40
                and health["folded_position"] == health["journal_head"])

    eventually(all_folded)
    live = scoring.county_ranking()
    scoring.rebuild()
    progress = eventually(lambda: (p := scoring.rebuild_progress())["phase"] == "done" and p)
    assert progress["folded"] == 40 and not progress["running"] and progress["error"] is None
    assert scoring.county_ranking() == live


def test_two_replicas_on_one_queue_agree_with_each_other(container_factory, service_config,
                                                         rpc_proxy, publish, eventually):
    first = container_factory(ScoringService, service_config)
    second = container_factory(ScoringService, service_config)
    first.start()
    second.start()
    scoring = rpc_proxy("scoring")
    for n in range(30):
        publish(registered(f"m{n}", DISTRICT))
        publish(hours(f"m{n}", 2, "2"))
    eventually(lambda: _raw(scoring, DISTRICT, "service_hours") == "60.0000", timeout=30)
    # both halves of the work reached the journal; each replica folds all of it
    answers = [scoring.county_ranking() for _ in range(6)]  # RPCs spread over both
    assert all(a == answers[0] for a in answers)

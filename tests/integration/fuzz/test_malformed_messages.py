"""Malformed messages on a running service's event queue: each is set aside on the
dead-letter queue with a reason that names the problem, nothing of it reaches the store,
and the service goes on to apply the next valid event.

The volunteers service consumes the activities service's events (completions credit
hours). Here the messages are published raw with kombu on `activities.events`, as a
broken or hostile publisher would, into a vhost of the test's own.
"""
from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import kombu
import polling
import pytest

from contracts.volunteers.id_number import make_id_number
from services.activities.domain.ids import served_entry_id
from services.volunteers.service import VolunteersService
from yinfa.messaging.dead_letters import dead_letter_queue
from yinfa.store.event_store import EventStore

pytestmark = pytest.mark.integration

CONSUMER = "volunteers"
SOURCE_EXCHANGE = kombu.Exchange("activities.events", type="topic", durable=True)
WAIT = 15.0
HUGE = 5 * 1024 * 1024


@pytest.fixture
def volunteers(container_factory, service_config, rpc_proxy):
    container = container_factory(VolunteersService, service_config)
    container.start()
    return container, rpc_proxy("volunteers", context_data={"actor": "county:320902"})


@pytest.fixture
def wang(volunteers):
    """王建国, registered and verified in 亭湖区: completions credit him hours."""
    _, rpc = volunteers
    shown = rpc.register_volunteer({
        "name": "王建国", "gender": "男", "birth_year": 1956,
        "id_number": make_id_number("320902", date(1956, 3, 8), 3), "phone": "13812345678",
        "county_code": "320902", "retirement_status": "退休", "party_member": True,
    })
    rpc.verify_volunteer({"volunteer_id": shown["volunteer_id"], "county_code": "320902"})
    return shown["volunteer_id"]


@pytest.fixture
def broker(service_config):
    """A channel on the test's vhost, with the consumer's dead-letter queue declared."""
    with kombu.Connection(service_config["AMQP_URI"]) as connection:
        channel = connection.channel()
        dead_letter_queue(CONSUMER)(channel).declare()
        yield channel


def completion(volunteer_id: str, hours: str = "2.5", **changes: Any) -> dict[str, Any]:
    """A valid ActivityCompleted envelope crediting one volunteer; `changes` override."""
    activity_id = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat()
    message = {
        "event_id": str(uuid.uuid4()), "type": "ActivityCompleted", "schema_version": 1,
        "stream_id": f"activity-{activity_id}", "version": 1, "position": 1,
        "occurred_at": now, "recorded_at": now, "correlation_id": str(uuid.uuid4()),
        "causation_id": None, "actor": "county:320902",
        "data": {
            "served": [{"volunteer_id": volunteer_id,
                        "entry_id": served_entry_id(activity_id, volunteer_id),
                        "hours": hours, "served_on": "2026-10-23"}],
            "uncredited": [], "volunteers_credited": 1, "total_hours": hours,
            "audience_reached": 40, "beneficiaries": 12, "evidence": [], "outcome": "圆满完成",
            "endorsed": False, "endorsement_note": None,
        },
    }
    message.update(changes)
    return message


def publish(channel, body: bytes, content_type: str = "application/json",
            routing_key: str = "ActivityCompleted") -> None:
    kombu.Producer(channel).publish(
        body, exchange=SOURCE_EXCHANGE, routing_key=routing_key, content_type=content_type,
        content_encoding="utf-8", delivery_mode=2, declare=[SOURCE_EXCHANGE])


def as_json(message: Any) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode()


def dead_letters(channel, expected: int = 1, timeout: float = WAIT) -> list[kombu.Message]:
    """Wait for `expected` messages on the dead-letter queue; then check none follows."""
    taken: list[kombu.Message] = []
    queue = f"dlq.{CONSUMER}"

    def all_taken() -> bool:
        message = channel.basic_get(queue, no_ack=True)
        if message is not None:
            taken.append(message)
        return len(taken) >= expected

    polling.eventually(all_taken, timeout=timeout)
    polling.throughout(lambda: channel.basic_get(queue, no_ack=True) is None, seconds=0.5)
    return taken


def hours_of(rpc, volunteer_id: str) -> str:
    return rpc.get_volunteer(volunteer_id)["total_hours"]


def eventually(check: Callable[[], Any]) -> Any:
    return polling.eventually(check, timeout=WAIT)


def future_version(vid: str) -> dict:
    return completion(vid, schema_version=99)


def missing_fields(vid: str) -> dict:
    message = completion(vid)
    del message["stream_id"], message["version"]
    return message


def unknown_type(vid: str) -> dict:
    return completion(vid, type="ActivityTeleported")


def operator_in_payload(vid: str) -> dict:
    message = completion(vid)
    message["data"]["served"][0]["volunteer_id"] = {"$ne": None}
    return message


def dotted_key_in_payload(vid: str) -> dict:
    message = completion(vid)
    message["data"]["served.0.hours"] = "24"
    return message


def huge_payload(vid: str) -> dict:
    return completion(vid, data={**completion(vid)["data"], "outcome": "好" * (HUGE // 3)})


# (what is wrong, how the message is built, what its reason must name)
POISON = [
    ("not JSON", lambda vid: (b"{\"event_id\": oops", "application/json"),
     r"cannot read the body as 'application/json'.*DecodeError"),
    ("pickle content type", lambda vid: (as_json(completion(vid)),
                                          "application/x-python-serialize"),
     r"x-python-serialize.*JSON is accepted"),
    ("text content type", lambda vid: (as_json(completion(vid)), "text/plain"),
     r"text/plain.*JSON is accepted"),
    ("an empty JSON list (a batch of nothing)", lambda vid: (as_json([]), "application/json"),
     r"empty batch"),
    ("missing envelope fields", lambda vid: (as_json(missing_fields(vid)), "application/json"),
     r"invalid envelope.*(stream_id|version)"),
    ("unknown event type", lambda vid: (as_json(unknown_type(vid)), "application/json"),
     r"unknown event type.*ActivityTeleported"),
    ("future schema version", lambda vid: (as_json(future_version(vid)), "application/json"),
     r"schema version 99.*ActivityCompleted"),
    ("$ operator in the payload", lambda vid: (as_json(operator_in_payload(vid)),
                                                "application/json"),
     r"ActivityCompleted payload holds the key '\$ne'"),
    ("dotted key in the payload", lambda vid: (as_json(dotted_key_in_payload(vid)),
                                                "application/json"),
     r"ActivityCompleted payload holds the key 'served\.0\.hours'"),
    ("5 MB payload", lambda vid: (as_json(huge_payload(vid)), "application/json"),
     r"message too large: \d+ bytes"),
]


@pytest.mark.parametrize(("build", "reason"), [(b, r) for _, b, r in POISON],
                         ids=[name for name, _, _ in POISON])
def test_a_malformed_message_is_dead_lettered_with_its_reason_and_the_service_goes_on(
        volunteers, wang, broker, mongo_db, build, reason):
    _, rpc = volunteers
    store = EventStore(mongo_db)
    events_before, hours_before = store.head_position(), hours_of(rpc, wang)
    body, content_type = build(wang)

    publish(broker, body, content_type)

    (letter,) = dead_letters(broker)
    assert re.search(reason, letter.headers["x-reason"]), letter.headers["x-reason"]
    assert letter.headers["x-consumer"] == CONSUMER
    kept = letter.body.encode() if isinstance(letter.body, str) else letter.body
    assert kept == body or json.loads(kept) == json.loads(body), "set aside as it came"
    assert store.head_position() == events_before, "nothing of it reaches the store"
    assert mongo_db["inbox_claims"].count_documents({}) == 0
    assert mongo_db["inbox_parked"].count_documents({}) == 0
    assert hours_of(rpc, wang) == hours_before

    publish(broker, as_json(completion(wang, hours="2.5")))  # and the service goes on
    eventually(lambda: hours_of(rpc, wang) == "2.5")
    assert rpc.health()["inbox"]["applied"] == 1


@pytest.mark.parametrize(("poison", "reason"), [
    (unknown_type, r"unknown event type.*ActivityTeleported"),
    (operator_in_payload, r"payload holds the key '\$ne'"),
    (missing_fields, r"invalid envelope"),
    (lambda vid: "not an envelope", r"invalid envelope"),
])
def test_a_poison_event_in_a_batch_message_is_dead_lettered_alone_and_the_others_applied(
        volunteers, wang, broker, poison, reason):
    """The relay's batch messages: a JSON array of envelopes. A broken one among them is
    set aside on its own, with its reason; its neighbours are applied once each."""
    _, rpc = volunteers
    bad = poison(wang)
    batch = [completion(wang, hours="1.5"), bad, completion(wang, hours="2.0")]

    publish(broker, as_json(batch), routing_key="batch")

    (letter,) = dead_letters(broker)
    assert re.search(reason, letter.headers["x-reason"]), letter.headers["x-reason"]
    assert json.loads(letter.body) == bad, "the poison alone, as it came"
    eventually(lambda: hours_of(rpc, wang) == "3.5")

    publish(broker, as_json(batch), routing_key="batch")  # delivered again: nothing twice
    dead_letters(broker)
    polling.throughout(lambda: hours_of(rpc, wang) == "3.5", seconds=1.0, every=0.25)


def test_an_unknown_event_type_that_arrives_out_of_order_is_not_parked(
        volunteers, wang, broker, mongo_db):
    """Parking stores the payload: a message the consumer cannot read never gets there."""
    ahead = completion(wang, type="ActivityTeleported", version=3)
    ahead["data"]["$where"] = "sleep(1000)"
    publish(broker, as_json(ahead))

    (letter,) = dead_letters(broker)
    assert "ActivityTeleported" in letter.headers["x-reason"]
    assert mongo_db["inbox_parked"].count_documents({}) == 0
    assert mongo_db["inbox_streams"].count_documents({}) == 0

"""What a worker's `EventSourcedStreams` does with the store, on the in-memory store
(`EventSourcing.standalone()`: no nameko container, relay or views)."""
from __future__ import annotations

import pytest
from marshmallow import Schema, fields

from yinfa.events.envelope import Metadata, NewEvent
from yinfa.events.registry import SchemaRegistry
from yinfa.service.dependencies import EventSourcedStreams, EventSourcing
from yinfa.store.memory import InMemoryEventStore

HALL = "activity-重阳节义诊"


class SeatTaken(Schema):
    by = fields.String()


REGISTRY = SchemaRegistry().register_module({("SeatTaken", 1): SeatTaken,
                                             ("Published", 1): Schema})


def seats_taken(events) -> int:
    return sum(event.type == "SeatTaken" for event in events)


@pytest.fixture
def streams():
    provider = EventSourcing(REGISTRY, store_factory=InMemoryEventStore).standalone()
    return EventSourcedStreams(provider, Metadata(actor="county_admin:tinghu"))


def test_a_command_that_lost_a_race_is_decided_again_on_the_stream_as_it_now_is(streams):
    streams.store.append(HALL, [NewEvent("SeatTaken", {"by": "王建国"})])
    seen: list[int] = []

    def take_the_last_seat(taken: int) -> list[NewEvent]:
        seen.append(taken)
        if len(seen) == 1:  # another instance takes a seat meanwhile
            streams.store.with_registry(REGISTRY).append(HALL, [NewEvent("SeatTaken", {})])
        return [] if taken >= 2 else [NewEvent("SeatTaken", {"by": "李秀英"})]

    recorded = streams.execute(HALL, seats_taken, take_the_last_seat)

    assert seen == [1, 2]
    assert recorded == []
    assert streams.load(HALL, seats_taken) == (2, 2)


def test_a_command_is_appended_at_the_version_it_was_decided_on_with_the_callers_metadata(
    streams
):
    recorded = streams.execute(HALL, seats_taken, lambda taken: [
        NewEvent("SeatTaken", {"by": "王建国"}), NewEvent("SeatTaken", {"by": "李秀英"})])

    assert [(e.version, e.actor) for e in recorded] == [
        (1, "county_admin:tinghu"), (2, "county_admin:tinghu")]
    assert streams.store.read_stream(HALL) == recorded


def test_commands_caused_by_an_event_carry_its_conversation_and_name_it_as_cause(streams):
    [cause] = InMemoryEventStore().append("activity-1", [NewEvent("ActivityCompleted", {})],
                                          metadata=Metadata(correlation_id="completion-1"))

    [effect] = streams.caused_by(cause).execute(
        HALL, seats_taken, lambda taken: [NewEvent("SeatTaken", {})])

    assert (effect.correlation_id, effect.causation_id, effect.actor) == (
        "completion-1", cause.event_id, "county_admin:tinghu")


def test_starting_streams_answers_none_for_one_that_exists(streams):
    streams.store.append(HALL, [NewEvent("SeatTaken", {})])

    started = streams.start_streams([("activity-new", [NewEvent("Published", {})]),
                                     (HALL, [NewEvent("Published", {})])])

    assert [e.stream_id for e in started[0]] == ["activity-new"]
    assert started[1] is None
    assert seats_taken(streams.store.read_stream(HALL)) == 1

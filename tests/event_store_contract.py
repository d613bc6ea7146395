"""The event store contract: one suite, run against every backend.

`EventStoreContract` states what any event store must do. A backend runs it by
subclassing it in a test module that provides the fixtures `event_store` and
`make_event_store(registry=None)` (another store on the same events, as another
instance of the service sees them):

- tests/integration/store/test_event_store_contract.py: the pymongo store, on the
  embedded nx-27017 or, when MONGO_URI is set, a real MongoDB;
- tests/unit/kernel/test_in_memory_event_store.py: the in-memory store.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from marshmallow import Schema, fields, validate

from yinfa.errors import ConcurrencyError, ValidationFailed
from yinfa.events.envelope import Metadata, NewEvent, RecordedEvent
from yinfa.events.registry import SchemaRegistry
from yinfa.store.event_store import ANY_VERSION, NO_STREAM, DuplicateEventIds

WANG = "volunteer-wang-jianguo"
LI = "volunteer-li-xiuying"
BEIJING = timezone(timedelta(hours=8))


def registered(name: str = "王建国", county: str = "320902", **data) -> NewEvent:
    return NewEvent("VolunteerRegistered", {"name": name, "county_code": county, **data})


def hours_logged(hours: float = 2.5, activity: str = "重阳节义诊") -> NewEvent:
    return NewEvent("HoursLogged", {"hours": hours, "activity": activity})


def logged(*hours: float) -> list[NewEvent]:
    return [hours_logged(hours=h) for h in hours]


def a_life(count: int) -> list[NewEvent]:
    """A registration followed by count - 1 days of service."""
    return [registered()] + logged(*range(1, count))


def versions(events: list[RecordedEvent]) -> list[int]:
    return [event.version for event in events]


def positions(events: list[RecordedEvent]) -> list[int]:
    return [event.position for event in events]


def to_millisecond(moment: datetime) -> datetime:
    """BSON keeps datetimes to the millisecond."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def run_together(*writers: Callable[[], None]) -> None:
    """Start the writers at once, as threads; re-raise the first error any of them met."""
    start, errors = threading.Barrier(len(writers)), []

    def run(writer: Callable[[], None]) -> None:
        try:
            start.wait()
            writer()
        except BaseException as error:  # noqa: BLE001 - raised again below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(writer,)) for writer in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def new_streams(count: int) -> list[tuple[str, list[NewEvent], None]]:
    """A roster: new streams of one to three events each."""
    return [(f"volunteer-roster-{n}", [registered(name=f"志愿者{n}")] + logged(*range(n % 3)),
             None) for n in range(count)]


class RegisteredV1(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1))
    county_code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))


class RegisteredV2(RegisteredV1):
    county_name = fields.String(required=True)


class HoursLoggedV1(Schema):
    hours = fields.Float(required=True, validate=validate.Range(min=0, max=24))
    activity = fields.String(required=True)


def name_the_county(data: dict) -> dict:
    return {**data, "county_name": {"320902": "亭湖区"}.get(data["county_code"], "未知")}


def v1_registry() -> SchemaRegistry:
    return SchemaRegistry().register_module(
        {("VolunteerRegistered", 1): RegisteredV1, ("HoursLogged", 1): HoursLoggedV1}
    )


def v2_registry() -> SchemaRegistry:
    return v1_registry().register_module(
        {("VolunteerRegistered", 2): RegisteredV2},
        {("VolunteerRegistered", 1): name_the_county},
    )


class EventStoreContract:
    # ---- appending ----------------------------------------------------------

    def test_a_new_stream_gets_versions_from_one_and_the_next_global_positions(
        self, event_store
    ):
        recorded = event_store.append(WANG, a_life(3), expected_version=NO_STREAM)

        assert versions(recorded) == [1, 2, 3]
        assert positions(recorded) == [1, 2, 3]
        assert {event.stream_id for event in recorded} == {WANG}
        assert event_store.stream_version(WANG) == 3

    def test_appending_with_the_current_version_continues_the_stream(self, event_store):
        event_store.append(WANG, a_life(2), expected_version=NO_STREAM)

        recorded = event_store.append(WANG, logged(3, 4), expected_version=2)

        assert versions(recorded) == [3, 4]
        assert versions(event_store.read_stream(WANG)) == [1, 2, 3, 4]

    @pytest.mark.parametrize("stale", [1, 3, 7])
    def test_a_wrong_expected_version_is_refused_naming_both_versions_and_stores_nothing(
        self, event_store, stale
    ):
        event_store.append(WANG, a_life(2), expected_version=NO_STREAM)

        with pytest.raises(ConcurrencyError) as refused:
            event_store.append(WANG, [hours_logged()], expected_version=stale)

        assert refused.value.context == {
            "stream_id": WANG, "expected_version": stale, "actual_version": 2,
        }
        assert event_store.stream_version(WANG) == 2
        assert event_store.head_position() == 2

    def test_no_stream_is_refused_when_the_stream_already_exists(self, event_store):
        event_store.append(WANG, [registered()], expected_version=NO_STREAM)

        with pytest.raises(ConcurrencyError) as refused:
            event_store.append(WANG, [registered(name="王建国（又一次）")], NO_STREAM)

        assert refused.value.context["expected_version"] == NO_STREAM
        assert refused.value.context["actual_version"] == 1
        assert [e.data["name"] for e in event_store.read_stream(WANG)] == ["王建国"]

    def test_any_version_starts_a_stream_and_appends_at_its_end(self, event_store):
        first = event_store.append(WANG, [registered()], expected_version=ANY_VERSION)
        then = event_store.append(WANG, logged(1, 2))

        assert versions(first + then) == [1, 2, 3]

    def test_appending_no_events_stores_nothing(self, event_store):
        assert event_store.append(WANG, [], expected_version=NO_STREAM) == []
        assert event_store.head_position() == 0

    # ---- a command's events are one commit ------------------------------------

    def test_a_refused_command_stores_none_of_its_events(self, event_store):
        event_store.append(WANG, [registered()], expected_version=NO_STREAM)

        with pytest.raises(ConcurrencyError):
            event_store.append(WANG, a_life(3), expected_version=NO_STREAM)

        assert versions(event_store.read_stream(WANG)) == [1]
        assert event_store.head_position() == 1

    def test_a_command_whose_last_event_is_invalid_stores_none_of_its_events(
        self, make_event_store
    ):
        store = make_event_store(v1_registry())
        command = [registered(), hours_logged(3), hours_logged(hours=25)]

        with pytest.raises(ValidationFailed):
            store.append(WANG, command, expected_version=NO_STREAM)

        assert store.read_stream(WANG) == []
        assert store.head_position() == 0

    def test_a_commands_events_share_their_metadata_and_recording_time(self, event_store):
        recorded = event_store.append(WANG, a_life(3), metadata=Metadata(actor="admin-盐城"))

        assert len({(e.recorded_at, e.correlation_id, e.actor) for e in recorded}) == 1

    def test_reading_from_inside_a_command_returns_the_rest_of_it(self, event_store):
        event_store.append(WANG, a_life(4), expected_version=NO_STREAM)

        assert versions(event_store.read_stream(WANG, after_version=2)) == [3, 4]
        assert positions(event_store.read_all(after_position=1)) == [2, 3, 4]

    # ---- retries and event identity ---------------------------------------------

    @pytest.mark.parametrize(
        "retry_expecting", [NO_STREAM, ANY_VERSION], ids=["no_stream", "any_version"]
    )
    def test_appending_the_same_events_again_returns_the_first_recording_and_stores_nothing(
        self, event_store, retry_expecting
    ):
        command = a_life(3)
        first = event_store.append(WANG, command, expected_version=NO_STREAM)

        again = event_store.append(WANG, command, expected_version=retry_expecting)

        assert again == first
        assert event_store.head_position() == 3

    def test_a_retry_after_the_stream_moved_on_returns_the_first_recording(
        self, event_store, make_event_store
    ):
        command = [registered()]
        first = event_store.append(WANG, command, expected_version=NO_STREAM)
        event_store.append(WANG, [hours_logged()], expected_version=1)

        again = make_event_store().append(WANG, command, expected_version=NO_STREAM)

        assert again == first
        assert versions(event_store.read_stream(WANG)) == [1, 2]

    def test_a_retry_of_a_command_that_continued_a_stream_returns_its_first_recording(
        self, event_store
    ):
        event_store.append(WANG, [registered()], expected_version=NO_STREAM)
        command = logged(1, 2)
        first = event_store.append(WANG, command, expected_version=1)

        again = event_store.append(WANG, command, expected_version=1)

        assert again == first
        assert versions(event_store.read_stream(WANG)) == [1, 2, 3]

    def test_reusing_an_event_id_with_other_events_is_refused(self, event_store):
        first, second = a_life(2)
        event_store.append(WANG, [first, second], expected_version=NO_STREAM)

        with pytest.raises(DuplicateEventIds):
            event_store.append(WANG, [first, hours_logged()], expected_version=ANY_VERSION)

        assert event_store.head_position() == 2

    def test_an_event_id_already_used_in_another_stream_is_refused(self, event_store):
        event = registered()
        event_store.append(WANG, [event], expected_version=NO_STREAM)

        with pytest.raises(DuplicateEventIds):
            event_store.append(LI, [event], expected_version=NO_STREAM)

        assert event_store.read_stream(LI) == []

    @pytest.mark.parametrize("stream_id", ["position-支部书记", "first_event_id"])
    def test_a_stream_named_like_an_index_field_still_gets_a_clear_conflict(
        self, event_store, stream_id
    ):
        # MongoDB's duplicate-key message quotes the stream id; nx-27017's does not.
        event_store.append(stream_id, [registered()], expected_version=NO_STREAM)

        with pytest.raises(ConcurrencyError) as refused:
            event_store.append(stream_id, [registered()], expected_version=NO_STREAM)

        assert refused.value.context["actual_version"] == 1

    # ---- reading -------------------------------------------------------------------

    def test_a_stream_reads_back_in_version_order_and_from_any_version(self, event_store):
        event_store.append(WANG, [registered()])
        event_store.append(WANG, logged(1, 2, 3))
        event_store.append(WANG, logged(4))
        event_store.append(WANG, logged(5, 6))

        assert versions(event_store.read_stream(WANG)) == [1, 2, 3, 4, 5, 6, 7]
        assert versions(event_store.read_stream(WANG, after_version=4)) == [5, 6, 7]
        assert event_store.read_stream(WANG, after_version=7) == []

    def test_streams_are_kept_apart(self, event_store):
        event_store.append(WANG, [registered()], expected_version=NO_STREAM)
        event_store.append(LI, [registered(name="李秀英", county="320923")], NO_STREAM)

        assert [e.data["name"] for e in event_store.read_stream(LI)] == ["李秀英"]
        assert event_store.stream_version(LI) == 1
        assert event_store.read_stream("volunteer-nobody") == []
        assert event_store.stream_version("volunteer-nobody") == 0

    def test_reading_all_after_a_position_crosses_streams_in_position_order(self, event_store):
        event_store.append(WANG, a_life(2))
        event_store.append(LI, [registered(name="李秀英")])
        event_store.append(WANG, [hours_logged()])

        after_two = event_store.read_all(after_position=2)

        assert [(e.position, e.stream_id, e.version) for e in after_two] == [
            (3, LI, 1), (4, WANG, 3),
        ]
        assert event_store.read_all(after_position=4) == []

    def test_reading_all_stops_at_the_limit_but_never_splits_a_command(self, event_store):
        for _ in range(5):
            event_store.append(LI, [hours_logged()])
        event_store.append(WANG, a_life(3))

        assert positions(event_store.read_all(limit=2)) == [1, 2]
        assert positions(event_store.read_all(after_position=4, limit=2)) == [5, 6, 7, 8]

    def test_iterating_all_pages_through_every_event_once(self, event_store):
        for stream, count in [(WANG, 3), (LI, 1), (WANG, 2), (LI, 4)]:
            event_store.append(stream, logged(*range(count)))

        assert positions(event_store.iter_all(page=3)) == list(range(1, 11))
        assert positions(event_store.iter_all(after_position=6, page=2)) == [7, 8, 9, 10]

    def test_positions_are_gapless_and_follow_commit_order(self, event_store):
        appended = []
        for n in range(12):
            appended += event_store.append(f"volunteer-{n % 3}", logged(*range(1 + n % 4)))

        read = event_store.read_all()
        assert positions(read) == list(range(1, len(appended) + 1))
        assert [e.event_id for e in read] == [e.event_id for e in appended]

    def test_the_head_position_is_zero_when_empty_then_the_last_position(self, event_store):
        assert event_store.head_position() == 0

        event_store.append(WANG, a_life(3))
        event_store.append(LI, [registered(name="李秀英")])

        assert event_store.head_position() == 4

    def test_reading_many_streams_at_once_equals_reading_each(self, event_store):
        event_store.append(WANG, a_life(2))
        event_store.append(LI, [registered(name="李秀英")])
        event_store.append(WANG, [hours_logged()])

        streams = event_store.read_streams([LI, "volunteer-nobody", WANG, LI])

        assert list(streams) == [LI, "volunteer-nobody", WANG]
        assert streams[WANG] == event_store.read_stream(WANG)
        assert versions(streams[WANG]) == [1, 2, 3]
        assert streams[LI] == event_store.read_stream(LI)
        assert streams["volunteer-nobody"] == []
        assert event_store.existing_streams([WANG, "volunteer-nobody", LI]) == {WANG, LI}
        assert event_store.read_streams([]) == {}
        assert event_store.existing_streams([]) == set()

    # ---- starting many streams in one write ------------------------------------------

    def test_new_streams_take_the_next_consecutive_positions_with_versions_from_one(
        self, event_store
    ):
        event_store.append(WANG, [registered()], expected_version=NO_STREAM)
        batch = new_streams(7)

        recorded = event_store.append_new_streams(batch)

        assert [events[0].stream_id for events in recorded] == [s for s, _, _ in batch]
        assert [versions(events) for events in recorded] == [
            list(range(1, len(events) + 1)) for _, events, _ in batch]
        flat = [event for events in recorded for event in events]
        assert positions(flat) == list(range(2, 2 + len(flat)))
        assert all(events == event_store.read_stream(events[0].stream_id)
                   for events in recorded)
        assert positions(event_store.read_all()) == list(range(1, 2 + len(flat)))

    def test_a_new_stream_that_exists_is_answered_none_and_left_alone(self, event_store):
        batch = new_streams(4)
        event_store.append(batch[2][0], [registered(name="先来的人")], NO_STREAM)

        recorded = event_store.append_new_streams(batch)

        assert recorded[2] is None
        assert [e.data["name"] for e in event_store.read_stream(batch[2][0])] == ["先来的人"]
        assert [events[0].stream_id for events in recorded if events] == [
            batch[0][0], batch[1][0], batch[3][0]]
        assert positions(event_store.read_all()) == list(
            range(1, event_store.head_position() + 1))

    def test_a_new_stream_without_events_is_answered_empty_and_not_started(self, event_store):
        recorded = event_store.append_new_streams([(WANG, [], None), (LI, [registered()], None)])

        assert recorded[0] == []
        assert versions(recorded[1]) == [1]
        assert event_store.existing_streams([WANG, LI]) == {LI}

    def test_starting_the_same_streams_again_answers_the_first_recording(
        self, event_store, make_event_store
    ):
        batch = new_streams(5)
        first = event_store.append_new_streams(batch)
        head = event_store.head_position()

        again = event_store.append_new_streams(batch)
        from_another_instance = make_event_store().append_new_streams(batch)

        assert again == first
        assert from_another_instance == first
        assert event_store.head_position() == head

    def test_an_invalid_event_in_a_batch_of_new_streams_stores_nothing(self, make_event_store):
        store = make_event_store(v1_registry())
        batch = new_streams(3) + [(WANG, [registered(county="亭湖区")], None)]

        with pytest.raises(ValidationFailed):
            store.append_new_streams(batch)

        assert store.head_position() == 0

    # ---- what an event keeps ---------------------------------------------------------

    def test_data_round_trips_unchanged(self, event_store):
        data = {
            "name": "王建国", "former_employer": "盐城市亭湖区财政局（退休）",
            "note": "「银发生辉」志愿服务 🌸", "hours": 2.5, "count": 3, "big": 2**40,
            "negative": -7, "verified": True, "insurance": None, "empty": "",
            "skills": ["义诊", "书法"], "address": {"county": {"code": "320902", "name": "亭湖区"},
                                                "lines": [{"room": 301}]},
        }

        event_store.append(WANG, [NewEvent("VolunteerRegistered", data)])

        assert event_store.read_stream(WANG)[0].data == data
        assert event_store.read_all()[0].data == data

    def test_times_are_timezone_aware_utc(self, event_store):
        recorded = event_store.append(WANG, [registered()])
        read = event_store.read_stream(WANG) + event_store.read_all()

        for event in recorded + read:
            assert event.occurred_at.utcoffset() == timedelta(0)
            assert event.recorded_at.utcoffset() == timedelta(0)

    def test_occurred_at_is_kept_as_the_same_instant(self, event_store):
        at_the_festival = datetime(2025, 10, 29, 9, 30, 15, 123456, tzinfo=BEIJING)
        event = NewEvent("HoursLogged", {"hours": 3}, occurred_at=at_the_festival)

        event_store.append(WANG, [event])

        assert event_store.read_stream(WANG)[0].occurred_at == to_millisecond(at_the_festival)

    def test_append_returns_exactly_what_a_later_read_returns(self, event_store):
        at_the_festival = datetime(2025, 10, 29, 9, 30, 15, 123456, tzinfo=BEIJING)
        events = [registered(), NewEvent("HoursLogged", {"h": 3}, occurred_at=at_the_festival)]

        recorded = event_store.append(WANG, events)

        assert [e.to_message() for e in recorded] == [
            e.to_message() for e in event_store.read_stream(WANG)
        ]
        assert recorded == event_store.read_all()

    def test_the_recording_time_is_now(self, event_store):
        before = datetime.now(UTC) - timedelta(seconds=1)

        recorded = event_store.append(WANG, [registered()])

        assert before <= event_store.read_all()[0].recorded_at <= datetime.now(UTC)
        assert recorded[0].occurred_at <= recorded[0].recorded_at + timedelta(milliseconds=1)

    def test_metadata_is_kept_on_every_event_of_the_command(self, event_store):
        metadata = Metadata(actor="盐城市委老干部局-张主任", correlation_id="corr-重阳节",
                            causation_id="cmd-42")

        event_store.append(WANG, a_life(2), metadata=metadata)

        for event in event_store.read_stream(WANG):
            assert (event.actor, event.correlation_id, event.causation_id) == (
                "盐城市委老干部局-张主任", "corr-重阳节", "cmd-42",
            )

    def test_without_metadata_the_system_acts_in_a_fresh_conversation(self, event_store):
        first = event_store.append(WANG, [registered()])[0]
        second = event_store.append(LI, [registered(name="李秀英")])[0]

        assert (first.actor, first.causation_id) == ("system", None)
        assert first.correlation_id != second.correlation_id

    def test_a_recorded_event_survives_the_trip_through_a_json_message(self, event_store):
        event_store.append(WANG, [registered(skills=["义诊"], address={"county": "亭湖区"})],
                           metadata=Metadata(actor="张主任", causation_id="cmd-1"))
        recorded = event_store.read_all()[0]

        message = json.loads(json.dumps(recorded.to_message(), ensure_ascii=False))

        assert RecordedEvent.from_message(message) == recorded

    # ---- schemas ----------------------------------------------------------------------

    def test_invalid_data_is_refused_with_its_field_errors_and_nothing_is_stored(
        self, make_event_store
    ):
        store = make_event_store(v1_registry())

        with pytest.raises(ValidationFailed) as refused:
            store.append(WANG, [registered(county="亭湖区")], expected_version=NO_STREAM)

        assert "county_code" in refused.value.errors["data"]
        assert store.head_position() == 0
        assert store.stream_version(WANG) == 0

    def test_valid_data_is_stored_in_its_schema_form(self, make_event_store):
        store = make_event_store(v1_registry())

        store.append(WANG, [hours_logged(hours=3)])

        assert store.read_stream(WANG)[0].data == {"hours": 3.0, "activity": "重阳节义诊"}

    def test_an_event_stored_as_v1_is_read_as_v2_and_never_rewritten(self, make_event_store):
        make_event_store(v1_registry()).append(WANG, [registered(), hours_logged()])

        upcasting = make_event_store(v2_registry())
        read = upcasting.read_stream(WANG)[0]
        from_all = upcasting.read_all()[0]

        assert (read.schema_version, read.data) == (2, {
            "name": "王建国", "county_code": "320902", "county_name": "亭湖区",
        })
        assert from_all == read
        assert upcasting.read_stream(WANG)[1].schema_version == 1  # HoursLogged has no v2
        stored = make_event_store(v1_registry()).read_stream(WANG)[0]
        assert (stored.schema_version, "county_name" in stored.data) == (1, False)

    def test_a_store_without_a_registry_keeps_events_as_stored(self, make_event_store):
        make_event_store(v1_registry()).append(WANG, [registered()])

        assert make_event_store().read_stream(WANG)[0].schema_version == 1

    # ---- several instances on one database (scaled service) ----------------------------

    def test_another_instance_sees_the_same_streams_and_positions(
        self, event_store, make_event_store
    ):
        written = event_store.append(WANG, a_life(3))
        other = make_event_store()

        assert other.read_stream(WANG) == event_store.read_stream(WANG)
        assert other.head_position() == 3
        assert other.append(LI, [registered(name="李秀英")])[0].position == 4
        assert positions(event_store.read_all()) == [1, 2, 3, 4]
        assert written[0].event_id == other.read_all()[0].event_id

    def test_a_stale_cached_head_still_gets_a_conflict(self, event_store, make_event_store):
        event_store.append(WANG, [registered()], expected_version=NO_STREAM)
        make_event_store().append(WANG, [hours_logged()], expected_version=1)

        with pytest.raises(ConcurrencyError) as refused:
            event_store.append(WANG, [hours_logged(4)], expected_version=1)

        assert refused.value.context == {
            "stream_id": WANG, "expected_version": 1, "actual_version": 2,
        }
        assert versions(event_store.read_stream(WANG)) == [1, 2]

    def test_a_stale_cache_neither_reuses_nor_skips_positions(
        self, event_store, make_event_store
    ):
        event_store.append(WANG, [registered()])
        other = make_event_store()
        other.append(LI, a_life(3))

        recorded = event_store.append(WANG, [hours_logged()])  # its cache says position 2
        also = event_store.append(WANG, [hours_logged()], expected_version=ANY_VERSION)

        assert [(e.version, e.position) for e in recorded + also] == [(2, 5), (3, 6)]
        assert positions(other.read_all()) == [1, 2, 3, 4, 5, 6]


    # ---- writers racing (scaled instances, each with its own store) -----------------

    def test_of_writers_that_saw_the_same_version_one_wins_and_the_others_store_nothing(
        self, event_store, make_event_store
    ):
        event_store.append(WANG, [registered()], expected_version=NO_STREAM)
        won: list[list[RecordedEvent]] = []
        lost: list[ConcurrencyError] = []

        def writer() -> None:
            try:
                won.append(make_event_store().append(WANG, logged(1, 2), expected_version=1))
            except ConcurrencyError as error:
                lost.append(error)

        run_together(*[writer] * 4)

        assert (len(won), len(lost)) == (1, 3)
        assert {error.context["actual_version"] for error in lost} == {3}
        assert event_store.read_stream(WANG, after_version=1) == won[0]
        assert event_store.head_position() == 3

    def test_racing_writers_leave_positions_gapless_and_in_each_writers_commit_order(
        self, event_store, make_event_store
    ):
        streams = [WANG, LI, "volunteer-zhang-guiying"]
        written: dict[int, list[str]] = {}

        def writer(number: int) -> Callable[[], None]:
            def write() -> None:
                store, mine = make_event_store(), written.setdefault(number, [])
                for n in range(8):
                    command = logged(*range(1 + (number + n) % 3))
                    store.append(streams[(number + n) % len(streams)], command)
                    mine.extend(event.event_id for event in command)
            return write

        run_together(*[writer(number) for number in range(4)])

        stored = event_store.read_all(limit=10_000)
        assert positions(stored) == list(range(1, len(stored) + 1))
        assert sorted(e.event_id for e in stored) == sorted(
            event_id for mine in written.values() for event_id in mine)
        for stream_id in streams:
            read = event_store.read_stream(stream_id)
            assert versions(read) == list(range(1, len(read) + 1))
        order = [e.event_id for e in stored]
        for mine in written.values():
            assert [event_id for event_id in order if event_id in set(mine)] == mine

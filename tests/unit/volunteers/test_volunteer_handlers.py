"""The volunteers service's command handlers, on the in-memory event store.

The service is built with nameko's `worker_factory`, its `streams` a real
`EventSourcedStreams` on `InMemoryEventStore` (`EventSourcing.standalone()`); the inbox
and secrets providers are worker_factory's mocks, the secrets themselves come from the
test run's environment. Commands go through the service's command table
(`handlers.COMMANDS`), loaded by their published schemas into command objects, not
through the RPC methods: those answer from the views, kept in MongoDB, which a unit test
has not (nor views: `standalone()` refreshes none).
Registration also keeps the person's data in MongoDB: here `personal.keep` is replaced by
a record of what it was handed. Events from the activities service go through the
service's own `_apply_activities_event`, as its inbox calls it.
"""
from __future__ import annotations

from datetime import date

import pytest
from nameko.testing.services import worker_factory

from contracts.volunteers.streams import build_registry, volunteer_stream
from services.volunteers import dependencies as personal, handlers
from services.volunteers.domain import commands
from services.volunteers.service import VolunteersService
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound, ValidationFailed
from yinfa.events.envelope import Metadata, NewEvent
from yinfa.service.dependencies import EventSourcedStreams, EventSourcing
from yinfa.store.memory import InMemoryEventStore

TINGHU = "320902"  # 亭湖区, 王建国's county (see conftest)
ADMIN = Metadata(actor="county_admin:tinghu", correlation_id="conversation-1")
SHEYANG = "320924"  # 射阳县, another county of the city


@pytest.fixture
def service():
    provider = EventSourcing(build_registry(), store_factory=InMemoryEventStore).standalone()
    return worker_factory(VolunteersService, streams=EventSourcedStreams(provider, ADMIN))


@pytest.fixture
def store(service):
    return service.streams.store


@pytest.fixture
def kept(monkeypatch, store):
    """What registration hands to the personal data store, with the version its stream
    had at that moment."""
    handed: list[tuple[str, dict, int]] = []

    def keep(db, volunteer_id, person):
        version = store.stream_version(volunteer_stream(volunteer_id))
        first = volunteer_id not in {vid for vid, _, _ in handed}  # kept once, as the store
        # the personal data store keeps these fields of what it is handed
        handed.append((volunteer_id, {name: person[name] for name in personal.FIELDS}, version))
        return first

    monkeypatch.setattr(personal, "keep", keep)
    # no number was corrected: each names its own record (aliases are MongoDB's too)
    monkeypatch.setattr(personal, "record_of", lambda db, derived_id: derived_id)
    return handed


@pytest.fixture
def registered(service, kept, registration):
    """王建国, registered: his volunteer id."""
    return register(service, registration())


def handle(service, command_type, payload):
    """A command as the service's entrypoint hands it on: loaded once, then handled."""
    return handlers.COMMANDS.handle(service.streams, command_type, payload)


def register(service, payload):
    return handle(service, commands.RegisterVolunteer, payload).volunteer_id


def types(store, volunteer_id, after_version=0):
    return [e.type for e in store.read_stream(volunteer_stream(volunteer_id), after_version)]


def verify(service, volunteer_id, county=TINGHU):
    return handle(service, commands.VerifyVolunteer,
                  {"volunteer_id": volunteer_id, "county_code": county})


def record(service, volunteer_id, hours=2.5, entry_id="7d3b1c6e-0b5f-4a43-9d1c-1f2a3b4c5d6e"):
    return handle(service, commands.RecordHours, {
        "volunteer_id": volunteer_id, "entry_id": entry_id, "hours": hours,
        "served_on": "2023-10-23", "source": "bureau"})


# ---- register ----------------------------------------------------------------------


def test_registering_starts_the_volunteer_stream_with_one_event_and_no_personal_data(
    service, store, kept, registration
):
    volunteer_id = register(service, registration())

    [event] = store.read_stream(volunteer_stream(volunteer_id))
    assert (event.type, event.version, event.actor) == (
        "VolunteerRegistered", 1, "county_admin:tinghu")
    assert event.data["county_code"] == TINGHU
    person = {name: registration()[name] for name in ("name", "phone", "id_number")}
    assert not any(value in str(event.data) for value in person.values())
    assert kept == [(volunteer_id, person, 0)]  # kept while the stream was still empty


def test_registering_the_same_person_again_is_refused_and_appends_nothing(
    service, store, registered, registration
):
    with pytest.raises(AlreadyExists) as refused:
        register(service, registration(phone="13900001111"))

    assert refused.value.field == "id_number"
    assert store.head_position() == 1


def test_an_invalid_registration_is_refused_at_the_boundary_and_appends_nothing(
    service, store, kept, registration
):
    with pytest.raises(ValidationFailed) as refused:
        register(service, registration(phone="12345"))

    assert "phone" in refused.value.errors
    assert (store.head_position(), kept) == (0, [])


# ---- verify ------------------------------------------------------------------------


def test_the_own_county_verifies_a_registered_volunteer(service, store, registered):
    assert verify(service, registered) == 1

    assert types(store, registered, after_version=1) == ["VolunteerVerified"]


def test_another_county_may_not_verify_and_nothing_is_appended(service, store, registered):
    with pytest.raises(DomainRuleViolated) as refused:
        verify(service, registered, SHEYANG)

    assert refused.value.field == "county_code"
    assert types(store, registered) == ["VolunteerRegistered"]


def test_verifying_twice_is_refused_and_appends_nothing(service, store, registered):
    verify(service, registered)

    with pytest.raises(DomainRuleViolated) as refused:
        verify(service, registered)

    assert refused.value.field == "volunteer_id"
    assert types(store, registered) == ["VolunteerRegistered", "VolunteerVerified"]


def test_verifying_nobody_is_not_found(service, store):
    with pytest.raises(NotFound):
        verify(service, "0b7c1f2e-6a5d-4c3b-8a9f-0e1d2c3b4a59")

    assert store.head_position() == 0


# ---- suspend -----------------------------------------------------------------------


def suspend(service, volunteer_id):
    return handle(service, commands.SuspendVolunteer,
                  {"volunteer_id": volunteer_id, "reason": "长期联系不上"})


def test_suspending_records_the_reason(service, store, registered):
    assert suspend(service, registered) == 1

    [event] = store.read_stream(volunteer_stream(registered), after_version=1)
    assert (event.type, event.data["reason"]) == ("VolunteerSuspended", "长期联系不上")


def test_suspending_twice_is_refused_and_appends_nothing(service, store, registered):
    suspend(service, registered)

    with pytest.raises(DomainRuleViolated):
        suspend(service, registered)

    assert types(store, registered) == ["VolunteerRegistered", "VolunteerSuspended"]


# ---- record hours ------------------------------------------------------------------


def test_recorded_hours_go_on_the_ledger(service, store, registered):
    verify(service, registered)

    assert record(service, registered, hours=2.5) == 1

    [event] = store.read_stream(volunteer_stream(registered), after_version=2)
    assert (event.type, event.data["hours"], event.data["served_on"]) == (
        "HoursRecorded", "2.5", "2023-10-23")


def test_the_same_ledger_entry_twice_is_refused_and_appends_nothing(service, store, registered):
    record(service, registered)

    with pytest.raises(AlreadyExists) as refused:
        record(service, registered, hours=3)

    assert refused.value.field == "entry_id"
    assert types(store, registered) == ["VolunteerRegistered", "HoursRecorded"]


@pytest.mark.parametrize("hours", [25, 0, 2.25])
def test_impossible_hours_are_refused_at_the_boundary_and_append_nothing(
    service, store, registered, hours
):
    with pytest.raises(ValidationFailed) as refused:
        record(service, registered, hours=hours)

    assert "hours" in refused.value.errors

    assert store.head_position() == 1


def test_a_suspended_volunteer_logs_no_hours(service, store, registered):
    suspend(service, registered)

    with pytest.raises(DomainRuleViolated):
        record(service, registered)

    assert store.head_position() == 2


# ---- hours from the activities service ---------------------------------------------


def test_hours_from_a_completed_activity_are_recorded_once_with_their_cause(
    service, store, registered
):
    activities = InMemoryEventStore()  # the activities service's own store
    [completed] = activities.append("activity-4c1e1b2a-93a8-4f55-bb7e-7f0d3c2b1a00", [
        NewEvent("ActivityCompleted", {"served": [{
            "volunteer_id": registered, "entry_id": "5f0e2d1c-3b4a-4958-8766-5544332211ff",
            "hours": "2.5", "served_on": date(2023, 10, 23).isoformat()}]})],
        metadata=Metadata(actor="activities", correlation_id="completion-1"))

    service._apply_activities_event(completed)
    service._apply_activities_event(completed)  # delivered again: a repeat

    [event] = store.read_stream(volunteer_stream(registered), after_version=1)
    assert (event.type, event.data["hours"], event.data["source"]) == (
        "HoursRecorded", "2.5", "activity")
    assert (event.correlation_id, event.causation_id) == ("completion-1", completed.event_id)

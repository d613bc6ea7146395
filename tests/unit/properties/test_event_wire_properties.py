"""The event envelope, the schema registries and the upcasters under arbitrary input: what a
consumer reads off the wire either becomes the event that was sent or is refused with the
errors the inbox dead-letters; payload validation refuses with a typed error only; an old
version upcast folds like the current one."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings, strategies as st
from marshmallow import ValidationError
from property_support import PROPERTY_SETTINGS, junk, known, over_the_wire

from contracts.activities import events as activity_events
from contracts.branches import events as branch_events
from contracts.volunteers import events as volunteer_events
from services.volunteers.domain import volunteer
from yinfa.errors import ValidationFailed
from yinfa.events.envelope import RecordedEvent

CATALOGS = [volunteer_events.CATALOG, branch_events.CATALOG, activity_events.CATALOG]
SCHEMAS = sorted({(event_type, version, id(catalog)): catalog
                  for catalog in CATALOGS
                  for event_type, version in catalog.registry._schemas}.items())

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=st.just(UTC))
EXAMPLE = {
    "event_id": "7d0e4b8a-2f57-4c38-9a0f-3c1f0e7b9d21", "type": "VolunteerVerified",
    "schema_version": 1, "stream_id": "volunteer-1", "version": 2, "position": 7,
    "occurred_at": "2026-03-01T08:00:00+00:00", "recorded_at": "2026-03-01T08:00:00+00:00",
    "correlation_id": "c", "causation_id": None, "actor": "county:320902", "data": {},
}
ENVELOPE_FIELDS = ("event_id", "type", "schema_version", "stream_id", "version", "position",
                   "occurred_at", "recorded_at", "correlation_id", "causation_id", "actor",
                   "data")


@st.composite
def recorded_events(draw) -> RecordedEvent:
    return RecordedEvent(
        event_id=str(draw(st.uuids())), type=draw(st.text(min_size=1, max_size=100)),
        schema_version=draw(st.integers(1, 10**6)),
        stream_id=draw(st.text(min_size=1, max_size=200)),
        version=draw(st.integers(1, 10**9)), position=draw(st.integers(1, 10**12)),
        occurred_at=draw(moments), recorded_at=draw(moments),
        correlation_id=draw(st.text(max_size=40)),
        causation_id=draw(st.none() | st.text(max_size=40)), actor=draw(st.text(max_size=40)),
        data=draw(st.dictionaries(st.text(max_size=10), json_values, max_size=5)),
    )


@PROPERTY_SETTINGS
@given(event=recorded_events())
def test_any_well_formed_event_comes_off_the_wire_as_it_was_sent(event):
    over_the_wire(event)


@PROPERTY_SETTINGS
@given(event=recorded_events(), broken=st.sets(st.sampled_from(ENVELOPE_FIELDS), min_size=1,
                                                max_size=3), values=st.lists(junk(), min_size=3,
                                                                             max_size=3))
def test_a_damaged_envelope_is_refused_with_the_errors_the_inbox_dead_letters(
        event, broken, values):
    message = event.to_message()
    for name, value in zip(sorted(broken), values, strict=False):
        if value is None and name != "causation_id":
            message.pop(name)
        else:
            message[name] = value
    try:
        back = RecordedEvent.from_message(json.loads(json.dumps(message)))
    except (ValidationError, TypeError):
        return
    assert back.to_message()["event_id"] == str(uuid.UUID(back.event_id))


@pytest.mark.parametrize(("sent", "read"), [
    ("2026-03-01T08:00:00+08:00", datetime(2026, 3, 1, 0, 0, tzinfo=UTC)),
    ("2026-03-01T00:00:00Z", datetime(2026, 3, 1, tzinfo=UTC)),
    ("2026-03-01T08:00:00.250000", datetime(2026, 3, 1, 8, 0, 0, 250000, tzinfo=UTC)),  # naive: UTC
])
def test_an_instant_in_any_iso_form_is_read_as_that_instant(sent, read):
    message = {**RecordedEvent.from_message(EXAMPLE).to_message(), "recorded_at": sent}
    assert RecordedEvent.from_message(message).recorded_at == read


@pytest.mark.parametrize("sent", ["2026-03-01", "2026-13-01T00:00:00", "yesterday", "", 1772352000,
                                  None])
def test_an_instant_that_is_not_one_is_refused_naming_the_field(sent):
    with pytest.raises(ValidationError) as refused:
        RecordedEvent.from_message({**EXAMPLE, "occurred_at": sent})
    assert set(refused.value.messages) == {"occurred_at"}


@PROPERTY_SETTINGS
@given(value=json_values)
def test_any_json_value_is_an_envelope_or_refused_with_those_errors(value):
    try:
        event = RecordedEvent.from_message(value)
    except (ValidationError, TypeError) as refused:
        assert str(refused)  # a reason the dead letter carries
        return
    assert isinstance(value, dict)  # only an object can be an envelope
    assert RecordedEvent.from_message(event.to_message()) == event


@pytest.mark.parametrize(("event_type", "version", "catalog"),
                         [(t, v, c) for (t, v, _), c in SCHEMAS],
                         ids=[f"{t}-v{v}" for (t, v, _), _ in SCHEMAS])
@settings(PROPERTY_SETTINGS, max_examples=12)  # times some fifty schemas
@given(data=st.dictionaries(st.text(max_size=12), junk(), max_size=6))
def test_payload_validation_refuses_only_with_a_typed_error(event_type, version, catalog, data):
    try:
        valid = catalog.registry.validate(event_type, version, data)
    except ValidationFailed:
        return
    assert catalog.registry.validate(event_type, version, valid) == valid  # dump is stable


REGISTERED_V1 = st.fixed_dictionaries({
    "name": st.text(min_size=1, max_size=50), "gender": st.sampled_from(["male", "female"]),
    "birth_year": st.integers(1920, 1980),
    "id_number_masked": st.just("320902********0011"),
    "phone": st.sampled_from(["13812345678", "139****1111"]),
    "county_code": st.sampled_from(["320902", "320903"]),
    "former_employer": st.none() | st.text(max_size=100),
    "retirement_status": st.sampled_from(["lixiu", "tuixiu"]), "party_member": st.booleans(),
    "branch_id": st.none() | st.just(known("财政局离退休干部党支部")),
    "skills": st.lists(st.sampled_from(["law", "medicine"]), max_size=2),
})


@PROPERTY_SETTINGS
@given(data=REGISTERED_V1)
def test_a_first_version_registration_upcasts_to_the_current_one_without_personal_data(data):
    catalog = volunteer_events.CATALOG
    catalog.registry.validate(volunteer_events.VOLUNTEER_REGISTERED, 1, data)
    version, upcast = catalog.registry.upcast(volunteer_events.VOLUNTEER_REGISTERED, 1, data)
    assert version == catalog.current_versions[volunteer_events.VOLUNTEER_REGISTERED] == 3
    assert catalog.registry.validate(volunteer_events.VOLUNTEER_REGISTERED, 3, upcast)
    personal = {"name", "phone", "id_number_masked"}
    assert upcast == {**{k: v for k, v in data.items() if k not in personal},
                      "insurance": False}  # never declared: not in place
    folded = volunteer.evolve(None, volunteer_events.VOLUNTEER_REGISTERED, upcast)
    assert folded.insurance is False and folded.county_code == data["county_code"]
    assert not personal & set(vars(folded))

"""The public form and profiles: a whitelist without free text or personal fields, the
one documented in docs/feeds.md, and each profile's fields and names exactly."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from contracts.activities.events import SCHEMAS as ACTIVITY_SCHEMAS
from contracts.branches.events import SCHEMAS as BRANCH_SCHEMAS
from contracts.feeds.profiles import ProfileBody, named_volunteers, redact
from contracts.feeds.public import NAME_FIELD, PUBLIC, build_registry, public_data
from contracts.volunteers.events import SCHEMAS as VOLUNTEER_SCHEMAS
from yinfa.errors import ValidationFailed

DOC = Path(__file__).resolve().parents[3] / "docs" / "feeds.md"
FREE_TEXT = {"name_of_person", "phone", "id_number", "id_number_masked", "note", "reason",
             "description", "label", "outcome", "evidence", "endorsement_note", "place",
             "secretary", "liaison", "applicant", "reviewer", "former_employer"}
SOURCES = {"volunteers": VOLUNTEER_SCHEMAS, "branches": BRANCH_SCHEMAS,
           "activities": ACTIVITY_SCHEMAS}


def test_every_public_field_is_a_field_of_the_source_event_and_none_is_free_text():
    for event_type, (source, _, names) in PUBLIC.items():
        versions = [schema for (t, _), schema in SOURCES[source].items() if t == event_type]
        assert versions, event_type
        current = versions[-1]().fields
        assert set(names) <= set(current), (event_type, set(names) - set(current))
        assert not set(names) & FREE_TEXT, event_type
    assert "name" in PUBLIC["TeamCreated"][2]  # organisations' names are public


def test_the_documented_table_is_the_whitelist():
    rows = re.findall(r"^\| `(\w+)` \| (\w+) \| (\d+) \| (.*) \|$", DOC.read_text(), re.M)
    documented = {t: (s, int(v), tuple(re.findall(r"`(\w+)`", f))) for t, s, v, f in rows
                  if t in PUBLIC or s in SOURCES}
    assert documented == PUBLIC


def test_the_public_log_refuses_any_field_beyond_the_whitelist():
    registry = build_registry()
    data = public_data("VolunteerSuspended", {"reason": "私事"})
    assert data == {} and registry.validate("VolunteerSuspended", 1, data) == {}
    with pytest.raises(ValidationFailed):
        registry.validate("VolunteerSuspended", 1, {"reason": "私事"})


ENTRY = {"position": 3, "event_id": "e", "type": "HoursRecorded", "schema_version": 1,
         "stream": "volunteer-v1", "stream_version": 2, "occurred_at": "2026-10-01T00:00:00",
         "data": {"entry_id": "x", "hours": "2.0", "served_on": "2026-10-01",
                  "source": "bureau", "activity_id": None}}


def test_a_profile_keeps_its_fields_only_and_names_where_it_allows():
    profile = ProfileBody().load({"label": "民政", "names": True,
                                  "types": {"HoursRecorded": ["hours"]}})
    assert named_volunteers([ENTRY], profile) == ["v1"]
    shown = redact(ENTRY, profile, {"v1": "欧阳·娜娜"})
    assert shown is not None and shown["data"] == {"hours": "2.0", NAME_FIELD: "欧阳·娜娜"}
    assert redact(ENTRY, profile, {})["data"] == {"hours": "2.0"}  # erased: no name
    without = {**profile, "names": False}
    assert redact(ENTRY, without, {"v1": "欧阳·娜娜"})["data"] == {"hours": "2.0"}
    assert redact({**ENTRY, "type": "StarLevelChanged"}, profile) is None


def test_a_profile_names_only_public_types_and_fields():
    with pytest.raises(Exception, match="types"):
        ProfileBody().load({"label": "x", "types": {"HoursRecorded": ["note"]}})
    with pytest.raises(Exception, match="types"):
        ProfileBody().load({"label": "x", "types": {"VolunteerPersonalDataChanged": []}})

"""Scoring's store against the real database: facts survive the round trip, a stream
without a county is refused, a branch's certification counts for the branch's county."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.scoring.domain import facts as domain
from services.scoring.projection import ScoringFacts
from yinfa.events.envelope import RecordedEvent

ZONE = "320972"
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def event(event_type: str, stream_id: str, version: int, **data) -> RecordedEvent:
    return RecordedEvent(str(uuid.uuid4()), event_type, 1, stream_id, version, version,
                         NOW, NOW, "c", None, "test", data)


def test_facts_round_trip_and_lookups(mongo_db):
    store = ScoringFacts(mongo_db)
    history = [
        event("VolunteerRegistered", "volunteer-v1", 1, county_code=ZONE),
        event("HoursRecorded", "volunteer-v1", 2, entry_id="e1", hours="2.5",
              served_on="2026-02-01"),
        event("BranchEstablished", "branch-b1", 1, county_code=ZONE, branch_type="formal"),
        event("CertificationGranted", "certification-b1", 3, level="standard"),
        event("ActivityPublished", "activity-a1", 1, county_code=ZONE, theme="party_story",
              starts_at="2026-02-02T09:00:00+08:00"),
        event("ActivityCompleted", "activity-a1", 5, audience_reached=40, endorsed=True),
        event("WishPosted", "wish-w1", 1, county_code=ZONE),
        event("WishConfirmed", "wish-w1", 4, seconds_to_fulfil=86400,
              confirmed_at="2026-02-03T10:00:00+08:00"),
    ]
    for e in history:
        store.apply(e)
    expected = domain.fold(
        (domain.Event(e.event_id, e.type, e.stream_id, e.data) for e in history),
        county_of=store.county_of)
    assert store.all() == dict(expected)


def test_an_event_whose_county_is_unknown_is_refused(mongo_db):
    store = ScoringFacts(mongo_db)
    with pytest.raises(domain.UnknownCounty):
        store.apply(event("HoursRecorded", "volunteer-nobody", 2, entry_id="e1", hours="1",
                          served_on="2026-02-01"))
    assert store.all() == {}

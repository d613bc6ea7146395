"""Scoring and moving between cities: a volunteer released to another city is no longer
one of the county's volunteers, but the hours they served stay in the county and period
where they were served; a volunteer arriving from another city counts as one of the
receiving county's volunteers from then on, and the hours they carry count in no
ranking here (only hours served here do). In any delivery order."""
from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from scoring_builders import event, fold_all, hours, registered
from unit.volunteers.test_moving_city import SAMPLE_RECORD

from contracts.volunteers.catalog import load_volunteer_catalog
from contracts.volunteers.city_transfer_record import VolunteerRecordV1
from services.scoring.domain.facts import Period
from services.volunteers.domain import city_transfer

TINGHU = "320902"
YEAR = Period(date(2026, 1, 1), date(2027, 1, 1))


def released(vid: str):
    return event("VolunteerTransferredOut", f"volunteer-{vid}", {
        "to_city": "3206", "county_code": TINGHU, "package_id": "a1" * 16,
        "released_by": "county"})


def arrived(vid: str) -> list:
    """The events an arrival records (as the domain decides them), carrying 12 hours."""
    decided = city_transfer.arrive_from_city(None, VolunteerRecordV1().load(SAMPLE_RECORD),
                                             TINGHU, "b2" * 16, load_volunteer_catalog(),
                                             here="3206")
    return [event(e.type, f"volunteer-{vid}", dict(e.data)) for e in decided]


def measured(events: list) -> tuple:
    m = fold_all(events)[TINGHU].measures(YEAR)
    return m["volunteers_registered"].value, m["service_hours"].value


def test_a_released_volunteers_hours_stay_where_they_were_served():
    events = [registered("gone", TINGHU), hours("gone", "gone-h1", "3.0"), released("gone"),
              registered("stays", TINGHU), hours("stays", "stays-h1", "2.0")]
    rng = random.Random(18)
    for _ in range(20):
        assert measured(rng.sample(events, len(events))) == (1, Decimal("5.0"))


def test_hours_carried_from_another_city_count_in_no_ranking_here():
    events = [*arrived("newcomer"), hours("newcomer", "here-h1", "2.0")]
    assert sum(1 for e in events if e.type == "VolunteerTransferredIn") == 1
    rng = random.Random(19)
    for _ in range(20):
        # one more volunteer of the county; only the 2 hours served here count
        assert measured(rng.sample(events, len(events))) == (1, Decimal("2.0"))


def back(vid: str):
    return event("VolunteerTransferredIn", f"volunteer-{vid}", {
        "from_city": "3206", "from_county": "320602", "county_code": TINGHU,
        "package_id": "c3" * 16, "carried_hours": "5.0", "star_level": 0, "verified": True,
        "entries": [], "star_levels": [], "statuses": [], "teams": [], "certificates": []})


def test_back_from_another_city_they_count_again_with_the_hours_served_here():
    events = [registered("back", TINGHU), hours("back", "back-h1", "3.0"), released("back"),
              back("back"), hours("back", "back-h2", "1.0")]  # versions in this order
    rng = random.Random(20)
    for _ in range(20):
        assert measured(rng.sample(events, len(events))) == (1, Decimal("4.0"))

"""Scoring follows a volunteer's return after withdrawal: counted again in their county,
in any delivery order; the hours they served before and after all count."""
from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from scoring_builders import event, fold_all, hours, registered, withdrawn

from services.scoring.domain.facts import Period

TINGHU = "320902"
YEAR = Period(date(2026, 1, 1), date(2027, 1, 1))


def returned(vid: str):
    return event("VolunteerReturned", f"volunteer-{vid}", {"reason": "回盐城定居"})


def test_a_returned_volunteer_is_counted_again_with_all_their_hours():
    events = [registered("back", TINGHU), hours("back", "back-h1", "3.0"), withdrawn("back"),
              returned("back"), hours("back", "back-h2", "2.0"),
              registered("gone", TINGHU), withdrawn("gone")]
    expected = (1, Decimal("5.0"))

    rng = random.Random(18)
    for _ in range(20):  # any delivery order: the fold is last-writer-wins per version
        shuffled = rng.sample(events, len(events))
        m = fold_all(shuffled)[TINGHU].measures(YEAR)
        assert (m["volunteers_registered"].value, m["service_hours"].value) == expected


def test_before_the_return_arrives_the_volunteer_is_not_counted():
    events = [registered("back", TINGHU), withdrawn("back")]
    assert fold_all(events)[TINGHU].measures(YEAR)["volunteers_registered"].value == 0

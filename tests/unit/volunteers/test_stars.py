from decimal import Decimal

import pytest

from services.volunteers.domain import commands as c, volunteer as v
from services.volunteers.domain.stars import star_level

NATIONAL = (100, 300, 600, 1000, 1500)
WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"


@pytest.mark.parametrize(
    ("total", "stars"),
    [(0, 0), ("99.9", 0), (100, 1), (299, 1), (300, 2), (600, 3), (1000, 4), (1500, 5),
     (8000, 5)],
)
def test_the_star_level_counts_the_thresholds_reached(total, stars):
    assert star_level(total, NATIONAL) == stars


def test_thresholds_come_from_configuration():
    assert star_level(50, (20, 40, 80)) == 2


def test_the_default_catalog_uses_the_national_thresholds(catalog):
    assert catalog.star_thresholds == NATIONAL


def test_reaching_100_hours_earns_the_first_star(volunteer, decide, hours, catalog):
    almost = volunteer(logged=[24, 24, 24, 24, 3])
    assert almost.verified_hours == 99 and almost.star_level_reached == 0

    events, state = decide(almost, v.record_hours, hours(1))

    assert [e.type for e in events] == ["HoursRecorded", "StarLevelChanged"]
    assert events[1].data == {"from_level": 0, "to_level": 1, "total_hours": "100.0"}
    assert state.star_level_reached == 1 and state.star_level_pending == 1
    assert state.star_level == 0  # it counts once approved


def test_hours_that_stay_below_the_next_threshold_change_no_star(volunteer, decide, hours,
                                                                 small_stars):
    one_star = volunteer(logged=[12], using=small_stars)
    events, _ = decide(one_star, v.record_hours, hours(5), small_stars)
    assert [e.type for e in events] == ["HoursRecorded"]


def test_a_single_entry_can_jump_several_stars(volunteer, decide, hours, small_stars):
    events, _ = decide(volunteer(logged=[8], using=small_stars), v.record_hours, hours(24),
                       small_stars)
    assert events[-1].data == {"from_level": 0, "to_level": 2, "total_hours": "32.0"}


def test_a_correction_can_take_a_star_away(volunteer, decide, entry, small_stars):
    one_star = volunteer(logged=[6, 6], using=small_stars)
    assert one_star.star_level_reached == 1

    events, state = decide(one_star, v.correct_hours,
                           c.CorrectHours(WANG, entry("服务1"), Decimal("2.0"), "重复签到"),
                           small_stars)

    assert events[-1].type == "StarLevelChanged"
    assert events[-1].data == {"from_level": 1, "to_level": 0, "total_hours": "8.0"}
    assert state.star_level_reached == 0 and state.star_level_pending is None


def test_pending_hours_earn_no_star_until_verification(volunteer, decide, small_stars):
    pending = volunteer("registered", logged=[20, 15], using=small_stars)
    assert pending.star_level_reached == 0

    events, state = decide(pending, v.verify, c.VerifyVolunteer(WANG, "320902"), small_stars)

    assert [e.type for e in events] == ["VolunteerVerified", "StarLevelChanged"]
    assert events[1].data == {"from_level": 0, "to_level": 2, "total_hours": "35.0"}
    assert state.star_level_reached == 2 and state.star_level_pending == 1

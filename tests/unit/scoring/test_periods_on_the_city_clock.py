"""Facts fall into assessment periods by the city's calendar day (Asia/Shanghai), never by
the date of a UTC timestamp: a talk early on 1 January, Beijing time, is the new year's."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
from scoring_builders import (
    CITY_CLOCK,
    completed,
    fold_all,
    hours,
    published,
    registered,
    wish_confirmed,
    wish_posted,
)

from contracts.activities.catalog import load_activity_catalog
from services.activities.domain.activity import Details, served_date
from services.activities.domain.party import Party
from services.scoring.domain.rulebook import period_for_year

TINGHU = "320902"
SHANGHAI = ZoneInfo("Asia/Shanghai")

instants = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31),
                        timezones=st.just(UTC))


def years_around(instant: datetime) -> range:
    return range(instant.year - 1, instant.year + 2)


def activity_starting(at: datetime) -> Details:
    return Details("r1", "party_story", "talk", "红色故事进社区", None,
                   Party("bureau", "county-320902"), TINGHU, "新时代文明实践站",
                   at, at + timedelta(hours=2), 30, False, None)


@settings(max_examples=300)
@given(instants)
def test_an_activity_counts_in_the_local_calendar_year_of_its_start(instant):
    facts = fold_all([published("a1", TINGHU, "party_story", starts_at=instant.isoformat()),
                      completed("a1", 7)])[TINGHU]
    local_year = instant.astimezone(SHANGHAI).year
    for year in years_around(instant):
        audience = facts.measures(period_for_year(year))["audience_reached"].value
        assert audience == (7 if year == local_year else 0), (instant, year)


@settings(max_examples=300)
@given(instants)
def test_a_wish_counts_in_the_local_calendar_year_it_was_confirmed(instant):
    facts = fold_all([wish_posted("w1", TINGHU), wish_confirmed("w1", 2, instant.isoformat())])
    local_year = instant.astimezone(SHANGHAI).year
    for year in years_around(instant):
        fulfilled = facts[TINGHU].measures(period_for_year(year))["wishes_fulfilled"].value
        assert fulfilled == (1 if year == local_year else 0), (instant, year)


@settings(max_examples=300)
@given(instants)
def test_an_activitys_hours_and_its_audience_fall_in_the_same_period(instant):
    served_on = served_date(activity_starting(instant), load_activity_catalog())
    facts = fold_all([registered("v1", TINGHU), hours("v1", "h1", "2", served_on.isoformat()),
                      published("a1", TINGHU, "party_story", starts_at=instant.isoformat()),
                      completed("a1", 7)])[TINGHU]
    for year in years_around(instant):
        measures = facts.measures(period_for_year(year))
        assert (measures["service_hours"].value > 0) == (measures["audience_reached"].value > 0)


def test_seven_in_the_morning_of_new_years_day_in_beijing_is_the_new_year():
    new_years_morning = datetime(2027, 1, 1, 7, 0, tzinfo=SHANGHAI)  # 2026-12-31 23:00 UTC
    facts = fold_all([published("a2", TINGHU, "party_story",
                                starts_at=new_years_morning.astimezone(UTC).isoformat()),
                      completed("a2", 40)])[TINGHU]
    assert facts.measures(period_for_year(2027))["audience_reached"].value == 40
    assert facts.measures(period_for_year(2026))["audience_reached"].value == 0


def test_the_fold_takes_the_city_s_clock_from_the_reference_file():
    assert CITY_CLOCK == SHANGHAI


"""Periods and times on the city's clock, through the gateway on the real services: an
activity held early on New Year's morning in Beijing counts in the new assessment year,
and the API shows its times in the city's zone with the offset."""
from __future__ import annotations

from decimal import Decimal

import polling
import pytest
from gateway_support import TINGHU, activity_body

NEW_YEARS_MORNING = "2026-01-01T06:30:00+08:00"  # 2025-12-31 22:30 in UTC
TWO_HOURS_LATER = "2026-01-01T08:30:00+08:00"
AUDIENCE = 321


def audience_row(city, period: str) -> Decimal:
    explained = city.get(f"/rankings/counties/{TINGHU}", params={"period": period})
    assert explained.status_code == 200, explained.text
    row = next(r for r in explained.json()["rows"] if r["measure"] == "audience_reached")
    return Decimal(row["raw"] or 0)


@pytest.fixture(scope="module")
def new_years_talk(platform, city):
    """A talk of 亭湖区 held 06:30–08:30 on 1 January 2026, Beijing time, completed."""
    body = {**activity_body(TINGHU), "starts_at": NEW_YEARS_MORNING,
            "ends_at": TWO_HOURS_LATER}
    published = city.post("/activities", body)
    assert published.status_code == 201, published.text
    activity_id = published.json()["activity_id"]
    done = city.post(f"/activities/{activity_id}/completion", {"audience_reached": AUDIENCE})
    assert done.status_code == 201, done.text
    polling.eventually(lambda: audience_row(city, "2026") == AUDIENCE, timeout=30.0, every=0.3)
    return activity_id


def test_a_talk_on_new_years_morning_in_beijing_counts_in_the_new_year(city, new_years_talk):
    assert audience_row(city, "2026") == AUDIENCE
    assert audience_row(city, "2025") == 0


def test_the_api_shows_the_activity_s_times_on_the_city_s_clock(city, new_years_talk):
    activity = city.get(f"/activities/{new_years_talk}").json()
    assert activity["starts_at"] == NEW_YEARS_MORNING
    assert activity["ends_at"] == TWO_HOURS_LATER


"""Scoring follows a transfer between counties over the real broker and store: hours
count in the county and period where they were served, the volunteer in the county they
belong to at the period's end, and a rebuild from scratch gives what the live fold gave."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from contracts.volunteers.id_number import make_id_number
from services.scoring.service import ScoringService
from services.volunteers.service import VolunteersService
from yinfa.city_time import local_day
from yinfa.reference import load_city

ECONOMIC, HIGH_TECH = "320971", "320972"  # 盐城经济技术开发区, 盐南高新区


@pytest.fixture
def platform(runner_factory, platform_config, rpc_proxy):
    runner_factory(platform_config, VolunteersService, ScoringService).start()
    return rpc_proxy("volunteers"), rpc_proxy("scoring")


def hours(volunteers, vid: str, amount: str, served_on: str) -> None:
    volunteers.record_hours({"volunteer_id": vid, "entry_id": str(uuid.uuid4()),
                             "hours": amount, "served_on": served_on, "source": "bureau"})


def rows(scoring, county: str, period: str) -> tuple[str, str]:
    ranked = next(c for c in scoring.county_ranking(period=period)
                  if c["county_code"] == county)
    by_code = {r["code"]: r["raw"] for r in ranked["rows"]}
    return by_code["volunteer_participation"], by_code["service_hours"]


def test_hours_stay_where_they_were_served_and_a_rebuild_agrees(platform, eventually):
    volunteers, scoring = platform
    vid = volunteers.register_volunteer({
        "name": "陈志远", "gender": "男", "birth_year": 1956,
        "id_number": make_id_number(ECONOMIC, date(1956, 3, 1), 211),
        "phone": "13912345678", "county_code": ECONOMIC, "retirement_status": "退休",
    })["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": ECONOMIC})
    hours(volunteers, vid, "10", "2025-06-01")  # period 2025, in the first zone
    transfer = volunteers.request_transfer({"volunteer_id": vid, "to_county": HIGH_TECH,
                                            "reason_code": "moved_home"})
    on = {"volunteer_id": vid, "transfer_id": transfer["transfer_id"]}
    volunteers.accept_transfer(on)
    volunteers.release_transfer(on)
    today = local_day(datetime.now(UTC), load_city().zone).isoformat()
    hours(volunteers, vid, "6", today)  # on the release's day: the second zone's
    this_year = today[:4]

    expected = {(ECONOMIC, "2025"): ("1.0000", "10.0000"), (HIGH_TECH, "2025"): ("0.0000", "0"),
                (ECONOMIC, this_year): ("0.0000", "0"),
                (HIGH_TECH, this_year): ("1.0000", "6.0000")}

    def measured() -> dict:
        return {key: rows(scoring, *key) for key in expected}

    def same(got: dict) -> bool:  # "0" and "0.0000" alike
        return all(tuple(float(v) for v in got[k]) == tuple(float(v) for v in expected[k])
                   for k in expected)

    assert eventually(lambda: same(measured()))
    live = measured()

    scoring.rebuild()
    assert eventually(lambda: scoring.rebuild_progress()["phase"] == "done")
    assert measured() == live
    [ranked] = scoring.volunteer_ranking(HIGH_TECH, period=this_year)["items"]
    assert ranked["volunteer_id"] == vid
    assert scoring.volunteer_ranking(ECONOMIC, period=this_year)["items"] == []

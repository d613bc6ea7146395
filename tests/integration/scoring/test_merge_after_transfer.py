"""A volunteer is transferred, then later merged with a duplicate (issue 18), over the real
broker and store: the rankings count the hours in the county and period where they were
served, each activity once, the pair as one volunteer, and equal after a rebuild what
they were live; an undo counts two people again.

王建国 served in 亭湖区 in 2025 (5 h) and in 2026 (3 h), moved to 盐都区 today and served a
talk there (2 h). In 盐都区 he had been registered a second time, with a mistyped number:
that record served 4 h yesterday and was credited for the same talk.
"""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.volunteers.id_number import make_id_number
from services.scoring.service import ScoringService
from services.volunteers.service import VolunteersService
from yinfa.city_time import local_day
from yinfa.reference import load_city

TINGHU, YANDU = "320902", "320903"


@pytest.fixture
def platform(runner_factory, platform_config, rpc_proxy):
    runner_factory(platform_config, VolunteersService, ScoringService).start()
    return rpc_proxy("volunteers"), rpc_proxy("scoring")


def person(county: str, seq: int) -> dict:
    return {"name": "王建国", "gender": "男", "birth_year": 1956,
            "id_number": make_id_number(county, date(1956, 3, 8), seq),
            "phone": "13812345678", "county_code": county, "retirement_status": "退休"}


def served(volunteers, vid: str, hours: str, on: date, activity: str | None = None) -> None:
    volunteers.record_hours({"volunteer_id": vid, "entry_id": str(uuid.uuid4()),
                             "hours": hours, "served_on": on.isoformat(),
                             "source": "activity" if activity else "bureau",
                             "activity_id": activity})


def rows(scoring, county: str, year: int) -> tuple[str, str]:
    """(registered volunteers, service hours) of a county's row in a year's ranking."""
    row = next(c for c in scoring.county_ranking(period=year) if c["county_code"] == county)
    measured = {r["code"]: r for r in row["rows"]}
    return measured["service_hours"]["raw"], measured["volunteer_participation"]["raw"]


def counted(scoring) -> dict:
    return {(county, year): rows(scoring, county, year)
            for county in (TINGHU, YANDU) for year in (2025, 2026)}


def test_hours_per_county_and_period_after_a_transfer_and_a_merge(platform, eventually):
    volunteers, scoring = platform
    today = local_day(datetime.now(UTC), load_city().zone)
    if today.year != 2026 or today == date(2026, 1, 1):
        pytest.skip("the story's days are of 2026")
    talk = str(uuid.uuid4())
    wang = volunteers.register_volunteer(person(TINGHU, 501))["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": wang, "county_code": TINGHU})
    served(volunteers, wang, "5", date(2025, 6, 1))
    served(volunteers, wang, "3", date(2026, 3, 1))
    transfer = volunteers.request_transfer({"volunteer_id": wang, "to_county": YANDU,
                                            "reason_code": "moved_home",
                                            "acting_county": TINGHU})
    on = {"volunteer_id": wang, "transfer_id": transfer["transfer_id"]}
    volunteers.accept_transfer({**on, "acting_county": YANDU})
    volunteers.release_transfer({**on, "acting_county": TINGHU})
    served(volunteers, wang, "2", today, talk)
    duplicate = volunteers.register_volunteer(person(YANDU, 777))["volunteer_id"]
    served(volunteers, duplicate, "4", today - timedelta(days=1))
    served(volunteers, duplicate, "2", today, talk)  # the same talk, on both records
    expected_before = {
        (TINGHU, 2025): ("5.0000", "1.0000"),
        (TINGHU, 2026): ("3.0000", "0.0000"),  # he belongs to 盐都区 at the year's end
        # the duplicate: a record without a move is counted in its county in every period
        (YANDU, 2025): ("0.0000", "1.0000"),
        (YANDU, 2026): ("8.0000", "2.0000"),  # two records, the talk twice
    }
    assert eventually(lambda: counted(scoring) == expected_before)

    merge = volunteers.merge_volunteers({"volunteer_id": wang, "duplicate_id": duplicate,
                                         "reason": "同一人重复登记"})

    expected = {**expected_before, (YANDU, 2025): ("0.0000", "0.0000"),
                (YANDU, 2026): ("6.0000", "1.0000")}  # one person, the talk once
    assert eventually(lambda: counted(scoring) == expected)
    ranked = scoring.volunteer_ranking(YANDU, period=2026)
    assert [v["volunteer_id"] for v in ranked["items"]] == [wang]
    live = {year: scoring.county_ranking(period=year) for year in (2025, 2026)}
    live_ranking = scoring.volunteer_ranking(YANDU, period=2026)

    scoring.rebuild()
    eventually(lambda: scoring.rebuild_progress()["phase"] == "done")

    assert {year: scoring.county_ranking(period=year) for year in (2025, 2026)} == live
    assert scoring.volunteer_ranking(YANDU, period=2026) == live_ranking

    volunteers.undo_merge({"merge_id": merge["merge_id"], "reason": "合并有误"})
    assert eventually(lambda: counted(scoring) == expected_before)


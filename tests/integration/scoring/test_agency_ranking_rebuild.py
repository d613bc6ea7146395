"""The city agencies' ranking over the real broker and store: fed by the volunteers
service's events, answered as of a past instant, by each year's own agency baselines, and
equal after a rebuild to what it was live.

市公安局 (3209A05) has two volunteers serving 5 hours in 2025 and 2.5 in 2026; its
shipped baselines are 451 retired cadres for 2025 and 460 for 2026.
"""
from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from contracts.volunteers.id_number import make_id_number
from services.activities.service import ActivitiesService
from services.branches.service import BranchesService
from services.scoring.service import ScoringService
from services.volunteers.service import VolunteersService

POLICE = "3209A05"
SHIPPED = Path(__file__).resolve().parents[3] / "reference" / "baselines"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for path in SHIPPED.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


@pytest.fixture
def platform(runner_factory, platform_config, rpc_proxy, folder):
    config = {**platform_config, "SCORING_BASELINES_DIR": str(folder)}
    runner_factory(config, VolunteersService, BranchesService, ActivitiesService,
                   ScoringService).start()
    return rpc_proxy("volunteers"), rpc_proxy("scoring")


def police_row(ranking: list[dict], code: str) -> dict:
    agency = next(a for a in ranking if a["agency_code"] == POLICE)
    return next(r for r in agency["rows"] if r["code"] == code)


def serve(volunteers, seq: int) -> None:
    vid = volunteers.register_volunteer({
        "name": f"志愿者{seq}", "gender": "男", "birth_year": 1957,
        "id_number": make_id_number("320902", date(1957, 5, 1), seq * 2 + 1),
        "phone": "13912345678", "county_code": POLICE, "retirement_status": "退休",
    })["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": POLICE})
    for served_on, hours in (("2025-06-01", "5"), ("2026-03-01", "2.5")):
        volunteers.record_hours({"volunteer_id": vid, "entry_id": str(uuid.uuid4()),
                                 "hours": hours, "served_on": served_on, "source": "bureau"})


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    stat = path.stat()  # a later mtime even on a coarse clock
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))


def test_the_agency_ranking_is_live_as_of_by_year_and_equal_after_a_rebuild(
        platform, folder, eventually):
    volunteers, scoring = platform
    before_any = datetime.now(UTC).isoformat()
    serve(volunteers, 1)
    serve(volunteers, 2)
    eventually(lambda: police_row(scoring.agency_ranking(period=2026),
                                  "agency_service_hours")["raw"] == "5.0000")
    live_2026 = scoring.agency_ranking(period=2026)
    past = scoring.agency_ranking(period=2025)
    assert live_2026[0]["agency_code"] == POLICE and live_2026[0]["rank"] == 1
    assert police_row(past, "agency_service_hours")["raw"] == "10.0000"
    assert police_row(past, "agency_volunteer_participation")["denominator"] == "451"
    assert POLICE not in {c["county_code"] for c in scoring.county_ranking(period=2026)}

    then = scoring.explain_agency(POLICE, period=2026, as_of=before_any)
    assert then["total"] == "0.00" and then["agency_name"] == "市公安局"

    edit(folder / "2026.yaml", 'code: "3209A05", retired_cadres: 460',
         'code: "3209A05", retired_cadres: 920')
    edited_2026 = scoring.agency_ranking(period=2026)
    assert police_row(edited_2026, "agency_service_hours")["denominator"] == "920"
    assert scoring.agency_ranking(period=2025) == past

    scoring.rebuild()
    eventually(lambda: scoring.rebuild_progress()["phase"] == "done")
    assert scoring.agency_ranking(period=2025) == past
    assert scoring.agency_ranking(period=2026) == edited_2026  # live equals rebuild


def test_a_closed_period_publishes_the_agencies_ranking_beside_the_counties(
        platform, eventually):
    volunteers, scoring = platform
    serve(volunteers, 3)
    eventually(lambda: police_row(scoring.agency_ranking(period=2025),
                                  "agency_service_hours")["raw"] == "5.0000")
    live = scoring.agency_ranking(period=2025)

    published = scoring.close_period({"period": "2025"})

    assert published["agencies"] == [{k: v for k, v in a.items() if k != "rulebook"}
                                      for a in live]
    assert published["agencies"][0]["agency_code"] == POLICE
    assert published["baselines"]["units"]["agencies"][POLICE] == {
        "retired_cadres": 451, "party_branches": 10}
    assert scoring.get_assessment("2025")["agencies"] == published["agencies"]

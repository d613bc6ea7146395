"""Baselines by year over the real broker and store: a past period keeps its own year's
figures when this year's are edited, through a rebuild (live equals rebuild), and a
published year keeps the figures its assessment was ranked by when its file is edited.

The zone 盐南高新区 (320972) has two volunteers serving 10 hours in 2025 and 5 in 2026;
its shipped baselines are 471 retired cadres for 2025 and 480 for 2026.
"""
from __future__ import annotations

import os
import shutil
import uuid
from datetime import date
from pathlib import Path

import pytest

from contracts.volunteers.id_number import make_id_number
from services.activities.service import ActivitiesService
from services.branches.service import BranchesService
from services.scoring.service import ScoringService
from services.volunteers.service import VolunteersService

ZONE = "320972"
SHIPPED = Path(__file__).resolve().parents[3] / "reference" / "baselines"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for path in SHIPPED.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


@pytest.fixture
def platform(runner_factory, platform_config, rpc_proxy, folder):
    config = {**platform_config, "SCORING_BASELINES_DIR": str(folder)}
    runner = runner_factory(config, VolunteersService, BranchesService, ActivitiesService,
                            ScoringService)
    runner.start()
    return rpc_proxy("volunteers"), rpc_proxy("scoring")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    stat = path.stat()  # a later mtime even on a coarse clock
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))


def zone_row(ranking: list[dict], code: str) -> dict:
    county = next(c for c in ranking if c["county_code"] == ZONE)
    return next(r for r in county["rows"] if r["code"] == code)


def serve(volunteers, seq: int) -> None:
    vid = volunteers.register_volunteer({
        "name": f"志愿者{seq}", "gender": "男", "birth_year": 1957,
        "id_number": make_id_number("320902", date(1957, 5, 1), seq * 2 + 1),
        "phone": "13912345678", "county_code": ZONE, "retirement_status": "退休",
    })["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": ZONE})
    for served_on, hours in (("2025-06-01", "5"), ("2026-03-01", "2.5")):
        volunteers.record_hours({"volunteer_id": vid, "entry_id": str(uuid.uuid4()),
                                 "hours": hours, "served_on": served_on, "source": "bureau"})


def rebuilt(scoring, eventually) -> None:
    scoring.rebuild()
    eventually(lambda: scoring.rebuild_progress()["phase"] == "done")


def test_editing_this_years_baselines_changes_no_past_result_through_a_rebuild(
        platform, folder, eventually):
    volunteers, scoring = platform
    serve(volunteers, 1)
    serve(volunteers, 2)
    eventually(lambda: zone_row(scoring.county_ranking(period=2026),
                                "service_hours")["raw"] == "5.0000")
    past = scoring.county_ranking(period=2025)
    assert zone_row(past, "service_hours")["raw"] == "10.0000"
    assert zone_row(past, "service_hours")["denominator"] == "471"

    edit(folder / "2026.yaml", 'code: "320972", retired_cadres: 480',
         'code: "320972", retired_cadres: 960')
    live_2026 = scoring.county_ranking(period=2026)
    assert zone_row(live_2026, "service_hours")["denominator"] == "960"
    assert scoring.county_ranking(period=2025) == past

    rebuilt(scoring, eventually)
    assert scoring.county_ranking(period=2025) == past
    assert scoring.county_ranking(period=2026) == live_2026  # live equals rebuild


def test_a_published_year_keeps_its_baselines_when_its_file_is_edited(
        platform, folder, eventually):
    volunteers, scoring = platform
    serve(volunteers, 3)
    eventually(lambda: zone_row(scoring.county_ranking(period=2025),
                                "service_hours")["raw"] == "5.0000")
    published = scoring.close_period({"period": "2025"})
    assert published["baselines"]["year"] == 2025
    assert published["baselines"]["units"]["counties"][ZONE] == {
        "retired_cadres": 471, "party_branches": 11}
    ranking = scoring.county_ranking(period=2025)
    assert [c["total"] for c in ranking] == [c["total"] for c in published["counties"]]

    edit(folder / "2025.yaml", 'code: "320972", retired_cadres: 471',
         'code: "320972", retired_cadres: 47')
    assert scoring.county_ranking(period=2025) == ranking
    assert "published" in scoring.health()["baselines_rejected"]["2025.yaml"]
    rebuilt(scoring, eventually)
    assert scoring.county_ranking(period=2025) == ranking

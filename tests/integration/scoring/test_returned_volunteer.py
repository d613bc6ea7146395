"""Records that follow real life, followed by the consumers over the real broker and
store: scoring counts a returned volunteer again in their county (their hours never left
it) and takes star decisions without refusing them, and the feeds service's public log
carries the return, the corrections and the star decisions without reasons or values."""
from __future__ import annotations

import uuid
from datetime import date

import pytest

from contracts.volunteers.id_number import make_id_number
from services.feeds.service import FeedsService
from services.scoring.service import ScoringService
from services.volunteers.service import VolunteersService

ZONE = "320972"


@pytest.fixture
def platform(runner_factory, platform_config, rpc_proxy):
    runner_factory(platform_config, VolunteersService, ScoringService, FeedsService).start()
    return rpc_proxy("volunteers"), rpc_proxy("scoring"), rpc_proxy("feeds")


def serving_in_the_zone(volunteers, seq: int, hours: str) -> str:
    """A verified volunteer of the zone with one ledger entry."""
    vid = volunteers.register_volunteer({
        "name": "陈志远", "gender": "男", "birth_year": 1956,
        "id_number": make_id_number(ZONE, date(1956, 3, 1), seq),
        "phone": "13912345678", "county_code": ZONE, "retirement_status": "退休",
    })["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": ZONE})
    volunteers.record_hours({"volunteer_id": vid, "entry_id": str(uuid.uuid4()),
                             "hours": hours, "served_on": "2026-03-01", "source": "bureau"})
    return vid


def participation_and_hours(scoring) -> tuple[str, str]:
    zone = next(c for c in scoring.county_ranking() if c["county_code"] == ZONE)
    rows = {r["code"]: r["raw"] for r in zone["rows"]}
    return rows["volunteer_participation"], rows["service_hours"]


def test_scoring_and_the_public_log_follow_a_return(platform, eventually):
    volunteers, scoring, feeds = platform
    vid = serving_in_the_zone(volunteers, 181, "10")
    volunteers.withdraw_volunteer({"volunteer_id": vid, "reason_code": "moved_away"})
    # hours served stay served: only the head count drops
    assert eventually(lambda: participation_and_hours(scoring) == ("0.0000", "10.0000"))

    volunteers.return_volunteer({"volunteer_id": vid, "reason": "回盐城定居"})

    assert eventually(lambda: participation_and_hours(scoring) == ("1.0000", "10.0000"))
    assert "dead-lettered" not in scoring.health()["intake"]

    def returned_in_the_public_log():
        return [e for e in feeds.events_after(0, 100) if e["type"] == "VolunteerReturned"]

    public = eventually(returned_in_the_public_log)
    assert public[0]["stream_id"].startswith(f"volunteer-{vid}") and public[0]["data"] == {}


def test_corrections_and_star_decisions_reach_the_public_log_without_free_text(
        platform, eventually):
    volunteers, scoring, feeds = platform
    vid = serving_in_the_zone(volunteers, 183, "24")
    volunteers.correct_record({"volunteer_id": vid, "name": "陈致远", "reason": "录入错字",
                               "authority": "id_card"})
    volunteers.record_hours_batch({"volunteer_id": vid, "entries": [
        {"entry_id": str(uuid.uuid4()), "hours": "24", "served_on": f"2026-04-0{n + 1}",
         "source": "bureau"} for n in range(4)]})
    volunteers.return_star_level({"volunteer_id": vid, "level": 1, "approver": "county",
                                  "reason": "待核实"})
    volunteers.record_hours({"volunteer_id": vid, "entry_id": str(uuid.uuid4()),
                             "hours": "1", "served_on": "2026-05-01", "source": "bureau"})
    volunteers.approve_star_level({"volunteer_id": vid, "level": 1, "approver": "county",
                                   "note": "已认定"})
    wanted = ("VolunteerRecordCorrected", "StarLevelReturned", "StarLevelApproved")

    def public_entries():
        entries = {e["type"]: e["data"] for e in feeds.events_after(0, 500)
                   if e["type"] in wanted and e["stream_id"].startswith(f"volunteer-{vid}")}
        return entries if len(entries) == len(wanted) else None

    assert eventually(public_entries) == {
        "VolunteerRecordCorrected": {"fields_corrected": ["name"], "authority": "id_card"},
        "StarLevelReturned": {"level": 1, "authority": "county"},
        "StarLevelApproved": {"level": 1, "authority": "county"}}
    published = len(volunteers.events_after(0, 500))  # every one taken, none refused
    assert eventually(lambda: sum(scoring.health()["intake"].values()) >= published)
    assert set(scoring.health()["intake"]) <= {"applied", "skipped"}

"""The scoring service over the real broker and store, fed by the real services.

A small fixed history: the zone 盐南高新区 (320972, 480 retired cadres) has two verified
volunteers with ten hours each and one formal branch certified 达标; the district 亭湖区
(320902, 5200 retired cadres) has three volunteers, one with ten hours. Per capita the
small zone is ahead.
"""
from __future__ import annotations

import sys
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import kombu
import pytest

from contracts.volunteers.id_number import make_id_number
from services.activities.service import ActivitiesService
from services.branches.service import BranchesService
from services.scoring.service import ScoringService
from services.volunteers.service import VolunteersService
from yinfa.errors import NotFound
from yinfa.messaging.relay import consumer_queues

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "branches"))
from branch_service_examples import checklist_items, evidence  # noqa: E402

ZONE, DISTRICT = "320972", "320902"


@pytest.fixture
def platform(runner_factory, platform_config, rpc_proxy):
    runner = runner_factory(platform_config, VolunteersService, BranchesService,
                            ActivitiesService, ScoringService)
    runner.start()
    return (rpc_proxy("volunteers"), rpc_proxy("branches"), rpc_proxy("scoring"))


def _volunteer(volunteers, seq: int, county: str, verify: bool = True) -> str:
    vid = volunteers.register_volunteer({
        "name": f"志愿者{seq}", "gender": "男", "birth_year": 1956,
        "id_number": make_id_number(DISTRICT, date(1956, 3, 1), seq * 2 + 1),
        "phone": "13912345678", "county_code": county, "retirement_status": "退休",
    })["volunteer_id"]
    if verify:
        volunteers.verify_volunteer({"volunteer_id": vid, "county_code": county})
    return vid


def _hours(volunteers, vid: str, hours: str) -> None:
    volunteers.record_hours({"volunteer_id": vid, "entry_id": str(uuid.uuid4()),
                             "hours": hours, "served_on": "2026-03-01", "source": "bureau"})


def _certified_branch(branches, county: str) -> str:
    branch_id = str(uuid.uuid4())
    branches.establish_branch({
        "branch_id": branch_id, "name": "盐南高新区机关离退休干部党支部",
        "branch_type": "formal", "level": "branch", "county_code": county,
        "former_employer": "盐南高新区管委会", "secretary": "李秀英", "liaison": "陈志远",
        "established_on": "2021-03-01"})
    application_id = str(uuid.uuid4())
    branches.apply_for_certification({
        "branch_id": branch_id, "application_id": application_id, "level": "standard",
        "checklist": "liuyou_yitisheng", "applicant": "李秀英", "evidence": evidence(),
        "applied_on": "2026-02-01"})
    branches.review_items({
        "branch_id": branch_id, "application_id": application_id, "reviewer": "王评审",
        "items": [{"item": item, "met": True, "note": None} for item in checklist_items()]})
    branches.grant_certification({
        "branch_id": branch_id, "application_id": application_id,
        "granted_by": "county_bureau", "granter_county": county, "granted_on": "2026-02-15"})
    return branch_id


def _by_county(ranking) -> dict[str, dict]:
    return {c["county_code"]: c for c in ranking}


def _row(county: dict, code: str) -> dict:
    return next(r for r in county["rows"] if r["code"] == code)


def test_ranking_reflects_the_history_of_the_other_services(platform, eventually):
    volunteers, branches, scoring = platform
    for seq in (1, 2):
        _hours(volunteers, _volunteer(volunteers, seq, ZONE), "10")
    _hours(volunteers, _volunteer(volunteers, 3, DISTRICT), "10")
    _volunteer(volunteers, 4, DISTRICT)
    _volunteer(volunteers, 5, DISTRICT, verify=False)
    _certified_branch(branches, ZONE)

    def caught_up():
        counties = _by_county(scoring.county_ranking())
        zone, district = counties[ZONE], counties[DISTRICT]
        done = (_row(zone, "volunteer_participation")["raw"] == "2.0000"
                and _row(zone, "service_hours")["raw"] == "20.0000"
                and _row(zone, "certification_coverage")["raw"] == "1.0000"
                and _row(district, "volunteer_participation")["raw"] == "3.0000"
                and _row(district, "service_hours")["raw"] == "10.0000")
        return counties if done else None

    counties = eventually(caught_up)
    zone, district = counties[ZONE], counties[DISTRICT]
    assert zone["county_name"] == "盐南高新区"
    assert zone["rank"] < district["rank"]
    assert Decimal(zone["total"]) > Decimal(district["total"])
    assert _row(zone, "certification_coverage")["points"] == "20.00"
    assert _row(district, "active_volunteers")["normalised"] == "0.3333"  # 1 of 3
    ranks = [c["rank"] for c in scoring.county_ranking()]
    assert ranks == sorted(ranks) and ranks[0] == 1

    explained = scoring.explain(ZONE)
    assert explained["total"] == zone["total"]
    assert sum(Decimal(r["points"]) for r in explained["rows"]) == Decimal(explained["total"])
    assert [r["code"] for r in explained["rows"]] == [r["code"] for r in zone["rows"]]

    # another year: nothing of this history falls in it but the certification
    other_year = _by_county(scoring.county_ranking(period=2025))
    assert _row(other_year[ZONE], "service_hours")["raw"] == "0.0000"
    assert scoring.what_if("2026", "2026") == {}

    health = scoring.health()
    assert health["service"] == "scoring" and health["intake"].get("applied", 0) > 0
    assert "dead-lettered" not in health["intake"]
    assert health["folded_position"] == health["journal_head"]


def test_unknown_county_or_rulebook_is_not_found(platform):
    _, _, scoring = platform
    with pytest.raises(NotFound) as caught:
        scoring.explain("999999")
    assert caught.value.field == "county_code"
    with pytest.raises(NotFound) as caught:
        scoring.county_ranking(rulebook="1999")
    assert caught.value.field == "rulebook"


def test_a_rebuild_from_the_sources_learns_what_was_published_before_scoring_ran(
        runner_factory, platform_config, rpc_proxy, eventually):
    sources = runner_factory(platform_config, VolunteersService, BranchesService,
                             ActivitiesService)
    sources.start()
    volunteers = rpc_proxy("volunteers")
    for seq in (11, 12, 13):
        _hours(volunteers, _volunteer(volunteers, seq, ZONE), "2")
    eventually(lambda: volunteers.health()["pending"] == 0)
    # the relays kept them in scoring's queues; a broker rebuilt empty loses them for good
    with kombu.Connection(platform_config["AMQP_URI"]) as broker:
        for source in ("volunteers", "branches", "activities"):
            for queue in consumer_queues(source):
                if "--scoring." in queue:
                    broker.default_channel.queue_delete(queue)

    later = runner_factory(platform_config, ScoringService)
    later.start()
    scoring = rpc_proxy("scoring")
    zone = _by_county(scoring.county_ranking())[ZONE]
    assert _row(zone, "volunteer_participation")["raw"] == "0.0000"

    scoring.rebuild(from_sources=True)
    progress = eventually(lambda: (p := scoring.rebuild_progress())["phase"] == "done" and p)
    assert progress["sources"]["volunteers"]["kept"] >= 6  # 3 registered, 3 hours
    assert progress["error"] is None
    zone = _by_county(scoring.county_ranking())[ZONE]
    assert _row(zone, "volunteer_participation")["raw"] == "3.0000"
    assert _row(zone, "service_hours")["raw"] == "6.0000"

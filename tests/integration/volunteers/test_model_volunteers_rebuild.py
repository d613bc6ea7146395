"""Campaigns, talent profiles, needs and the certificates that name titles: the live
views equal a rebuild from the volunteers service's events; a nominee's deeds go with
their personal data when they are erased; bureaus racing for a county's last places
never take more than its quota."""
from __future__ import annotations

from datetime import date

from contracts.volunteers.streams import build_registry
from services.volunteers.views import VIEWS
from yinfa.projections import Projector
from yinfa.store.event_store import EventStore

TINGHU = "320902"
CAMPAIGN = {"title": "positive_energy_star", "year": date.today().year}


def nominated_and_announced(volunteers, registration) -> tuple[str, str]:
    vid = volunteers.register_volunteer(registration(seq=61))["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})
    nomination = volunteers.nominate_volunteer({**CAMPAIGN, "volunteer_id": vid,
                                                "county_code": TINGHU, "deeds": "调解纠纷百余起"})
    for stage in ("county", "city"):
        volunteers.review_nomination({**CAMPAIGN, "nomination_id": nomination["nomination_id"],
                                      "stage": stage, "county_code": TINGHU,
                                      "decision": "approved"})
    volunteers.announce_titles(CAMPAIGN)
    return vid, nomination["nomination_id"]


def test_the_views_of_campaigns_and_the_pool_equal_a_rebuild(volunteers, mongo_client,
                                                             mongo_db, registration):
    vid, _ = nominated_and_announced(volunteers, registration)
    volunteers.issue_certificate({"volunteer_id": vid, "issued_by": "county_admin"})
    volunteers.record_talent_profile({"volunteer_id": vid, "specialities": ["civil_law"],
                                      "former_post": "teacher", "availability": ["remote"]})
    volunteers.post_talent_need({"county_code": TINGHU, "skills": ["law"],
                                 "starts_on": "2026-12-10", "ends_on": "2026-12-20",
                                 "posted_by": "county_admin"})

    rebuilt_db = mongo_client[mongo_db.name + "_rebuilt"]
    try:
        Projector(EventStore(mongo_db, build_registry()), VIEWS, db=rebuilt_db).rebuild()
        for collection in ("campaign_view", "talent_view", "need_view", "certificate_view"):
            live = sorted(mongo_db[collection].find(), key=lambda d: d["_id"])
            rebuilt = sorted(rebuilt_db[collection].find(), key=lambda d: d["_id"])
            assert live == rebuilt and live, collection
    finally:
        mongo_client.drop_database(rebuilt_db.name)


def test_erasing_a_nominee_destroys_their_deeds_and_keeps_their_title(volunteers,
                                                                      registration):
    vid, nomination_id = nominated_and_announced(volunteers, registration)
    assert volunteers.get_nomination(nomination_id)["deeds"] == "调解纠纷百余起"

    volunteers.erase_volunteer({"volunteer_id": vid})

    nomination = volunteers.get_nomination(nomination_id)
    assert nomination["deeds"] is None and nomination["name"] == "已注销"
    assert [t["title"] for t in volunteers.get_volunteer(vid)["titles"]] == [
        "positive_energy_star"]


def test_eight_bureaus_nominating_at_once_fill_the_quota_of_three_and_no_more(
        volunteers, at_once, registration):
    campaign = {"title": "positive_energy_star", "year": 2024}  # 3 places a county
    nominees = []
    for seq in range(70, 78):
        vid = volunteers.register_volunteer(registration(seq=seq))["volunteer_id"]
        volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})
        nominees.append(vid)

    answers = at_once("nominate_volunteer", *[
        {**campaign, "volunteer_id": vid, "county_code": TINGHU, "deeds": "义务宣讲"}
        for vid in nominees])

    accepted = [a for a in answers if isinstance(a, dict)]
    refused = [a for a in answers if not isinstance(a, dict)]
    assert len(accepted) == 3
    assert {type(r).__name__ for r in refused} == {"DomainRuleViolated"}
    assert all(r.field == "title" for r in refused)
    listed = volunteers.list_nominations("positive_energy_star", 2024, TINGHU)
    assert sorted(n["volunteer_id"] for n in listed) == sorted(
        a["volunteer_id"] for a in accepted)

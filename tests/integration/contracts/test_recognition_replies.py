"""Model-volunteer campaigns, the talent pool and the uninsured report answer as their
published reply schemas say, field for field (see test_replies.py)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from test_replies import TINGHU, activity, check, person, verified

from contracts.activities.insurance_replies import UninsuredSignUp
from contracts.volunteers import recognition_replies as replies, replies as volunteer_replies
from services.activities.service import ActivitiesService
from services.volunteers.service import VolunteersService
from yinfa.errors import DomainRuleViolated


def test_campaigns_and_the_talent_pool_answer_as_published(runner_factory, platform_config,
                                                          rpc_proxy):
    runner_factory(platform_config, VolunteersService).start()
    volunteers = rpc_proxy("volunteers", context_data={"actor": "county:320902"})
    vid = verified(volunteers, 41)
    campaign = {"title": "model_volunteer", "year": date.today().year}
    nominated = volunteers.nominate_volunteer({**campaign, "volunteer_id": vid,
                                               "county_code": TINGHU, "deeds": "义务宣讲"})
    reviewed = [volunteers.review_nomination({
        **campaign, "nomination_id": nominated["nomination_id"], "stage": stage,
        "county_code": TINGHU, "decision": "approved"}) for stage in ("county", "city")]
    check(replies.Nomination, nominated, *reviewed,
          volunteers.get_nomination(nominated["nomination_id"]),
          volunteers.list_nominations(county_code=TINGHU))
    check(replies.Campaign, volunteers.announce_titles(campaign))
    check(volunteer_replies.Volunteer, volunteers.get_volunteer(vid))
    check(volunteer_replies.Certificate,
          volunteers.issue_certificate({"volunteer_id": vid, "issued_by": "county_admin"}))

    check(replies.TalentProfile, volunteers.record_talent_profile({
        "volunteer_id": vid, "specialities": ["party_history"], "availability": ["remote"]}))
    check(replies.TalentPage, volunteers.search_talent(speciality="party_history"),
          volunteers.search_talent(limit=5))
    need = volunteers.post_talent_need({
        "county_code": TINGHU, "skills": ["agriculture"], "starts_on": "2026-12-10",
        "ends_on": "2026-12-20", "posted_by": "county_admin"})
    assert need["matches"]
    check(replies.TalentNeed, need, volunteers.get_talent_need(need["need_id"]))
    assert person(41)["skills"] == ["agriculture"]


def test_the_uninsured_report_answers_as_published(runner_factory, platform_config,
                                                   rpc_proxy, eventually):
    runner_factory(platform_config, VolunteersService, ActivitiesService).start()
    volunteers, activities = rpc_proxy("volunteers"), rpc_proxy("activities")
    vid = volunteers.register_volunteer({**person(42), "insurance": True})["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})
    eventually(lambda: activities.directory_size() == 1)
    aid = activities.publish_activity({**activity(), "insurance_required": True})[
        "activity_id"]
    before = (datetime.now(UTC) - timedelta(hours=4)).isoformat()
    # the directory learns of the verification a moment after the registration
    eventually(lambda: activities.sign_up({"activity_id": aid, "volunteer_id": vid,
                                           "at": before}), ignoring=(DomainRuleViolated,))
    volunteers.update_profile({"volunteer_id": vid, "insurance": False})

    rows = eventually(lambda: activities.uninsured_sign_ups(TINGHU))

    check(UninsuredSignUp, rows)
    assert [(r["activity_id"], r["volunteer_id"]) for r in rows] == [(aid, vid)]

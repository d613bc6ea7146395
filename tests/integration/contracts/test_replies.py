"""What the services answer over RPC is what their published reply schemas say
(contracts/<service>/replies.py), field for field: an answer with a field its schema does
not name, without one it requires, or of another type fails here.

Each test runs the services the answers need (real broker, real store), makes them give
every reply the gateway asks for, and checks each answer against its schema.
"""
from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from marshmallow import Schema

from contracts.activities import replies as activity_replies
from contracts.branches import replies as branch_replies
from contracts.branches.catalog import load_checklists
from contracts.scoring import replies as scoring_replies
from contracts.volunteers import replies as volunteer_replies
from contracts.volunteers.id_number import make_id_number
from services.activities.service import ActivitiesService
from services.branches.service import BranchesService
from services.scoring.service import ScoringService
from services.volunteers.service import VolunteersService
from yinfa.errors import DomainRuleViolated, NotFound

TINGHU, YANDU, ZONE = "320902", "320903", "320972"
FINANCE, EDUCATION = "财政局离退休干部党支部", "教育局离退休干部党支部"
HEALTH, ZONGZHI = "卫健委离退休干部党支部", "新兴镇离退休干部党总支"
ITEMS = [item.code for item in load_checklists()["liuyou_yitisheng"].items]
EVIDENCE = [{"item": item, "text": "台账齐全"} for item in ITEMS]


def check(schema: type[Schema], *answers: Any) -> None:
    """Each answer is what the schema says: no field more (reply schemas refuse unknown
    fields, nested ones too: marshmallow's default), none missing, none of another type."""
    assert answers
    for answer in answers:
        errors = schema(many=isinstance(answer, list)).validate(answer)
        assert errors == {}, f"{schema.__name__}: {errors}"


def days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


# ---- volunteers ------------------------------------------------------------------------


def person(seq: int, county: str = TINGHU) -> dict:
    return {"name": f"志愿者{seq}", "gender": "男", "birth_year": 1956,
            "id_number": make_id_number(county, date(1956, 3, 8), seq * 2 + 1),
            "phone": "13812345678", "county_code": county, "retirement_status": "退休",
            "skills": ["agriculture"]}


def verified(volunteers: Any, seq: int, county: str = TINGHU) -> str:
    vid = volunteers.register_volunteer(person(seq, county))["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": county})
    return vid


def entry(hours: str = "2", days: int = 30) -> dict:
    return {"entry_id": str(uuid.uuid4()), "hours": hours, "served_on": days_ago(days),
            "source": "bureau"}


def test_the_volunteers_service_answers_as_published(runner_factory, platform_config,
                                                     rpc_proxy):
    runner_factory(platform_config, VolunteersService).start()
    volunteers = rpc_proxy("volunteers", context_data={"actor": "county:320902"})
    vid = verified(volunteers, 1)
    other = volunteers.register_volunteer(person(2))["volunteer_id"]
    team = volunteers.create_team({"name": "银发宣讲团", "category": "theory_outreach",
                                   "county_code": TINGHU, "leader_id": vid})
    on_team = {"team_id": team["team_id"]}
    joined = volunteers.join_team({**on_team, "volunteer_id": vid})
    volunteers.join_team({**on_team, "volunteer_id": other})
    left = volunteers.leave_team({**on_team, "volunteer_id": other})
    check(volunteer_replies.Team, team, joined, left, *volunteers.list_teams())

    corrected = entry("3")
    volunteers.record_hours({"volunteer_id": vid, **corrected})
    check(volunteer_replies.Volunteer,
          volunteers.update_profile({"volunteer_id": vid, "former_employer": "盐城市财政局"}),
          volunteers.record_hours({"volunteer_id": vid, **entry()}),
          volunteers.record_hours_batch({"volunteer_id": vid, "entries": [entry("1.5")]}),
          volunteers.correct_hours({"volunteer_id": vid, "entry_id": corrected["entry_id"],
                                    "hours": "2.5", "reason": "签到时间有误"}),
          volunteers.get_volunteer(vid), volunteers.get_volunteer(vid, reveal=True),
          volunteers.correct_record({"volunteer_id": vid, "name": "王建华",
                                     "reason": "户籍信息更正", "authority": "id_card"}),
          volunteers.find_volunteer(person(1)["id_number"]),
          volunteers.suspend_volunteer({"volunteer_id": other, "reason": "长期未参加活动"}),
          volunteers.reinstate_volunteer({"volunteer_id": other}),
          volunteers.withdraw_volunteer({"volunteer_id": other, "reason_code": "health"}),
          volunteers.return_volunteer({"volunteer_id": other, "reason": "身体康复"}),
          volunteers.erase_volunteer({"volunteer_id": other}))
    volunteers.record_hours_batch({"volunteer_id": vid, "entries": [
        entry("24", days) for days in range(30, 36)]})
    pending = volunteers.pending_star_levels([1, 2, 3], TINGHU)
    check(volunteer_replies.Volunteer,
          volunteers.return_star_level({"volunteer_id": vid, "level": 1, "approver": "county",
                                        "reason": "待核实"}),
          volunteers.record_hours({"volunteer_id": vid, **entry("1")}),
          volunteers.approve_star_level({"volunteer_id": vid, "level": 1,
                                         "approver": "county"}))
    check(volunteer_replies.VolunteerList, volunteers.list_volunteers(limit=10), pending)
    assert pending["total"] == 1
    issued = volunteers.issue_certificate({"volunteer_id": vid, "issued_by": "county_admin"})
    check(volunteer_replies.Certificate, issued,
          volunteers.revoke_certificate({"code": issued["code"], "reason": "时长有误"}),
          volunteers.get_certificate(issued["code"]))
    check(volunteer_replies.CountyVolunteers, *volunteers.county_summary())

    elsewhere = person(3, YANDU)
    volunteers.register_volunteer(elsewhere)
    check(volunteer_replies.RosterOutcome,
          volunteers.register_volunteers([person(4), person(1), {"name": ""}]),
          volunteers.register_volunteers([elsewhere], within_county=TINGHU))


def test_merging_duplicates_answers_as_published(runner_factory, platform_config,
                                                 rpc_proxy):
    runner_factory(platform_config, VolunteersService).start()
    volunteers = rpc_proxy("volunteers", context_data={"actor": "county:320902"})
    survivor = verified(volunteers, 21)
    duplicate = volunteers.register_volunteer(person(22))["volunteer_id"]
    volunteers.record_hours({"volunteer_id": duplicate, **entry("2")})

    merged = volunteers.merge_volunteers({"volunteer_id": survivor,
                                          "duplicate_id": duplicate, "reason": "重复登记"})
    check(volunteer_replies.MergeOutcome, merged)
    check(volunteer_replies.Merge, volunteers.get_merge(merged["merge_id"]))
    check(volunteer_replies.Volunteer, volunteers.get_volunteer(survivor),
          volunteers.get_volunteer(duplicate))
    check(volunteer_replies.VolunteerList, volunteers.list_volunteers(status="merged"))
    check(volunteer_replies.MergeUndone,
          volunteers.undo_merge({"merge_id": merged["merge_id"], "reason": "合并有误"}))


# ---- activities ------------------------------------------------------------------------


def activity() -> dict:
    """An activity that took place this morning (2 hours), so it can be completed now."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    return {"client_request_id": str(uuid.uuid4()), "theme": "party_story", "kind": "talk",
            "title": "红色故事进社区", "organiser": {"kind": "bureau", "id": "county-320902"},
            "county_code": TINGHU, "place": "亭湖区新时代文明实践站",
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
            "capacity": 1}


COMMUNITY = {"kind": "community", "id": "community-wuxing"}


def wish() -> dict:
    return {"client_request_id": str(uuid.uuid4()), "label": "王奶奶", "county_code": TINGHU,
            "category": "home_repair", "description": "厨房水管漏水，想请人修一修",
            "posted_by": COMMUNITY, "at": (datetime.now(UTC) - timedelta(days=3)).isoformat()}


def cancelled_after_a_sign_up(activities: Any, volunteer_id: str, at: str) -> dict:
    aid = activities.publish_activity(activity())["activity_id"]
    activities.sign_up({"activity_id": aid, "volunteer_id": volunteer_id, "at": at})
    return activities.cancel_activity({"activity_id": aid, "reason": "暴雨"})


def test_the_activities_service_answers_as_published(runner_factory, platform_config,
                                                     rpc_proxy, eventually):
    runner_factory(platform_config, VolunteersService, ActivitiesService).start()
    volunteers, activities = rpc_proxy("volunteers"), rpc_proxy("activities")
    first, second = verified(volunteers, 1), verified(volunteers, 2)
    eventually(lambda: activities.directory_size() == 2)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    before = (start - timedelta(hours=1)).isoformat()
    on = {"activity_id": activities.publish_activity(activity())["activity_id"]}
    code = {"code": "HONGSE2026"}
    check(activity_replies.Activity,
          activities.sign_up({**on, "volunteer_id": first, "at": before}),
          activities.sign_up({**on, "volunteer_id": second, "at": before}),  # waitlisted
          activities.withdraw_sign_up({**on, "volunteer_id": second}),
          activities.issue_check_in_code({**on, **code, "at": before}),
          activities.check_in({**on, **code, "volunteer_id": first, "at": start.isoformat()}),
          activities.check_out({**on, **code, "volunteer_id": first,
                                "at": (start + timedelta(hours=2)).isoformat()}),
          activities.complete_activity({**on, "audience_reached": 120,
                                        "served": [{"volunteer_id": first, "hours": 2}]}),
          activities.correct_completion({**on, "reason": "早退半小时", "corrections": [
              {"volunteer_id": first, "hours": "1.5"}]}),
          activities.cancel_publication({"activity_id": activities.publish_activity(
              activity())["activity_id"]}),
          cancelled_after_a_sign_up(activities, second, before),
          activities.get_activity(on["activity_id"]))
    check(activity_replies.ActivityList, activities.list_activities(limit=10))

    claimant = {"kind": "volunteer", "id": first}
    wid, released = (activities.post_wish(wish())["wish_id"] for _ in range(2))
    activities.claim_wish({"wish_id": released, "claimant": claimant})
    check(activity_replies.Wish,
          activities.claim_wish({"wish_id": wid, "claimant": claimant}),
          activities.fulfil_wish({"wish_id": wid, "fulfilled_by": claimant,
                                  "evidence": ["https://example.org/repair.jpg"]}),
          activities.confirm_wish({"wish_id": wid, "confirmed_by": COMMUNITY}),
          activities.release_wish_claim({"wish_id": released, "reason": "临时有事"}),
          activities.get_wish(wid))
    check(activity_replies.WishList, activities.list_wishes(limit=10))
    check(activity_replies.CountyActivities, *activities.county_summary().values())
    trends = activities.county_trends(TINGHU)
    now = datetime.now(UTC).isoformat()
    check(activity_replies.CountyTrends, trends, activities.county_trends(YANDU),
          activities.county_trends(TINGHU, as_of=now))
    assert [m["by_theme"] for m in trends["months"]] == [{"party_story": 1}]
    funnel = activities.wish_funnel(TINGHU)
    check(activity_replies.WishFunnel, funnel, activities.wish_funnel(YANDU),
          activities.wish_funnel(TINGHU, as_of=now))
    steps = {s["step"]: s["count"] for s in funnel["steps"]}
    assert steps["posted"] == 2 and steps["confirmed"] == 1
    assert funnel["median_hours_to_fulfil"] is not None


# ---- branches --------------------------------------------------------------------------


def ids(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"yinfa-test:{name}"))


def establishing(name: str, county: str = TINGHU, **overrides: Any) -> dict:
    return {"branch_id": ids(name), "name": name, "branch_type": "formal", "level": "branch",
            "county_code": county, "former_employer": name[:3], "secretary": "李秀英",
            "liaison": "陈志远", "established_on": "2021-03-01", **overrides}


def applied(branches: Any, branch_id: str, level: str, days: int) -> str:
    application_id = str(uuid.uuid4())
    branches.apply_for_certification({
        "branch_id": branch_id, "application_id": application_id, "level": level,
        "checklist": "liuyou_yitisheng", "applicant": "李秀英", "evidence": EVIDENCE,
        "applied_on": days_ago(days)})
    return application_id


def certified(branches: Any, branch_id: str, level: str, days: int, county: str = TINGHU
              ) -> dict:
    """Applied for `days` ago, every item met, granted a fortnight later."""
    application_id = applied(branches, branch_id, level, days)
    branches.review_items({
        "branch_id": branch_id, "application_id": application_id, "reviewer": "王评审",
        "items": [{"item": item, "met": True, "note": None} for item in ITEMS]})
    return branches.grant_certification({
        "branch_id": branch_id, "application_id": application_id,
        "granted_by": "county_bureau", "granter_county": county,
        "granted_on": days_ago(days - 14)})


def with_member(branches: Any, branch_id: str, volunteer_id: str) -> dict | None:
    """The branch with the volunteer added, once the branches service has heard of them."""
    try:
        return branches.add_member({"branch_id": branch_id, "volunteer_id": volunteer_id})
    except (DomainRuleViolated, NotFound):
        return None


def test_the_branches_service_answers_as_published(runner_factory, platform_config,
                                                   rpc_proxy, eventually):
    runner_factory(platform_config, VolunteersService, BranchesService).start()
    volunteers, branches = rpc_proxy("volunteers"), rpc_proxy("branches")
    vid = verified(volunteers, 1)
    finance, education = ids(FINANCE), ids(EDUCATION)
    check(branch_replies.Branch,
          branches.establish_branch(establishing(ZONGZHI, level="general_branch",
                                                 community="新兴镇")),
          branches.establish_branch(establishing(FINANCE)),
          branches.establish_branch(establishing(EDUCATION)),
          branches.move_branch({"branch_id": finance, "parent_id": ids(ZONGZHI)}),
          branches.rename_branch({"branch_id": education, "name": "教育系统离退休干部党支部"}),
          branches.change_officers({"branch_id": finance, "liaison": None}),
          eventually(lambda: with_member(branches, finance, vid)))
    refused = applied(branches, education, "standard", 30)
    check(branch_replies.CertificationHistory,
          certified(branches, finance, "standard", 120),
          certified(branches, finance, "county_demo", 60),
          branches.refuse_certification({
              "branch_id": education, "application_id": refused, "reason": "台账不全",
              "refused_by": "county_bureau", "granter_county": TINGHU}),
          branches.certification_history(finance),
          branches.certification_history(ids(ZONGZHI)))  # none yet

    brand = {"branch_id": finance}
    check(branch_replies.Brand,
          branches.apply_brand({**brand, "name": "财政·银辉先锋", "year": 2021,
                                "description": "老党员讲党课进社区"}),
          *[branches.review_brand({**brand, "year": year, "passed": True,
                                   "reviewer": "市委老干部局"}) for year in (2021, 2022, 2023)])
    check(branch_replies.TopBrands, branches.select_top_brands({
        "year": 2023, "scores": [{"branch_id": finance, "score": "92.5"}]}))
    check(branch_replies.BrandList, branches.list_brands(), branches.list_brands(
        county_code=TINGHU, year=2022, status="established", q="银辉", limit=5))
    check(branch_replies.BrandListing, branches.get_brand(finance))
    check(branch_replies.TopTen, branches.top_brands(2023))
    check(branch_replies.Coverage, *branches.coverage())
    check(branch_replies.Demonstration, branches.demonstration_branches())

    branches.establish_branch(establishing(HEALTH))
    check(branch_replies.Branch,
          branches.remove_member({"branch_id": finance, "volunteer_id": vid}),
          branches.merge_branch({"branch_id": education, "into_branch_id": finance,
                                 "reason": "机构改革，两局合并"}),
          branches.dissolve_branch({"branch_id": ids(HEALTH), "reason": "党员全部转出"}),
          branches.get_branch(finance))  # with its brand
    check(branch_replies.BranchList, branches.list_branches(limit=10))


# ---- scoring ---------------------------------------------------------------------------


def test_the_scoring_service_answers_as_published(runner_factory, platform_config,
                                                  rpc_proxy, eventually):
    runner_factory(platform_config, VolunteersService, BranchesService, ActivitiesService,
                   ScoringService).start()
    volunteers, branches, scoring = (rpc_proxy(name) for name in
                                     ("volunteers", "branches", "scoring"))
    vid = verified(volunteers, 1, ZONE)
    volunteers.record_hours({"volunteer_id": vid, **entry("10", days=0)})  # in this year's ranking
    branch_id = ids(FINANCE)
    branches.establish_branch(establishing(FINANCE, ZONE))
    certified(branches, branch_id, "standard", 60, ZONE)

    def caught_up() -> bool:
        zone = next(c for c in scoring.county_ranking() if c["county_code"] == ZONE)
        hours = next(row for row in zone["rows"] if row["code"] == "service_hours")
        return scoring.branch_ranking(ZONE)["total"] == 1 and hours["raw"] == "10.0000"

    eventually(caught_up)
    check(scoring_replies.CountyScore, *scoring.county_ranking(), scoring.explain(ZONE))
    check(scoring_replies.AgencyScore, *scoring.agency_ranking(),
          scoring.explain_agency("3209A03"))
    check(scoring_replies.BranchRanking, scoring.branch_ranking(ZONE))
    check(scoring_replies.VolunteerRanking, scoring.volunteer_ranking(ZONE))
    check(scoring_replies.BranchScore, scoring.explain_branch(branch_id))
    check(scoring_replies.VolunteerScore, scoring.explain_volunteer(vid))
    check(scoring_replies.Evidence, scoring.evidence("volunteer", vid, "volunteer_hours"),
          scoring.evidence("county", ZONE, "service_hours", limit=1))
    check(scoring_replies.Comparison, scoring.compare_rulebooks("2026", "2026"))
    check(scoring_replies.Assessment, scoring.close_period({"period": "2026"}),
          scoring.get_assessment("2026"))
    check(scoring_replies.AssessmentSummary, *scoring.list_assessments())
    timeline = scoring.timeline()
    check(scoring_replies.Timeline, timeline)
    assert timeline["first_event_at"] <= timeline["last_event_at"]
    assert [book["version"] for book in timeline["rulebooks"]] == ["2026.1", "2026.2"]
    plan = {"kind": "implementation_plan", "unit_code": ZONE, "year": 2026,
            "content_type": "application/pdf",
            "content": base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()}
    report = scoring.submit_report(plan)
    check(scoring_replies.Report, report, scoring.get_report(report["report_id"]),
          *scoring.list_reports({"unit_code": ZONE}))
    check(scoring_replies.ReportDocument, scoring.report_content(report["report_id"]))
    check(scoring_replies.YearBaselines, scoring.baselines(2026), scoring.baselines("2025"))

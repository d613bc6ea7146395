"""The branches service over real RabbitMQ and the real store."""
from __future__ import annotations

from datetime import date

import pytest
from branch_service_examples import (
    FINANCE,
    TINGHU,
    YANDU,
    evidence,
    grant_payload,
    ids,
    set_clock,
)
from nameko.testing.services import entrypoint_hook

from contracts.branches.streams import branch_stream, build_registry
from services.branches.domain import branch as b, commands as cmd
from services.branches.views import VIEWS
from yinfa.errors import DomainRuleViolated, ValidationFailed
from yinfa.projections import Projector
from yinfa.store.event_store import EventStore

EDUCATION = "教育局离退休干部党支部"
ZONGZHI = "新兴镇离退休干部党总支"
CALLIGRAPHY = "书法特色党小组"


def test_a_branch_is_shown_with_its_labels_and_no_certification(establish):
    shown = establish()

    assert (shown["name"], shown["status"], shown["member_count"]) == (FINANCE, "active", 0)
    assert (shown["branch_type_label"], shown["level_label"]) == ("建制性", "支部")
    assert shown["certification_level"] is None and shown["brand"] is None


def test_the_four_levels_nest_and_a_branch_with_bodies_under_it_stays(branches, establish):
    establish("亭湖区委离退休干部工委", level="working_committee", former_employer=None)
    establish(ZONGZHI, level="general_branch", former_employer=None, community="新兴镇",
              parent_id=ids("亭湖区委离退休干部工委"))
    establish(FINANCE, parent_id=ids(ZONGZHI))
    establish(CALLIGRAPHY, branch_type="featured_group", level="group", former_employer=None,
              parent_id=ids(FINANCE))

    under = branches.list_branches(parent_id=ids(ZONGZHI))
    assert [item["name"] for item in under["items"]] == [FINANCE]
    with pytest.raises(DomainRuleViolated) as refused:
        branches.dissolve_branch({"branch_id": ids(ZONGZHI), "reason": "撤并"})
    assert refused.value.context == {"children": [ids(FINANCE)]}


def test_merging_moves_the_members_to_the_target_once(branches, branches_container, establish,
                                                     known_volunteer):
    establish()
    establish(EDUCATION, former_employer="盐城市教育局")
    for name in ("王建国", "李秀英"):
        branches.add_member({"branch_id": ids(FINANCE), "volunteer_id": known_volunteer(name)})

    merged = branches.merge_branch({"branch_id": ids(FINANCE), "into_branch_id": ids(EDUCATION),
                                    "reason": "机构改革，两局合并", "merged_on": "2024-01-02"})

    assert (merged["status"], merged["merged_into"], merged["members"]) == (
        "merged", ids(EDUCATION), [])
    target = branches.get_branch(ids(EDUCATION))
    assert target["members"] == sorted([ids("王建国"), ids("李秀英")])
    assert target["absorbed_from"] == [ids(FINANCE)]
    with entrypoint_hook(branches_container, "complete_merges") as complete_merges:
        assert complete_merges() == 0


def test_a_merge_cut_short_before_the_absorb_is_completed_once(
    branches, branches_container, establish, known_volunteer, stored, eventually
):
    """As if the service died between appending BranchMerged and the target's absorb."""
    establish()
    establish(EDUCATION, former_employer="盐城市教育局")
    branches.add_member({"branch_id": ids(FINANCE), "volunteer_id": known_volunteer("王建国")})
    finance, version = b.replay(stored.stream(branch_stream(ids(FINANCE)))), 2
    target = b.replay(stored.stream(branch_stream(ids(EDUCATION))))
    events = b.merge(finance, cmd.MergeBranch(ids(FINANCE), ids(EDUCATION), "机构改革",
                                              date(2024, 1, 2)), target)
    stored.store.append(branch_stream(ids(FINANCE)), events, version)
    eventually(lambda: branches.get_branch(ids(FINANCE))["status"] == "merged")

    with entrypoint_hook(branches_container, "complete_merges") as complete_merges:
        assert complete_merges() == 1
        assert complete_merges() == 0

    assert stored.types(branch_stream(ids(EDUCATION))).count("BranchAbsorbed") == 1
    assert branches.get_branch(ids(EDUCATION))["members"] == [ids("王建国")]


def test_item_decisions_are_recorded_one_by_one_or_together(branches, establish, stored):
    establish()
    applied = branches.apply_for_certification({
        "branch_id": ids(FINANCE), "level": "达标", "checklist": "五化", "applicant": "李秀英",
        "applied_on": "2024-03-01", "evidence": evidence("wuhua")})
    application_id = applied["open_application"]
    assert applied["applications"][0]["unmet_mandatory"][:1] == ["branches_in_communities"]

    single = {"branch_id": ids(FINANCE), "application_id": application_id, "reviewer": "王评审"}
    branches.review_item({**single, "item": "unified_signage", "met": False, "note": "缺标牌"})
    history = branches.review_items({**single, "items": [
        {"item": "unified_signage", "met": True}, {"item": "outreach_talks", "met": True}]})

    items = {row["item"]: row for row in history["applications"][0]["items"]}
    assert (items["unified_signage"]["met"], items["outreach_talks"]["met"]) == (True, True)
    assert items["unified_signage"]["evidence"]["text"].endswith("台账齐全")
    assert stored.types(f"certification-{ids(FINANCE)}").count("ItemReviewed") == 3


def test_a_batch_with_one_bad_decision_names_it_and_records_none(branches, establish, stored):
    establish()
    application_id = branches.apply_for_certification({
        "branch_id": ids(FINANCE), "level": "standard", "checklist": "wuhua",
        "applicant": "李秀英", "applied_on": "2024-03-01",
        "evidence": evidence("wuhua")})["open_application"]
    before = stored.commits()

    with pytest.raises(ValidationFailed) as refused:
        branches.review_items({"branch_id": ids(FINANCE), "application_id": application_id,
                               "reviewer": "王评审", "items": [
                                   {"item": "unified_signage", "met": True},
                                   {"item": "outreach_talks", "met": False}]})

    assert set(refused.value.errors) == {"items.1.note"}
    assert stored.commits() == before


def test_a_branch_climbs_to_provincial_demonstration_with_the_provinces_reference(
    branches, establish, certify, apply_and_review
):
    establish()
    certify(ids(FINANCE), "city_demo", first_grant="2023-01-10")
    application_id = apply_and_review(ids(FINANCE), "province_demo", "2023-08-01")
    payload = grant_payload(ids(FINANCE), application_id, "province_demo", "2023-08-20")
    del payload["external_reference"]
    with pytest.raises(DomainRuleViolated) as refused:
        branches.grant_certification(payload)
    assert refused.value.field == "external_reference"

    history = branches.grant_certification({**payload, "external_reference": "苏老干〔2023〕9号"})

    assert history["holding"]["level"] == "province_demo"
    assert [past["status"] for past in history["past"]] == ["superseded"] * 3
    shown = branches.get_branch(ids(FINANCE))
    assert (shown["certification_level"], shown["certification_label"]) == (
        "province_demo", "省级示范")


def test_coverage_counts_formal_branches_held_at_the_first_level_or_above(
    branches, establish, certify
):
    establish()
    establish(EDUCATION, former_employer="盐城市教育局")
    establish("老年大学功能性党支部", branch_type="functional", former_employer=None)
    establish("盐都区财政局离退休干部党支部", county_code=YANDU)
    certify(ids(FINANCE), "county_demo")
    certify(ids("老年大学功能性党支部"))

    rows = {row["county_code"]: row for row in branches.coverage()}

    assert (rows[TINGHU]["formal_branches"], rows[TINGHU]["certified"]) == (2, 1)
    assert rows[TINGHU]["share"] == "0.5000" and not rows[TINGHU]["meets_target"]
    assert rows[YANDU]["share"] == "0.0000"
    assert rows["320972"]["share"] is None
    demo = branches.demonstration_branches()
    assert [level["level"] for level in demo["levels"]] == [
        "province_demo", "city_demo", "county_demo"]
    assert demo["by_county"] == {TINGHU: {"county_demo": 1, "city_demo": 0,
                                          "province_demo": 0}}
    listed = branches.list_branches(certification_level="county_demo")
    assert [item["name"] for item in listed["items"]] == [FINANCE]


def test_a_lapsed_certification_no_longer_counts(branches, branches_container, establish,
                                                 certify):
    establish()
    certify(ids(FINANCE), "standard", first_grant="2023-03-01")
    assert branches.get_branch(ids(FINANCE))["certified_until"] == "2026-02-28"

    set_clock(branches_container, "2026-03-01T09:00:00+08:00")  # expiry not yet recorded

    assert branches.get_branch(ids(FINANCE))["certification_level"] is None
    assert {r["county_code"]: r["certified"] for r in branches.coverage()}[TINGHU] == 0


def brand_through_cultivation(branches, name: str, first_year: int = 2021) -> None:
    branches.apply_brand({"branch_id": ids(name), "name": f"{name[:3]}·银辉先锋",
                          "description": "老党员讲党课进社区", "year": first_year})
    for year in range(first_year, first_year + 3):
        branches.review_brand({"branch_id": ids(name), "year": year, "passed": True,
                               "reviewer": "市委老干部局"})


def test_the_top_brands_are_ranked_by_score_and_chosen_once(branches, establish):
    names = [FINANCE, EDUCATION, "卫健委离退休干部党支部"]
    for name in names:
        establish(name, former_employer=name[:3])
        brand_through_cultivation(branches, name)
    assert branches.get_branch(ids(FINANCE))["brand"]["status"] == "established"

    payload = {"year": 2023, "scores": [{"branch_id": ids(FINANCE), "score": "92.5"},
                                        {"branch_id": ids(EDUCATION), "score": "95"},
                                        {"branch_id": ids(names[2]), "score": "88"}]}
    chosen = branches.select_top_brands(payload)
    again = branches.select_top_brands(payload)

    assert [(row["branch_name"], row["rank"]) for row in chosen["selected"]] == [
        (EDUCATION, 1), (FINANCE, 2), (names[2], 3)]
    assert again["selected"] == chosen["selected"]
    assert branches.get_branch(ids(EDUCATION))["brand"]["selected"] == [{"year": 2023,
                                                                         "rank": 1}]


def test_views_equal_a_rebuild_from_events(branches, branches_container, establish, certify,
                                           known_volunteer, mongo_client, mongo_db):
    establish(ZONGZHI, level="general_branch", former_employer=None, community="新兴镇")
    establish(FINANCE, parent_id=ids(ZONGZHI))
    establish(EDUCATION, former_employer="盐城市教育局", parent_id=ids(ZONGZHI))
    establish(CALLIGRAPHY, branch_type="featured_group", level="group", former_employer=None,
              parent_id=ids(FINANCE))
    branches.add_member({"branch_id": ids(FINANCE), "volunteer_id": known_volunteer("王建国")})
    branches.rename_branch({"branch_id": ids(EDUCATION), "name": "教育系统离退休干部党支部"})
    certify(ids(FINANCE), "county_demo", first_grant="2023-03-01")
    certify(ids(EDUCATION), first_grant="2023-02-01")
    with entrypoint_hook(branches_container, "record_due_reviews") as record_due_reviews:
        record_due_reviews()
    branches.revoke_certification({"branch_id": ids(EDUCATION), "revoked_by": "city_bureau",
                                   "reason": "组织生活长期不正常", "revoked_on": "2024-05-01"})
    brand_through_cultivation(branches, FINANCE)
    branches.dissolve_branch({"branch_id": ids(CALLIGRAPHY), "reason": "党员全部转出"})

    rebuilt_db = mongo_client[mongo_db.name + "_rebuilt"]
    try:
        Projector(EventStore(mongo_db, build_registry()), VIEWS, db=rebuilt_db).rebuild()
        for collection in ("branch_view", "certification_view", "brand_view"):
            live = sorted(mongo_db[collection].find(), key=lambda d: d["_id"])
            rebuilt = sorted(rebuilt_db[collection].find(), key=lambda d: d["_id"])
            assert live == rebuilt and live, collection
        assert branches.rebuild_views() > 0
        assert branches.get_branch(ids(FINANCE))["certification_level"] == "county_demo"
    finally:
        mongo_client.drop_database(rebuilt_db.name)

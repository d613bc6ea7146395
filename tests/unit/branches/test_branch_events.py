from datetime import date

import pytest

from contracts.branches import events as ev
from services.branches.domain import branch as b, brand as br, certification as c
from yinfa.events.registry import SchemaRegistry

FINANCE = "财政局离退休干部党支部"
EDUCATION = "教育局离退休干部党支部"


@pytest.fixture
def registry():
    return SchemaRegistry().register_module(ev.SCHEMAS, ev.UPCASTERS)


@pytest.fixture
def branch_events(branch, working_committee, catalog, ids):
    finance = branch(members=[ids("王建国")])
    education = branch(EDUCATION, former_employer="盐城市教育局")
    return [
        *b.establish(None, {"branch_id": ids("新支部"), "name": "文峰社区夕阳红党支部",
                            "branch_type": "formal", "level": "branch", "county_code": "320902",
                            "community": "文峰社区", "established_on": date(2024, 1, 1)},
                     None, catalog),
        *b.rename(finance, {"name": "财政局退休干部党支部"}),
        *b.change_officers(finance, {"secretary_ref": None}),
        *b.move(finance, {"branch_id": ids(FINANCE), "parent_id": ids(working_committee.name)},
                working_committee, [], catalog),
        *b.add_member(finance, {"volunteer_id": ids("李秀英")}, "verified"),
        *b.remove_member(finance, {"volunteer_id": ids("王建国")}),
        *b.merge(finance, {"branch_id": ids(FINANCE), "into_branch_id": ids(EDUCATION),
                           "reason": "合并", "merged_on": date(2024, 1, 1)}, education),
        *b.absorb(education, {"from_branch_id": ids(FINANCE), "members": [ids("王建国")]}),
        *b.dissolve(education, {"reason": "撤销", "dissolved_on": date(2024, 1, 1)}),
    ]


@pytest.fixture
def certification_events(application, all_met, branch, certified, checklists, catalog, ids):
    applied = c.apply_for(None, application(), branch(), checklists, catalog)
    open_state = c.replay(applied)
    decision = {"application_id": ids("达标申请"), "granted_by": "county_bureau",
                "refused_by": "county_bureau", "granter_county": "320902",
                "granted_on": date(2022, 4, 1), "reason": "台账不全"}
    held = certified("standard")
    due = c.reviews_due(held, date(2023, 4, 1), catalog)
    review = {"due_on": date(2023, 4, 1), "reviewer": "county_bureau",
              "granter_county": "320902", "note": "复核不合格"}
    return [
        *applied,
        *c.review_item(open_state, {"application_id": ids("达标申请"), "item": "work_funds",
                                    "met": False, "note": "经费未落实", "reviewer": "王评审"}),
        *c.grant(all_met(open_state, ids("达标申请")), decision, branch(), catalog),
        *c.refuse(open_state, decision, branch(), catalog),
        *due,
        *c.pass_review(c.replay(due, held), review, branch(), catalog),
        *c.fail_review(c.replay(due, held), review, branch(), catalog),
        *c.revoke(held, {**review, "revoked_by": "county_bureau", "reason": "违纪",
                         "revoked_on": date(2023, 5, 1)}, branch(), catalog),
        *c.expiry_due(held, date(2026, 1, 1)),
    ]


@pytest.fixture
def brand_events(branch, catalog, ids):
    applied = br.apply_brand(None, {"name": "江海银发先锋", "description": "老党员结对帮扶",
                                    "year": 2021}, branch(), catalog)
    reviewed = br.review_brand(br.replay(applied), {"year": 2021, "passed": True,
                                                    "reviewer": "市局评审组"})
    brand = br.replay([*applied, *reviewed])
    selection = br.select_top_brands(2021, {ids(FINANCE): brand}, {ids(FINANCE): 95}, catalog)
    return [*applied, *reviewed, *selection.events[ids(FINANCE)]]


@pytest.fixture
def decided(branch_events, certification_events, brand_events):
    return [*branch_events, *certification_events, *brand_events]


def test_every_event_type_is_decided_by_some_command(decided):
    assert {event.type for event in decided} == set(ev.CURRENT_VERSIONS)


def test_every_decided_event_is_valid_against_its_current_schema(decided, registry):
    for event in decided:
        assert registry.current_version(event.type) == event.schema_version
        registry.validate(event.type, event.schema_version, event.data)


def test_each_stream_folds_only_its_own_events(branch_events, certification_events,
                                               brand_events):
    assert {e.type for e in branch_events} == ev.BRANCH_EVENTS
    assert {e.type for e in certification_events} == ev.CERTIFICATION_EVENTS
    assert {e.type for e in brand_events} == ev.BRAND_EVENTS
    with pytest.raises(ValueError, match="does not belong to a brand stream"):
        br.evolve(br.replay(brand_events[:1]), "MemberAdded", {"volunteer_id": "x"})
    with pytest.raises(ValueError, match="before CertificationApplied"):
        c.evolve(None, "CertificationGranted", {})


def test_events_that_named_people_are_at_version_two_with_references_only():
    named = {"BranchEstablished", "BranchOfficersChanged", "CertificationApplied",
             "ItemReviewed", "BrandReviewed"}
    assert {t for t, v in ev.CURRENT_VERSIONS.items() if v == 2} == named
    assert set(ev.CURRENT_VERSIONS.values()) == {1, 2}
    assert ev.upcast("BranchEstablished", 1, {"name": "财政局支部", "secretary": "李秀英",
                                               "liaison": None}) == {
        "name": "财政局支部", "secretary_ref": None, "liaison_ref": None}
    assert ev.upcast("ItemReviewed", 1, {"item": "a", "reviewer": "张科长"}) == {
        "item": "a", "reviewer_ref": None}


def test_a_new_event_carries_the_current_version_and_may_fix_its_id():
    event = ev.new_event(ev.MEMBER_ADDED, {"volunteer_id": "v"}, event_id="fixed")

    assert (event.type, event.schema_version, event.event_id) == ("MemberAdded", 1, "fixed")

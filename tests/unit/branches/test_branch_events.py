from datetime import date

import pytest

from contracts.branches import events as ev
from services.branches.domain import (
    branch as b,
    brand as br,
    certification as c,
    commands as cmd,
    member_merges as mm,
)
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
        *b.establish(None, cmd.EstablishBranch(
            ids("新支部"), "文峰社区夕阳红党支部", "formal", "branch", "320902", date(2024, 1, 1),
            community="文峰社区"), None, catalog),
        *b.rename(finance, cmd.RenameBranch(ids(FINANCE), "财政局退休干部党支部")),
        *b.change_officers(finance, cmd.ChangeOfficers(ids(FINANCE), {},
                                                       officer_refs={"secretary": None})),
        *b.move(finance, cmd.MoveBranch(ids(FINANCE), ids(working_committee.name)),
                working_committee, [], catalog),
        *b.add_member(finance, cmd.AddMember(ids(FINANCE), ids("李秀英")), "verified"),
        *b.remove_member(finance, cmd.RemoveMember(ids(FINANCE), ids("王建国"))),
        *b.merge(finance, cmd.MergeBranch(ids(FINANCE), ids(EDUCATION), "合并",
                                          date(2024, 1, 1)), education),
        *b.absorb(education, ids(FINANCE), [ids("王建国")]),
        *b.move_member(finance, cmd.MoveMember(ids(FINANCE), ids("王建国"), ids(EDUCATION),
                                               ids("调动")), education),
        *b.dissolve(education, cmd.DissolveBranch(ids(EDUCATION), "撤销", date(2024, 1, 1))),
        *_merged_and_undone(finance, ids),
    ]


def _merged_and_undone(finance, ids):
    merged = mm.merge_records(finance, ids("合并"), ids("王建国"), ids("王建国2"), "320902")
    return [*merged, *mm.unmerge_records(b.replay(merged, finance), ids("合并"))]


@pytest.fixture
def certification_events(application, all_met, branch, certified, checklists, catalog, ids):
    applied = c.apply_for(None, application(), branch(), checklists, catalog)
    open_state = c.replay(applied)
    finance, application_id, county = ids(FINANCE), ids("达标申请"), "320902"
    held = certified("standard")
    due = c.reviews_due(held, date(2023, 4, 1), catalog)
    reviewed = (finance, date(2023, 4, 1), "county_bureau")
    return [
        *applied,
        *c.review_item(open_state, cmd.ReviewItem(finance, application_id, "work_funds", False,
                                                  reviewer="王评审", note="经费未落实")),
        *c.grant(all_met(open_state, application_id), cmd.GrantCertification(
            finance, application_id, "county_bureau", date(2022, 4, 1), county), branch(),
            catalog),
        *c.refuse(open_state, cmd.RefuseCertification(
            finance, application_id, "county_bureau", "台账不全", county), branch(), catalog),
        *due,
        *c.pass_review(c.replay(due, held), cmd.PassReview(*reviewed, county, "复核不合格"),
                       branch(), catalog),
        *c.fail_review(c.replay(due, held), cmd.FailReview(*reviewed, "复核不合格", county),
                       branch(), catalog),
        *c.revoke(held, cmd.RevokeCertification(finance, "county_bureau", "违纪",
                                                date(2023, 5, 1), county), branch(), catalog),
        *c.expiry_due(held, date(2026, 1, 1)),
    ]


@pytest.fixture
def brand_events(branch, catalog, ids):
    applied = br.apply_brand(None, cmd.ApplyForBrand(ids(FINANCE), "江海银发先锋", "老党员结对帮扶",
                                                     2021), branch(), catalog)
    reviewed = br.review_brand(br.replay(applied), cmd.ReviewBrand(ids(FINANCE), 2021, True,
                                                                   reviewer="市局评审组"))
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
    assert set(ev.NAMED_FIELDS) == named
    # BrandApplied is at v2 for another reason: the programme theme it serves
    assert {t for t, v in ev.CURRENT_VERSIONS.items() if v == 2} == named | {"BrandApplied"}
    assert set(ev.CURRENT_VERSIONS.values()) == {1, 2}
    assert ev.upcast("BranchEstablished", 1, {"name": "财政局支部", "secretary": "李秀英",
                                               "liaison": None}) == {
        "name": "财政局支部", "secretary_ref": None, "liaison_ref": None}
    assert ev.upcast("ItemReviewed", 1, {"item": "a", "reviewer": "张科长"}) == {
        "item": "a", "reviewer_ref": None}


def test_a_new_event_carries_the_current_version_and_may_fix_its_id():
    event = ev.new_event(ev.MEMBER_ADDED, {"volunteer_id": "v"}, event_id="fixed")

    assert (event.type, event.schema_version, event.event_id) == ("MemberAdded", 1, "fixed")

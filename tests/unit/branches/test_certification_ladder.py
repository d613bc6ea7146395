from dataclasses import replace
from datetime import date

import pytest

from services.branches.domain import branch as b, certification as c, commands as cmd
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound

APRIL_2022 = date(2022, 4, 1)
FINANCE = "财政局离退休干部党支部"


def reviewing(ids, item, met=True, note=None):
    return cmd.ReviewItem(ids(FINANCE), ids("达标申请"), item, met, reviewer="王评审", note=note)


@pytest.fixture
def applied(branch, application, checklists, catalog):
    """The certification state of our branch after applying for `level` (nothing held)."""

    def make(level="standard", state=None, of=None, **overrides):
        command = application(level, **overrides)
        return c.replay(c.apply_for(state, command, of or branch(), checklists, catalog), state)

    return make


@pytest.fixture
def granting(ids):
    def make(name="达标申请", role="county_bureau", county="320902", on=APRIL_2022, ref=None):
        return cmd.GrantCertification(ids(FINANCE), ids(name), granted_by=role,
                                      granter_county=county, granted_on=on,
                                      external_reference=ref)

    return make


def test_applying_copies_the_checklist_items_and_the_evidence(applied, checklists):
    state = applied()
    application = state.open_application

    assert application.level == "standard"
    assert (application.checklist, application.checklist_version) == ("liuyou_yitisheng", 1)
    assert len(application.items) == 29
    assert application.mandatory == set(checklists["liuyou_yitisheng"].mandatory_items)
    assert application.unmet_mandatory == checklists["liuyou_yitisheng"].mandatory_items


def test_a_branch_with_nothing_held_starts_at_the_first_level(applied):
    with pytest.raises(DomainRuleViolated, match="climbed in order") as refused:
        applied("county_demo")
    assert refused.value.field == "level"
    assert refused.value.context == {"held": None, "allowed": ["standard"]}


def test_granting_with_every_item_met_holds_the_level_for_thirty_six_months(
    applied, all_met, granting, branch, catalog, ids
):
    state = all_met(applied(), ids("达标申请"))
    events = c.grant(state, granting(), branch(), catalog)
    state = c.replay(events, state)

    assert events[0].type == "CertificationGranted"
    assert events[0].data["valid_until"] == "2025-03-31"
    assert events[0].data["previous_level"] is None
    assert c.current_level(state, date(2025, 3, 31)) == "standard"


def test_granting_with_an_unmet_mandatory_item_is_refused(
    applied, all_met, granting, branch, catalog, ids
):
    state = all_met(applied(), ids("达标申请"))
    state = c.replay(c.review_item(state, reviewing(ids, "work_funds", False,
                                                    "原单位未落实工作经费")), state)

    with pytest.raises(DomainRuleViolated, match="mandatory items are not met") as refused:
        c.grant(state, granting(), branch(), catalog)
    assert refused.value.field == "items"
    assert refused.value.context == {"unmet": ["work_funds"]}


def test_an_unreviewed_mandatory_item_counts_as_unmet(applied, granting, branch, catalog,
                                                      checklists):
    with pytest.raises(DomainRuleViolated, match="not met") as refused:
        c.grant(applied(), granting(), branch(), catalog)
    assert refused.value.context["unmet"] == list(checklists["liuyou_yitisheng"].mandatory_items)


def test_an_unmet_optional_item_does_not_block_the_grant(
    applied, all_met, granting, branch, catalog, ids
):
    state = all_met(applied(), ids("达标申请"))
    state = c.replay(c.review_item(state, reviewing(ids, "online_venue", False,
                                                    "尚未建立网络党支部")), state)

    assert c.grant(state, granting(), branch(), catalog)


def test_a_later_decision_on_an_item_replaces_the_earlier_one(applied, ids):
    state = applied()
    unmet = reviewing(ids, "work_funds", False, "经费未到位")
    state = c.replay(c.review_item(state, unmet), state)
    state = c.replay(c.review_item(state, replace(unmet, met=True, note="已补齐")), state)

    assert state.open_application.decisions["work_funds"].met
    assert c.review_item(state, replace(unmet, met=True, note="已补齐")) == []


def test_reviewing_an_item_outside_the_checklist_is_not_found(applied, ids):
    with pytest.raises(NotFound) as refused:
        c.review_item(applied(), reviewing(ids, "excellent_setup"))
    assert refused.value.field == "item"


def test_the_ladder_is_climbed_one_rung_at_a_time(certified):
    state = certified("province_demo")

    assert c.current_level(state, date(2025, 5, 1)) == "province_demo"
    assert [h.level for h in state.past] == ["standard", "county_demo", "city_demo"]
    assert {h.status for h in state.past} == {"superseded"}


def test_skipping_a_level_is_refused_even_with_every_item_met(
    certified, application, branch, checklists, catalog
):
    state = certified("standard")

    with pytest.raises(DomainRuleViolated, match="climbed in order") as refused:
        c.apply_for(state, application("city_demo", "市级示范申请", applied_on=date(2023, 1, 5)),
                    branch(), checklists, catalog)
    assert refused.value.context == {"held": "standard", "allowed": ["standard", "county_demo"]}


@pytest.fixture
def applied_for_city_demo(certified, application, all_met, branch, checklists, catalog, ids):
    """A county demonstration branch whose application for the city level has every item
    met."""
    state = certified("county_demo")
    state = c.replay(c.apply_for(state, application("city_demo", "市级示范申请",
                                                    applied_on=date(2024, 3, 1)),
                                 branch(), checklists, catalog), state)
    return all_met(state, ids("市级示范申请"))


def test_a_county_bureau_cannot_grant_a_city_demonstration(
    applied_for_city_demo, branch, catalog, ids
):
    command = cmd.GrantCertification(ids(FINANCE), ids("市级示范申请"), "county_bureau",
                                     date(2024, 4, 1), granter_county="320902")

    with pytest.raises(DomainRuleViolated, match="no authority over 市级示范") as refused:
        c.grant(applied_for_city_demo, command, branch(), catalog)
    assert refused.value.field == "granted_by"
    assert refused.value.context["allowed"] == ["city_bureau"]


def test_a_county_caller_naming_the_city_bureau_is_refused_by_the_domain_too(
    applied_for_city_demo, branch, catalog, ids
):
    command = cmd.GrantCertification(ids(FINANCE), ids("市级示范申请"), "city_bureau",
                                     date(2024, 4, 1), granter_county="320902")

    with pytest.raises(DomainRuleViolated, match="decides as its own bureau") as refused:
        c.grant(applied_for_city_demo, command, branch(), catalog)
    assert refused.value.field == "granted_by"


def test_the_city_bureau_cannot_grant_the_county_level_standard(
    applied, all_met, granting, branch, catalog, ids
):
    state = all_met(applied(), ids("达标申请"))

    with pytest.raises(DomainRuleViolated, match="no authority"):
        c.grant(state, granting(role="city_bureau", county=None), branch(), catalog)


def test_a_county_bureau_decides_only_for_branches_of_its_own_county(
    applied, all_met, granting, branch, catalog, ids
):
    state = all_met(applied(), ids("达标申请"))

    with pytest.raises(DomainRuleViolated, match="own county") as refused:
        c.grant(state, granting(county="320903"), branch(), catalog)
    assert refused.value.field == "granter_county"


def test_the_provincial_level_is_recorded_by_the_city_with_the_external_reference(
    certified, application, all_met, branch, checklists, catalog, ids
):
    state = certified("city_demo")
    state = c.replay(c.apply_for(state, application("province_demo", "省级示范申请",
                                                    applied_on=date(2025, 3, 1)),
                                 branch(), checklists, catalog), state)
    state = all_met(state, ids("省级示范申请"))
    command = cmd.GrantCertification(ids(FINANCE), ids("省级示范申请"), "city_bureau",
                                     date(2025, 4, 1))

    with pytest.raises(DomainRuleViolated) as refused:
        c.grant(state, command, branch(), catalog)
    assert refused.value.field == "external_reference"

    events = c.grant(state, replace(command, external_reference="苏老干〔2025〕7号"), branch(),
                     catalog)
    assert events[0].data["external_reference"] == "苏老干〔2025〕7号"
    assert events[0].data["previous_level"] == "city_demo"


def test_a_dissolved_branch_cannot_apply(application, branch, checklists, catalog):
    with pytest.raises(DomainRuleViolated, match="dissolved branch cannot apply") as refused:
        c.apply_for(None, application(), branch(status=b.DISSOLVED), checklists, catalog)
    assert refused.value.field == "branch_id"


def test_a_dissolved_branch_cannot_be_granted_what_it_applied_for(
    applied, all_met, granting, branch, catalog, ids
):
    state = all_met(applied(), ids("达标申请"))

    with pytest.raises(DomainRuleViolated, match="dissolved branch cannot be certified"):
        c.grant(state, granting(), branch(status=b.DISSOLVED), catalog)


def test_a_dissolved_branch_cannot_be_recertified(certified, application, branch, checklists,
                                                  catalog):
    state = certified("standard")

    with pytest.raises(DomainRuleViolated, match="dissolved"):
        c.apply_for(state, application("standard", "复评申请", applied_on=date(2024, 1, 1)),
                    branch(status=b.DISSOLVED), checklists, catalog)


def test_an_unknown_branch_cannot_apply(application, checklists, catalog):
    with pytest.raises(NotFound):
        c.apply_for(None, application(), None, checklists, catalog)


def test_a_party_group_is_not_certified(application, branch, checklists, catalog):
    group = branch("书法特色党小组", parent=branch(), branch_type="featured_group",
                   level="group")

    with pytest.raises(DomainRuleViolated, match="党小组 is not certified"):
        c.apply_for(None, application(), group, checklists, catalog)


def test_only_one_application_is_open_at_a_time(applied, application, branch, checklists,
                                                 catalog):
    state = applied()

    with pytest.raises(DomainRuleViolated, match="open application"):
        c.apply_for(state, application(name="第二份申请"), branch(), checklists, catalog)
    with pytest.raises(AlreadyExists):
        c.apply_for(state, application(), branch(), checklists, catalog)


def test_every_mandatory_item_needs_evidence(application, branch, checklists, catalog):
    evidence = [cmd.Evidence("committee_elected_on_time", "换届选举记录")]

    with pytest.raises(DomainRuleViolated, match="needs evidence") as refused:
        c.apply_for(None, application(evidence=evidence), branch(), checklists, catalog)
    assert refused.value.field == "evidence"
    assert "work_funds" in refused.value.context["missing"]


def test_evidence_for_an_item_of_another_checklist_is_refused(application, branch, checklists,
                                                              catalog):
    command = application()
    command = replace(command, evidence=(*command.evidence,
                                         cmd.Evidence("excellent_setup", "组织设置优")))

    with pytest.raises(DomainRuleViolated, match="not items of 六有一提升"):
        c.apply_for(None, command, branch(), checklists, catalog)


def test_an_application_may_use_another_standard(application, branch, checklists, catalog):
    command = application(checklist="sihao_wuqiang_liuyou")
    state = c.replay(c.apply_for(None, command, branch(), checklists, catalog))

    assert state.open_application.checklist == "sihao_wuqiang_liuyou"
    assert len(state.open_application.items) == 15


def test_refusing_closes_the_application_and_names_the_unmet_items(
    applied, branch, catalog, ids, checklists
):
    events = c.refuse(applied(), cmd.RefuseCertification(
        ids(FINANCE), ids("达标申请"), "county_bureau", "台账不全", granter_county="320902"),
        branch(), catalog)
    state = c.replay(events, applied())

    assert events[0].data["unmet_items"] == list(
        checklists["liuyou_yitisheng"].mandatory_items)
    assert state.open_application is None
    with pytest.raises(DomainRuleViolated, match="already refused"):
        c.grant(state, cmd.GrantCertification(ids(FINANCE), ids("达标申请"), "county_bureau",
                                              APRIL_2022, granter_county="320902"),
                branch(), catalog)


def test_a_grant_cannot_precede_its_application(applied, all_met, granting, branch, catalog,
                                                ids):
    state = all_met(applied(), ids("达标申请"))

    with pytest.raises(DomainRuleViolated) as refused:
        c.grant(state, granting(on=date(2022, 2, 1)), branch(), catalog)
    assert refused.value.field == "granted_on"


def test_holding_the_level_again_renews_its_validity(certified, branch):
    state = certified("standard")
    state = certified.grant_level(state, branch(), "standard", date(2024, 12, 1))

    assert state.holding.valid_until == date(2027, 11, 30)
    assert [h.status for h in state.past] == ["superseded"]

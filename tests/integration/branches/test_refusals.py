"""Bad input arrives at the RPC caller as a typed error naming the field, and stores
nothing."""
from __future__ import annotations

import pytest
from branch_service_examples import FINANCE, YANDU, grant_payload, ids

from yinfa.errors import DomainRuleViolated, NotFound, ValidationFailed

ZONGZHI = "新兴镇离退休干部党总支"
CALLIGRAPHY = "书法特色党小组"


@pytest.fixture
def refused(stored):
    """Run a call that must fail: return the error, and check nothing was stored."""

    def run(error_class, call, *args):
        before = stored.commits()
        with pytest.raises(error_class) as caught:
            call(*args)
        assert stored.commits() == before
        return caught.value

    return run


def test_a_county_bureau_cannot_grant_a_city_level(branches, establish, certify,
                                                     apply_and_review, refused):
    establish()
    certify(ids(FINANCE), "county_demo")
    application_id = apply_and_review(ids(FINANCE), "city_demo", "2023-09-01")
    payload = {**grant_payload(ids(FINANCE), application_id, "city_demo", "2023-09-10"),
               "granted_by": "county_bureau", "granter_county": "320902"}

    error = refused(DomainRuleViolated, branches.grant_certification, payload)

    assert error.field == "granted_by"
    assert error.context["allowed"] == ["city_bureau"]


def test_another_countys_bureau_cannot_grant(branches, establish, apply_and_review, refused):
    establish()
    application_id = apply_and_review(ids(FINANCE), "standard", "2023-03-01")
    payload = {**grant_payload(ids(FINANCE), application_id, "standard", "2023-03-10"),
               "granter_county": YANDU}

    assert refused(DomainRuleViolated, branches.grant_certification, payload).field == (
        "granter_county")


def test_a_branch_cannot_skip_a_level(branches, establish, refused):
    establish()
    payload = {"branch_id": ids(FINANCE), "level": "县级示范", "checklist": "六有一提升",
               "applicant": "李秀英", "applied_on": "2023-03-01",
               "evidence": [{"item": "work_funds", "text": "经费到位"}]}

    error = refused(DomainRuleViolated, branches.apply_for_certification, payload)

    assert error.field == "level"
    assert error.context["allowed"] == ["standard"]


def test_an_unmet_mandatory_item_blocks_the_grant(branches, establish, apply_and_review,
                                                  refused):
    establish()
    application_id = apply_and_review(ids(FINANCE), "standard", "2023-03-01",
                                      unmet=("work_funds",))
    payload = grant_payload(ids(FINANCE), application_id, "standard", "2023-03-10")

    error = refused(DomainRuleViolated, branches.grant_certification, payload)

    assert error.field == "items"
    assert error.context == {"unmet": ["work_funds"]}


def test_a_dissolved_branch_cannot_be_certified_again(branches, establish, certify, refused):
    establish()
    certify(ids(FINANCE), "standard", first_grant="2023-03-01")
    branches.dissolve_branch({"branch_id": ids(FINANCE), "reason": "党员全部转出",
                              "dissolved_on": "2024-01-15"})
    payload = {"branch_id": ids(FINANCE), "level": "standard", "checklist": "liuyou_yitisheng",
               "applicant": "李秀英", "applied_on": "2024-02-01",
               "evidence": [{"item": "work_funds", "text": "经费到位"}]}

    error = refused(DomainRuleViolated, branches.apply_for_certification, payload)

    assert error.field == "branch_id"
    assert "dissolved" in str(error)


def test_a_branch_cannot_move_under_its_own_branch(branches, establish, refused):
    establish(ZONGZHI, level="general_branch", former_employer=None, community="新兴镇")
    establish(FINANCE, parent_id=ids(ZONGZHI))

    error = refused(DomainRuleViolated, branches.move_branch,
                    {"branch_id": ids(ZONGZHI), "parent_id": ids(FINANCE)})

    assert error.field == "parent_id"
    assert "cycle" in str(error)


def test_a_party_group_needs_a_branch_above_it(branches, establishing, refused):
    payload = establishing(CALLIGRAPHY, branch_type="特色党小组", level="党小组",
                           former_employer=None)

    error = refused(DomainRuleViolated, branches.establish_branch, payload)

    assert error.field == "parent_id"
    assert error.context == {"allowed": ["branch"]}


def test_a_group_under_an_unknown_branch_is_not_found(branches, establishing, refused):
    payload = establishing(CALLIGRAPHY, branch_type="featured_group", level="group",
                           former_employer=None, parent_id=ids("不存在的支部"))

    assert refused(NotFound, branches.establish_branch, payload).field == "parent_id"


def test_malformed_input_names_every_bad_field(branches, establishing, refused):
    payload = establishing(county_code="320602", branch_type="临时", colour="红")

    error = refused(ValidationFailed, branches.establish_branch, payload)

    assert set(error.errors) == {"county_code", "branch_type", "colour"}


def test_an_unknown_or_withdrawn_volunteer_cannot_join(branches, establish, known_volunteer,
                                                       refused):
    establish()
    gone = known_volunteer("王建国", status="withdrawn")

    error = refused(DomainRuleViolated, branches.add_member,
                    {"branch_id": ids(FINANCE), "volunteer_id": gone})
    assert (error.field, error.context) == ("volunteer_id", {"status": "withdrawn"})
    unknown = {"branch_id": ids(FINANCE), "volunteer_id": ids("无此人")}
    assert refused(NotFound, branches.add_member, unknown).field == "volunteer_id"

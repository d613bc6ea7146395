from decimal import Decimal

import pytest

from contracts.branches import commands as s
from yinfa.errors import ValidationFailed
from yinfa.schemas import city_today

BRANCH_ID = "6f1c1f4e-2b8e-4f3a-9a57-0d7f0a3e5b21"
PARENT_ID = "0b8f9a52-7c3d-4e1f-8a2b-5c6d7e8f9a0b"


def _establishing(**overrides):
    return {"name": " 财政局离退休干部党支部 ", "branch_type": "建制性", "level": "支部",
            "county_code": "320902", "former_employer": "盐城市财政局", **overrides}


def test_establishing_accepts_zh_labels_for_type_and_level_and_defaults_the_rest():
    command = s.load_command(s.EstablishBranch, _establishing())

    assert (command["branch_type"], command["level"]) == ("formal", "branch")
    assert command["name"] == "财政局离退休干部党支部"
    assert command["parent_id"] is None and command["established_on"] == city_today()
    assert len(command["branch_id"]) == 36


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationFailed) as refused:
        s.load_command(s.EstablishBranch, _establishing(colour="红"))
    assert "colour" in refused.value.errors


def test_an_unknown_type_and_level_a_county_of_another_city_and_a_bad_parent_id_are_named():
    with pytest.raises(ValidationFailed) as refused:
        s.load_command(s.EstablishBranch, _establishing(branch_type="临时", level="党委",
                                                        county_code="320602",
                                                        parent_id="not-a-uuid"))
    assert set(refused.value.errors) == {"branch_type", "level", "county_code", "parent_id"}


def test_a_future_establishment_date_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        s.load_command(s.EstablishBranch, _establishing(established_on="2999-01-01"))
    assert "established_on" in refused.value.errors


def test_changing_officers_needs_at_least_one_post_and_null_leaves_it_vacant():
    with pytest.raises(ValidationFailed):
        s.load_command(s.ChangeOfficers, {"branch_id": BRANCH_ID})

    command = s.load_command(s.ChangeOfficers, {"branch_id": BRANCH_ID, "liaison": None})
    assert command == {"branch_id": BRANCH_ID, "liaison": None}


def test_moving_to_the_county_bureau_is_an_explicit_null_parent():
    assert s.load_command(s.MoveBranch, {"branch_id": BRANCH_ID, "parent_id": None}
                          )["parent_id"] is None
    with pytest.raises(ValidationFailed):
        s.load_command(s.MoveBranch, {"branch_id": BRANCH_ID})


def test_an_application_takes_a_level_and_checklist_by_label_and_evidence_links():
    command = s.load_command(s.ApplyForCertification, {
        "branch_id": BRANCH_ID, "level": "达标", "checklist": "六有一提升", "applicant": "李秀英",
        "evidence": [{"item": "activity_room", "text": "老党员之家 60 平方米",
                      "links": ["https://example.org/photo/1.jpg"]}],
    })

    assert (command["level"], command["checklist"]) == ("standard", "liuyou_yitisheng")
    assert command["evidence"][0]["links"] == ["https://example.org/photo/1.jpg"]


def test_an_application_names_a_level_and_a_checklist_of_the_catalog():
    with pytest.raises(ValidationFailed) as refused:
        s.load_command(s.ApplyForCertification, {
            "branch_id": BRANCH_ID, "level": "国家级示范", "checklist": "七有",
            "applicant": "李秀英", "evidence": [{"item": "activity_room", "text": "照片"}],
        })
    assert set(refused.value.errors) == {"level", "checklist"}


def test_evidence_links_must_be_web_addresses():
    with pytest.raises(ValidationFailed) as refused:
        s.load_command(s.ApplyForCertification, {
            "branch_id": BRANCH_ID, "level": "standard", "checklist": "wuhua",
            "applicant": "李秀英",
            "evidence": [{"item": "activity_room", "text": "照片", "links": ["file:///etc/x"]}],
        })
    assert "evidence" in refused.value.errors


def test_an_item_not_met_needs_a_note_at_the_boundary():
    with pytest.raises(ValidationFailed) as refused:
        s.load_command(s.ReviewItem, {"branch_id": BRANCH_ID, "application_id": PARENT_ID,
                                      "item": "work_funds", "met": False, "reviewer": "王评审"})
    assert "note" in refused.value.errors


def test_a_grant_names_a_known_role_by_code_or_label():
    command = s.load_command(s.GrantCertification, {
        "branch_id": BRANCH_ID, "application_id": PARENT_ID, "granted_by": "市委老干部局"})

    assert command["granted_by"] == "city_bureau"
    with pytest.raises(ValidationFailed) as refused:
        s.load_command(s.GrantCertification, {
            "branch_id": BRANCH_ID, "application_id": PARENT_ID, "granted_by": "省委"})
    assert "granted_by" in refused.value.errors


def test_a_failed_review_needs_a_note():
    with pytest.raises(ValidationFailed) as refused:
        s.load_command(s.FailReview, {"branch_id": BRANCH_ID, "due_on": "2024-04-01",
                                      "reviewer": "county_bureau"})
    assert "note" in refused.value.errors


def test_scores_come_out_by_branch_with_one_score_each():
    command = s.load_command(s.SelectTopBrands, {"year": 2023, "scores": [
        {"branch_id": BRANCH_ID, "score": "92.5"}, {"branch_id": PARENT_ID, "score": 88}]})

    assert command["scores"] == {BRANCH_ID: Decimal("92.50"), PARENT_ID: Decimal("88.00")}
    with pytest.raises(ValidationFailed) as refused:
        s.load_command(s.SelectTopBrands, {"year": 2023, "scores": [
            {"branch_id": BRANCH_ID, "score": 90}, {"branch_id": BRANCH_ID, "score": 80}]})
    assert "scores" in refused.value.errors


@pytest.mark.parametrize("score", [-1, "九十", "NaN", 1000.5])
def test_a_score_is_a_number_from_0_to_1000(score):
    with pytest.raises(ValidationFailed) as refused:
        s.load_command(s.SelectTopBrands, {"year": 2023, "scores": [
            {"branch_id": BRANCH_ID, "score": score}]})
    assert "scores" in refused.value.errors


def test_a_brand_that_did_not_pass_needs_a_note():
    with pytest.raises(ValidationFailed) as refused:
        s.load_command(s.ReviewBrand, {"branch_id": BRANCH_ID, "year": 2023, "passed": False,
                                       "reviewer": "市局评审组"})
    assert "note" in refused.value.errors

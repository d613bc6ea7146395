from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from activities_examples import ACTIVITY_ID, CLINIC_REQUEST, HEALTH_TEAM, WANG, WISH_ID

from contracts.activities import commands as s
from yinfa.errors import ValidationFailed


@pytest.fixture
def form():
    """What the branch secretary types into the publication form."""

    def make(**overrides):
        payload = {
            "client_request_id": CLINIC_REQUEST.upper(),
            "theme": "促进乡村振兴", "kind": "义诊送医", "title": " 重阳节银发义诊进社区 ",
            "organiser": {"kind": "branch", "id": "亭湖区卫健系统离退休党支部"},
            "county_code": "320902", "place": "文峰街道社区卫生服务中心",
            "starts_at": "2023-10-23T09:00:00", "ends_at": "2023-10-23T11:30:00+08:00",
            "capacity": 20,
        }
        payload.update(overrides)
        return {k: val for k, val in payload.items() if val is not ...}

    return make


def errors_of(schema_cls, payload):
    with pytest.raises(ValidationFailed) as failed:
        s.load_command(schema_cls, payload)
    return failed.value.errors


def test_a_publication_is_loaded_with_codes_and_utc_times(form):
    command = s.load_command(s.PublishActivity, form())

    assert (command["theme"], command["kind"]) == ("rural_revitalisation", "medical")
    assert command["client_request_id"] == CLINIC_REQUEST
    assert command["title"] == "重阳节银发义诊进社区"
    assert command["starts_at"] == datetime(2023, 10, 23, 1, tzinfo=UTC)  # read as Beijing
    assert command["ends_at"] == datetime(2023, 10, 23, 3, 30, tzinfo=UTC)
    assert (command["team_only"], command["team_id"]) == (False, None)


def test_unknown_fields_are_refused(form):
    assert errors_of(s.PublishActivity, form(organiser_phone="13812345678")) == {
        "organiser_phone": ["Unknown field."]}


@pytest.mark.parametrize(("overrides", "field"), [
    ({"county_code": "110101"}, "county_code"),
    ({"theme": "跳广场舞"}, "theme"),
    ({"kind": "banquet"}, "kind"),
    ({"organiser": {"kind": "company", "id": "x"}}, "organiser"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": "20"}, "capacity"),
    ({"ends_at": "2023-10-23T08:00:00+08:00"}, "ends_at"),
    ({"ends_at": "2023-10-23T09:00:00+08:00"}, "ends_at"),
    ({"ends_at": "2023-10-24T12:00:00+08:00"}, "ends_at"),
    ({"team_only": True}, "team_id"),
    ({"team_id": HEALTH_TEAM}, "team_id"),
    ({"organiser": {"kind": "team", "id": "not-a-uuid"}}, "organiser"),
    ({"client_request_id": "abc"}, "client_request_id"),
    ({"title": "   "}, "title"),
])
def test_a_bad_publication_names_the_field(overrides, field, form):
    assert field in errors_of(s.PublishActivity, form(**overrides))


def test_a_team_organising_a_team_only_activity_need_not_repeat_its_id(form):
    command = s.load_command(s.PublishActivity, form(
        organiser={"kind": "team", "id": HEALTH_TEAM.upper()}, team_only=True))
    assert command["organiser"] == {"kind": "team", "id": HEALTH_TEAM}


def test_when_something_happens_defaults_to_now():
    command = s.load_command(s.SignUp, {"activity_id": ACTIVITY_ID, "volunteer_id": WANG})
    assert abs(command["at"] - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_time_in_the_future_is_refused():
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert "at" in errors_of(s.CheckIn, {"activity_id": ACTIVITY_ID, "volunteer_id": WANG,
                                         "code": "CY2023", "at": later})


@pytest.mark.parametrize("code", ["abc", "CY202", "CY 2023", "1 2", "签到码1234"])
def test_a_check_in_code_is_six_to_32_letters_or_digits(code):
    assert "code" in errors_of(s.IssueCheckInCode, {"activity_id": ACTIVITY_ID, "code": code})


def test_a_completion_report_carries_decimal_hours():
    command = s.load_command(s.CompleteActivity, {
        "activity_id": ACTIVITY_ID, "served": [{"volunteer_id": WANG, "hours": "2.5"}],
        "beneficiaries": 86, "evidence": ["https://tinghu.example.cn/1.jpg"]})

    assert command["served"] == [{"volunteer_id": WANG, "hours": Decimal("2.5")}]
    assert (command["audience_reached"], command["endorsed"]) == (0, False)


@pytest.mark.parametrize(("served", "message"), [
    ([{"volunteer_id": WANG, "hours": "2.25"}], "decimal"),
    ([{"volunteer_id": WANG, "hours": "-1"}], "greater than or equal to 0"),
    ([{"volunteer_id": WANG, "hours": 2}, {"volunteer_id": WANG, "hours": 1}], "twice"),
])
def test_a_completion_report_refuses_bad_lines(served, message):
    errors = errors_of(s.CompleteActivity, {"activity_id": ACTIVITY_ID, "served": served})
    assert message in str(errors["served"])


def test_evidence_is_a_list_of_web_links():
    errors = errors_of(s.CompleteActivity, {"activity_id": ACTIVITY_ID,
                                            "evidence": ["file:///C:/photo.jpg"]})
    assert "evidence" in errors


def test_a_correction_changes_something_and_says_why():
    assert "_schema" in errors_of(s.CorrectCompletion, {"activity_id": ACTIVITY_ID,
                                                        "reason": "核对"})
    assert "reason" in errors_of(s.CorrectCompletion, {"activity_id": ACTIVITY_ID,
                                                       "beneficiaries": 3})
    assert "reason" in errors_of(s.CorrectCompletion, {"activity_id": ACTIVITY_ID,
                                                       "beneficiaries": 3, "reason": ""})


@pytest.mark.parametrize(("schema", "reason"), [
    (s.CancelActivity, "  "), (s.ReleaseWishClaim, ""),
])
def test_a_cancellation_or_a_released_claim_says_why(schema, reason):
    ids = {"wish_id": WISH_ID} if schema is s.ReleaseWishClaim else {"activity_id": ACTIVITY_ID}
    assert "reason" in errors_of(schema, {**ids, "reason": reason})


def test_a_wish_is_posted_with_a_category_by_code_or_label():
    command = s.load_command(s.PostWish, {
        "client_request_id": CLINIC_REQUEST, "label": "王奶奶", "county_code": "320902",
        "category": "就医助医", "description": "想配一副助听器",
        "posted_by": {"kind": "community", "id": "文峰街道先锋社区"}})
    assert command["category"] == "medical_help"


@pytest.mark.parametrize(("field", "text"), [
    ("label", "王秀兰 13812345678"), ("description", "身份证号320902195610011233"),
    ("description", "联系电话 138-1234-5678"),
])
def test_a_wish_refuses_id_and_phone_numbers(field, text):
    assert field in errors_of(s.PostWish, wish_form(**{field: text}))


@pytest.mark.parametrize(("field", "value"), [
    ("category", "lottery"), ("posted_by", {"kind": "volunteer", "id": WANG}),
])
def test_a_wish_has_a_known_category_and_is_posted_on_someones_behalf(field, value):
    assert field in errors_of(s.PostWish, wish_form(**{field: value}))


def wish_form(**overrides):
    return {"client_request_id": CLINIC_REQUEST, "label": "王奶奶", "county_code": "320902",
            "category": "other", "description": "想要一台收音机",
            "posted_by": {"kind": "community", "id": "先锋社区"}, **overrides}


def test_a_wish_is_claimed_by_a_volunteer_or_a_branch():
    assert "claimant" in errors_of(s.ClaimWish, {"wish_id": WISH_ID,
                                                 "claimant": {"kind": "company", "id": "x"}})
    command = s.load_command(s.ClaimWish, {"wish_id": WISH_ID,
                                           "claimant": {"kind": "volunteer", "id": WANG}})
    assert command["claimant"] == {"kind": "volunteer", "id": WANG}


def test_a_fulfilment_needs_evidence():
    errors = errors_of(s.FulfilWish, {"wish_id": WISH_ID, "evidence": [],
                                      "fulfilled_by": {"kind": "volunteer", "id": WANG}})
    assert "evidence" in errors

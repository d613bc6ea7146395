import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from contracts.volunteers import commands as s
from contracts.volunteers.id_number import make_id_number
from yinfa.errors import ValidationFailed
from yinfa.schemas import city_today

VOLUNTEER_ID = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"
ENTRY_ID = "5b0d3f8e-2c41-4a5e-9d7b-1e2f3a4b5c6d"


@pytest.fixture
def form():
    """What 王建国 types into the registration form."""

    def make(**overrides):
        payload = {
            "name": " 王建国 ", "gender": "男", "birth_year": 1956,
            "id_number": "320902195610011233", "phone": "13812345678", "county_code": "320902",
            "former_employer": "盐城市财政局", "retirement_status": "退休", "party_member": True,
            "skills": ["theory", "economy", "theory"],
        }
        payload.update(overrides)
        return {k: val for k, val in payload.items() if val is not ...}

    return make


def errors_of(schema_cls, payload):
    with pytest.raises(ValidationFailed) as failed:
        s.load_command(schema_cls, payload)
    return failed.value.errors


def test_a_registration_is_loaded_with_codes_and_tidy_values(form):
    command = s.load_command(s.RegisterVolunteer, form())

    assert command["name"] == "王建国"
    assert command["gender"] == "male"
    assert command["retirement_status"] == "tuixiu"
    assert command["skills"] == ["theory", "economy"]
    assert command["insurance"] is False and command["branch_id"] is None


@pytest.mark.parametrize(("given", "code"), [("男", "male"), ("male", "male")])
def test_gender_is_accepted_as_code_or_chinese(given, code, form):
    assert s.load_command(s.RegisterVolunteer, form(gender=given))["gender"] == code


def test_a_lowercase_x_in_the_id_number_is_stored_uppercase(form):
    li_xiuying = make_id_number("320923", date(1949, 12, 31), 48)
    assert li_xiuying.endswith("X")
    command = s.load_command(s.RegisterVolunteer, form(
        id_number=li_xiuying.lower(), birth_year=1949, gender="女", county_code="320923"))
    assert command["id_number"] == li_xiuying


def test_unknown_fields_are_refused(form):
    assert errors_of(s.RegisterVolunteer, form(nickname="老王")) == {
        "nickname": ["Unknown field."]}


def test_an_id_number_with_a_bad_check_digit_is_blamed(form):
    assert errors_of(s.RegisterVolunteer, form(id_number="320902195610011234")) == {
        "id_number": ["check digit does not match"]}


def test_an_id_number_of_another_birth_year_is_blamed(form):
    errors = errors_of(s.RegisterVolunteer, form(birth_year=1957))
    assert list(errors) == ["id_number"]


def test_an_id_number_of_the_other_gender_is_blamed(form):
    errors = errors_of(s.RegisterVolunteer, form(gender="女"))
    assert errors == {"id_number": ["Gender digit of the ID number differs from gender."]}


@pytest.mark.parametrize("year", [1919, date.today().year - 44])
def test_a_birth_year_outside_retirement_age_is_refused(year, form):
    assert "birth_year" in errors_of(s.RegisterVolunteer, form(birth_year=year))


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "0515-88888888", "+8613812345678"])
def test_a_phone_must_be_a_mainland_mobile_number(phone, form):
    assert errors_of(s.RegisterVolunteer, form(phone=phone)) == {
        "phone": ["Not a mainland mobile number."]}


def test_a_county_outside_the_city_file_is_refused(form):
    assert errors_of(s.RegisterVolunteer, form(county_code="320602")) == {
        "county_code": ["Not a county or city agency of this city."]}


def test_a_city_agency_is_a_unit_a_volunteer_may_belong_to(form):
    loaded = s.load_command(s.RegisterVolunteer, form(county_code="3209A03"))
    assert loaded["county_code"] == "3209A03"
    assert errors_of(s.RegisterVolunteer, form(county_code="3209A99")) == {
        "county_code": ["Not a county or city agency of this city."]}


def test_a_skill_outside_the_catalog_is_refused(form):
    assert "skills" in errors_of(s.RegisterVolunteer, form(skills=["juggling"]))


@pytest.mark.parametrize("name", ["   ", "王" * 51])
def test_a_name_must_have_1_to_50_characters(name, form):
    assert "name" in errors_of(s.RegisterVolunteer, form(name=name))


@pytest.mark.parametrize("missing", ["name", "id_number", "phone", "county_code"])
def test_required_registration_fields_are_named_when_missing(missing, form):
    assert errors_of(s.RegisterVolunteer, form(**{missing: ...}))[missing] == [
        "Missing data for required field."]


def test_a_payload_that_is_not_an_object_is_refused():
    assert errors_of(s.RegisterVolunteer, ["王建国"]) == {"_schema": ["Invalid input type."]}


def hours(**overrides):
    return {"volunteer_id": VOLUNTEER_ID, "entry_id": ENTRY_ID, "hours": "2.5",
            "served_on": "2023-10-23", "source": "bureau", **overrides}


def test_recorded_hours_are_loaded_as_a_decimal_with_a_date():
    command = s.load_command(s.RecordHours, hours(hours=3))
    assert command["hours"] == Decimal("3.0")
    assert command["served_on"] == date(2023, 10, 23)
    assert command["entry_id"] == ENTRY_ID


@pytest.mark.parametrize("amount", [0, "0.0", -1, "24.5", "2.55", True, "二", "1e40", "NaN"])
def test_recorded_hours_must_be_positive_with_one_decimal_and_at_most_24(amount):
    assert "hours" in errors_of(s.RecordHours, hours(hours=amount))


def test_a_day_of_service_is_the_most_one_entry_holds():
    assert s.load_command(s.RecordHours, hours(hours=24))["hours"] == Decimal("24.0")
    assert errors_of(s.RecordHours, hours(hours="24.1")) == {
        "hours": ["At most 24 hours per entry."]}


def test_hours_cannot_be_served_in_the_future():
    tomorrow = (city_today() + timedelta(days=1)).isoformat()
    assert errors_of(s.RecordHours, hours(served_on=tomorrow)) == {
        "served_on": ["Cannot be in the future."]}


def test_hours_from_an_activity_name_the_activity():
    assert "activity_id" in errors_of(s.RecordHours, hours(source="activity"))
    activity = str(uuid.uuid4())
    loaded = s.load_command(s.RecordHours, hours(source="activity", activity_id=activity))
    assert loaded["activity_id"] == activity


def test_an_entry_id_must_be_a_uuid():
    assert "entry_id" in errors_of(s.RecordHours, hours(entry_id="entry-1"))


def test_a_correction_may_go_to_zero_but_needs_a_reason():
    correction = {"volunteer_id": VOLUNTEER_ID, "entry_id": ENTRY_ID, "hours": 0}
    assert s.load_command(s.CorrectHours, {**correction, "reason": "未到场"})["hours"] == 0
    assert "reason" in errors_of(s.CorrectHours, correction)
    assert "reason" in errors_of(s.CorrectHours, {**correction, "reason": "  "})


@pytest.mark.parametrize("amount", [-1, 25, "2.25", "NaN"])
def test_a_correction_stays_between_zero_and_a_day_with_one_decimal(amount):
    assert "hours" in errors_of(s.CorrectHours, {
        "volunteer_id": VOLUNTEER_ID, "entry_id": ENTRY_ID, "hours": amount, "reason": "更正"})


def test_withdrawal_takes_a_reason_code_from_the_catalog():
    command = s.load_command(s.WithdrawVolunteer,
                             {"volunteer_id": VOLUNTEER_ID, "reason_code": "deceased"})
    assert command["reason_code"] == "deceased"
    for unknown in ("去世", "bored"):
        assert "reason_code" in errors_of(s.WithdrawVolunteer,
                                          {"volunteer_id": VOLUNTEER_ID, "reason_code": unknown})


def test_withdrawal_for_an_other_reason_needs_a_note():
    assert errors_of(s.WithdrawVolunteer, {"volunteer_id": VOLUNTEER_ID, "reason_code": "other"}
                     ) == {"note": ["Say why when the reason is 'other'."]}


def test_verification_names_the_verifying_county():
    assert "county_code" in errors_of(s.VerifyVolunteer, {"volunteer_id": VOLUNTEER_ID})
    command = s.load_command(s.VerifyVolunteer,
                             {"volunteer_id": VOLUNTEER_ID, "county_code": "320971"})
    assert command == {"volunteer_id": VOLUNTEER_ID, "county_code": "320971", "note": None}


def test_a_profile_update_must_change_at_least_one_field():
    assert errors_of(s.UpdateProfile, {"volunteer_id": VOLUNTEER_ID}) == {
        "_schema": ["Give at least one field to update."]}
    assert s.load_command(s.UpdateProfile, {"volunteer_id": VOLUNTEER_ID, "insurance": True}
                          ) == {"volunteer_id": VOLUNTEER_ID, "insurance": True}


def test_a_profile_update_takes_skills_from_the_catalog_only():
    assert errors_of(s.UpdateProfile, {"volunteer_id": VOLUNTEER_ID,
                                       "skills": ["law", "juggling"]}) == {
        "skills": ["Unknown skills: juggling."]}


def test_a_new_team_gets_an_id_when_none_is_given():
    command = s.load_command(s.CreateTeam, {"name": "大丰区乡村振兴银发服务队",
                                            "category": "rural_revitalisation",
                                            "county_code": "320904"})
    assert uuid.UUID(command["team_id"])


def test_a_team_category_must_come_from_the_catalog():
    assert "category" in errors_of(s.CreateTeam, {"name": "广场舞队", "category": "dancing",
                                                  "county_code": "320904"})


def test_joining_and_leaving_name_a_team_and_a_volunteer():
    assert set(errors_of(s.JoinTeam, {})) == {"team_id", "volunteer_id"}
    team_id = str(uuid.uuid4())
    assert s.load_command(s.LeaveTeam, {"team_id": team_id, "volunteer_id": VOLUNTEER_ID}
                          )["reason"] is None


def test_suspension_needs_a_reason_and_reinstatement_does_not():
    assert "reason" in errors_of(s.SuspendVolunteer, {"volunteer_id": VOLUNTEER_ID})
    assert s.load_command(s.ReinstateVolunteer, {"volunteer_id": VOLUNTEER_ID})["note"] is None

"""Corrections of who a record says the person is: name, gender, birth date, ID number,
each with a reason and an authority. The values are personal data and never enter an
event; the ID number carries the birth date and gender, so the record must agree with
its number and every fact that changes must be named."""
from __future__ import annotations

from datetime import date
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from contracts.volunteers import commands as published
from contracts.volunteers.id_number import birth_date_of, gender_of, make_id_number
from services.volunteers.domain import commands as c, volunteer as v
from yinfa.errors import DomainRuleViolated, NotFound, ValidationFailed

WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"
BORN = date(1956, 10, 1)
WANG_ID = make_id_number("320902", BORN, 123)  # as registered (conftest)
KEPT = {"name": "王建国", "id_number": WANG_ID, "phone": "13812345678"}
correct = partial(v.correct_record, kept=KEPT)


def correcting(**fields) -> c.CorrectRecord:
    return c.CorrectRecord(WANG, "户籍信息更正", "public_security", **fields)


def test_a_name_correction_records_the_field_reason_and_authority_not_the_name(
        volunteer, decide):
    before = volunteer("active")
    events, after = decide(before, correct, correcting(name="王建华"))

    assert [e.type for e in events] == ["VolunteerRecordCorrected"]
    assert events[0].data == {"fields_corrected": ["name"], "reason": "户籍信息更正",
                              "authority": "public_security"}
    assert after == before  # the name is not in the state: the service keeps it sealed


def test_a_new_number_of_the_same_birth_and_gender_is_a_correction_of_the_number_only(
        volunteer, decide):
    events, _ = decide(volunteer("active"), correct,
                       correcting(id_number=make_id_number("320903", BORN, 125)))
    assert events[0].data["fields_corrected"] == ["id_number"]
    assert make_id_number("320903", BORN, 125) not in str(events[0].data)


def test_a_new_number_of_another_birth_date_needs_the_birth_date_named(volunteer, catalog,
                                                                       decide):
    number = make_id_number("320902", date(1957, 2, 3), 123)
    with pytest.raises(ValidationFailed) as refused:
        correct(volunteer("active"), correcting(id_number=number), catalog)
    assert set(refused.value.errors) == {"birth_date"}

    events, after = decide(volunteer("active"), correct,
                           correcting(id_number=number, birth_date=date(1957, 2, 3)))
    assert events[0].data["fields_corrected"] == ["birth_date", "id_number"]
    assert events[0].data["birth_year"] == 1957 and after.birth_year == 1957


def test_a_gender_correction_comes_with_a_number_of_that_gender(volunteer, catalog, decide):
    with pytest.raises(ValidationFailed) as refused:  # the number kept says male
        correct(volunteer("active"), correcting(gender="female"), catalog)
    assert "gender" in refused.value.errors

    female = make_id_number("320902", BORN, 124)
    with pytest.raises(ValidationFailed):  # a female number, but the gender unnamed
        correct(volunteer("active"), correcting(id_number=female), catalog)
    events, after = decide(volunteer("active"), correct,
                           correcting(id_number=female, gender="female"))
    assert events[0].data["fields_corrected"] == ["gender", "id_number"]
    assert events[0].data["gender"] == "female" and after.gender == "female"


def test_a_correction_that_changes_nothing_is_refused(volunteer, catalog):
    with pytest.raises(DomainRuleViolated, match="changes nothing"):
        correct(volunteer("active"), correcting(name="王建国", id_number=WANG_ID,
                                                birth_date=BORN, gender="male"), catalog)


def test_an_erased_or_unknown_record_is_not_corrected(volunteer, catalog, decide):
    with pytest.raises(NotFound):
        correct(None, correcting(name="王建华"), catalog)
    _, erased = decide(volunteer("active"), v.erase,
                       c.EraseVolunteer(WANG, erased_on=date(2026, 12, 1)))
    with pytest.raises(DomainRuleViolated, match="no personal data"):
        v.correct_record(erased, correcting(name="王建华"), catalog, None)


def test_a_withdrawn_volunteers_record_can_be_corrected(volunteer, decide):
    events, _ = decide(volunteer("withdrawn"), correct, correcting(name="王建华"))
    assert events[0].data["fields_corrected"] == ["name"]


# ---- the command schema: bad input, field by field ----------------------------------------

GOOD = {"volunteer_id": WANG, "reason": "户籍信息更正", "authority": "household_register"}


@pytest.mark.parametrize("change, field", [
    ({"name": "王建华", "reason": None}, "reason"),
    ({"name": "王建华", "reason": " "}, "reason"),
    ({"name": "王建华", "authority": "neighbour"}, "authority"),
    ({"id_number": "320902195610011230"}, "id_number"),  # a wrong check digit
    ({"birth_date": "2999-01-01"}, "birth_date"),
    ({"id_number": make_id_number("320902", BORN, 123), "birth_date": "1956-10-02"},
     "birth_date"),
    ({"id_number": make_id_number("320902", BORN, 123), "gender": "女"}, "gender"),
    ({"id_number": make_id_number("320902", date(2001, 1, 1), 123)}, "id_number"),  # too young
    ({}, "_schema"),  # nothing to correct
])
def test_bad_corrections_are_refused_naming_the_field(change, field):
    payload = {k: val for k, val in {**GOOD, **change}.items() if val is not None}
    with pytest.raises(ValidationFailed) as refused:
        published.load_command(published.CorrectRecord, payload)
    assert field in refused.value.errors


def test_a_good_correction_loads_with_the_number_tidied():
    loaded = published.load_command(published.CorrectRecord, {
        **GOOD, "id_number": " " + make_id_number("320902", BORN, 123).lower() + " ",
        "gender": "男", "birth_date": "1956-10-01"})
    assert loaded["id_number"] == WANG_ID and loaded["gender"] == "male"


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # pure factories
@given(born=st.dates(date(1930, 1, 1), date(1975, 12, 31)), seq=st.integers(0, 999),
       name_too=st.booleans())
def test_any_accepted_correction_leaves_a_record_that_agrees_with_its_number(
        born, seq, name_too, volunteer, catalog):
    number = make_id_number("320902", born, seq)
    command = correcting(id_number=number, birth_date=born, gender=gender_of(number),
                         name="王建华" if name_too else None)
    state = volunteer("active")
    try:
        events = correct(state, command, catalog)
    except DomainRuleViolated:  # the very number kept: nothing to correct
        assert number == WANG_ID and not name_too
        return
    after = v.replay(events, state)
    assert (after.gender, after.birth_year) == (gender_of(number), birth_date_of(number).year)
    corrected = events[0].data["fields_corrected"]
    assert ("gender" in corrected) == (gender_of(number) != "male")
    assert ("birth_date" in corrected) == (born != BORN)
    assert ("id_number" in corrected) == (number != WANG_ID)
    assert number not in str(events[0].data)

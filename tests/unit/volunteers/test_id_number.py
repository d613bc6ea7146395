from datetime import date

import pytest

from contracts.volunteers.id_number import (
    birth_year_of,
    check_digit,
    check_id_number,
    gender_of,
    make_id_number,
    mask_id_number,
    mask_phone,
)


def with_check_digit(first17):
    return first17 + check_digit(first17)


def test_the_sample_number_of_the_national_standard_is_valid():
    assert check_id_number("11010519491231002X") == []


def test_a_lowercase_x_check_character_is_accepted():
    assert check_id_number("11010519491231002x") == []


def test_a_wrong_check_digit_is_reported():
    assert check_id_number("110105194912310021") == ["check digit does not match"]


def test_an_impossible_birth_date_is_reported():
    reasons = check_id_number(with_check_digit("32090219560230123"))
    assert reasons == ["birth date 19560230 is not a real date"]


def test_a_birth_date_in_the_future_is_reported():
    number = with_check_digit("32090220990101123")
    assert check_id_number(number, today=date(2024, 1, 1)) == [
        "birth date 2099-01-01 is out of range"
    ]


@pytest.mark.parametrize("number", ["3209021956100112", "32090219561001123X0", ""])
def test_a_number_of_the_wrong_length_is_reported(number):
    assert check_id_number(number) == [f"must be 18 characters, got {len(number)}"]


def test_letters_inside_the_number_are_reported():
    assert check_id_number("3209021956A0011233") == [
        "must be 17 digits followed by a digit or X"
    ]


def test_a_region_code_outside_any_province_is_reported():
    assert check_id_number(with_check_digit("99090219561001123")) == [
        "region code 990902 names no province"
    ]


def test_a_value_that_is_not_text_is_reported():
    assert check_id_number(320902195610011233) == ["must be a string"]


@pytest.mark.parametrize(
    ("seq", "gender"), [(123, "male"), (124, "female"), (1, "male"), (0, "female")]
)
def test_the_seventeenth_digit_tells_the_gender(seq, gender):
    assert gender_of(make_id_number("320902", "1956-10-01", seq)) == gender


def test_the_birth_year_is_read_from_the_number():
    assert birth_year_of(make_id_number("320981", date(1948, 2, 29), 7)) == 1948


@pytest.mark.parametrize(
    ("region", "born", "seq"),
    [("320902", "1956-10-01", 123), ("320923", "1939-07-07", 2), ("320981", "1948-02-29", 999)],
)
def test_made_numbers_are_valid(region, born, seq):
    assert check_id_number(make_id_number(region, born, seq)) == []


@pytest.mark.parametrize(("region", "seq"), [("3209", 1), ("32090X", 1), ("320902", 1000)])
def test_making_a_number_from_bad_parts_is_refused(region, seq):
    with pytest.raises(ValueError):
        make_id_number(region, "1956-10-01", seq)


def test_masking_keeps_only_the_region():
    assert mask_id_number("11010519491231002x") == "110105************"


def test_masking_a_phone_keeps_the_prefix_and_the_last_four_digits():
    assert mask_phone("13812345678") == "138****5678"

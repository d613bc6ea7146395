from id_candidates import candidates

from contracts.volunteers.id_number import (
    birth_year_of,
    gender_of,
    make_id_number,
    mask_id_number,
)

WANG = make_id_number("320902", "1956-10-01", 123)


def test_the_masked_id_number_with_birth_year_and_gender_leaves_over_100000_candidates():
    seen = mask_id_number(WANG)
    count = candidates([seen], "320902", birth_year_of(WANG), gender_of(WANG))
    assert count >= 100_000


def test_the_former_mask_with_the_last_four_digits_left_a_few_dozen():
    former = WANG[:6] + "*" * 8 + WANG[-4:]
    assert candidates([former], "320902", 1956, "male") < 100

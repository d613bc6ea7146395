"""Which brands a year's list holds: those in the programme that year, applied for by
then and reviewed for it, or due for review that year while still live."""
from __future__ import annotations

from hypothesis import given, strategies as st

from services.branches.brand_queries import in_year


def brand(first_year: int, reviews: int, status: str) -> dict:
    return {"first_year": first_year, "next_review_year": first_year + reviews,
            "status": status}


def test_a_live_brand_is_in_the_year_of_its_next_review_and_no_later():
    cultivating = brand(2024, 2, "cultivating")  # reviewed for 2024 and 2025
    assert [y for y in range(2022, 2029) if in_year(cultivating, y)] == [2024, 2025, 2026]


def test_a_failed_or_delisted_brand_is_in_its_reviewed_years_only():
    for status in ("failed", "delisted"):
        ended = brand(2021, 3, status)  # reviewed for 2021-2023, the last one failed
        assert [y for y in range(2019, 2027) if in_year(ended, y)] == [2021, 2022, 2023]


@given(st.integers(2000, 2100), st.integers(0, 10),
       st.sampled_from(["cultivating", "established", "failed", "delisted"]),
       st.integers(1990, 2120))
def test_never_before_the_application_nor_after_the_last_due_review(first, reviews, status,
                                                                     year):
    listed = in_year(brand(first, reviews, status), year)
    if year < first or year > first + reviews:
        assert not listed

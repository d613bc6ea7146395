from datetime import date
from decimal import Decimal

import pytest

from services.branches.domain import branch as b
from services.branches.domain.coverage import certification_coverage, demonstration_branches

ON = date(2024, 6, 1)


@pytest.fixture
def county(branch, certified, ids):
    """亭湖区 with four formal branches (one at 县级示范, two at 达标, one uncertified), a
    functional branch at 达标 and a dissolved formal branch that had been certified."""
    names = ["财政局", "教育局", "卫健委", "公安局", "老年大学", "粮食局"]
    branches = {ids(n): branch(f"{n}离退休干部党支部") for n in names}
    branches[ids("老年大学")] = branch("老年大学功能性党支部", branch_type="functional",
                                    former_employer=None)
    branches[ids("粮食局")] = branch("粮食局离退休干部党支部", status=b.DISSOLVED)
    certifications = {
        ids("财政局"): certified("county_demo", of=branches[ids("财政局")]),
        ids("教育局"): certified("standard", of=branches[ids("教育局")]),
        ids("卫健委"): certified("standard", first_grant=date(2023, 9, 1),
                              of=branches[ids("卫健委")]),
        ids("老年大学"): certified("standard", of=branches[ids("老年大学")]),
        # certified while it was still active, like our usual branch
        ids("粮食局"): certified("standard", first_grant=date(2022, 1, 10)),
    }
    return branches, certifications


def test_coverage_is_the_share_of_formal_active_branches_holding_any_level(county, catalog):
    branches, certifications = county

    coverage = certification_coverage(branches, certifications, ON, catalog)["320902"]

    assert (coverage.formal_branches, coverage.certified) == (4, 3)
    assert coverage.share == Decimal("0.7500")


def test_coverage_on_a_day_before_any_grant_is_zero(county, catalog):
    branches, certifications = county

    coverage = certification_coverage(branches, certifications, date(2022, 1, 1), catalog)

    assert coverage["320902"].share == Decimal("0.0000")


def test_a_county_without_branches_has_no_share(county, catalog):
    branches, certifications = county

    coverage = certification_coverage(branches, certifications, ON, catalog,
                                      counties=["320903"])

    assert coverage["320903"].formal_branches == 0 and coverage["320903"].share is None
    assert list(coverage) == ["320902", "320903"]


def test_demonstration_branches_are_counted_by_the_level_they_hold(county, catalog):
    branches, certifications = county

    assert demonstration_branches(branches, certifications, ON, catalog) == {
        "320902": {"county_demo": 1, "city_demo": 0, "province_demo": 0}}


def test_an_expired_demonstration_no_longer_counts(county, catalog):
    branches, certifications = county

    assert demonstration_branches(branches, certifications, date(2026, 4, 1), catalog) == {}

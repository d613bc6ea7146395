"""Star levels approved by level, over the real broker and store: a reached level waits in
its authority's list, counts once approved (the county summary's stars), and of two
bureaus approving it at once one wins and the other is refused."""
from __future__ import annotations

import pytest

from yinfa.errors import DomainRuleViolated

TINGHU = "320902"


def with_hours(volunteers, registration, seq: int, hours: int) -> str:
    vid = volunteers.register_volunteer(registration(seq=seq))["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})
    volunteers.record_hours_batch({"volunteer_id": vid, "entries": [
        {"entry_id": f"00000000-0000-4000-8000-{seq:06d}{n:06d}", "hours": 20,
         "served_on": f"2026-0{1 + n % 9}-{1 + n // 9:02d}", "source": "bureau"}
        for n in range(hours // 20)]})
    return vid


def tinghu_stars(volunteers) -> dict:
    return next(row for row in volunteers.county_summary()
                if row["county_code"] == TINGHU)["by_star_level"]


def test_a_reached_level_is_listed_and_counts_once_approved(volunteers, registration):
    vid = with_hours(volunteers, registration, 41, 100)
    shown = volunteers.get_volunteer(vid)
    assert (shown["star_level"], shown["star_level_reached"], shown["star_level_pending"]) == (
        0, 1, 1)
    listed = volunteers.pending_star_levels([1, 2, 3], TINGHU)
    assert [v["volunteer_id"] for v in listed["items"]] == [vid] and listed["total"] == 1
    assert volunteers.pending_star_levels([4, 5], TINGHU)["total"] == 0
    assert tinghu_stars(volunteers) == {"0": 1}

    approved = volunteers.approve_star_level({"volunteer_id": vid, "level": 1,
                                              "approver": "county"})

    assert (approved["star_level"], approved["star_level_pending"]) == (1, None)
    assert volunteers.pending_star_levels([1, 2, 3], TINGHU)["total"] == 0
    assert tinghu_stars(volunteers) == {"1": 1}


def test_a_county_cannot_approve_the_citys_level(volunteers, registration):
    vid = with_hours(volunteers, registration, 42, 1000)
    for level in (1, 2, 3):
        volunteers.approve_star_level({"volunteer_id": vid, "level": level,
                                       "approver": "county"})
    assert volunteers.pending_star_levels([4, 5])["items"][0]["volunteer_id"] == vid

    with pytest.raises(DomainRuleViolated, match="city"):
        volunteers.approve_star_level({"volunteer_id": vid, "level": 4, "approver": "county"})
    assert volunteers.approve_star_level({"volunteer_id": vid, "level": 4,
                                          "approver": "city"})["star_level"] == 4


def test_of_two_bureaus_approving_one_level_at_once_one_wins(volunteers, registration,
                                                             at_once):
    vid = with_hours(volunteers, registration, 43, 100)

    outcomes = at_once("approve_star_level",
                       *[{"volunteer_id": vid, "level": 1, "approver": "county"}] * 2)

    refused = [o for o in outcomes if isinstance(o, DomainRuleViolated)]
    assert len(refused) == 1 and "not pending" in str(refused[0])
    approvals = [e for e in volunteers.stream_events(f"volunteer-{vid}")
                 if e["type"] == "StarLevelApproved"]
    assert len(approvals) == 1


def test_a_returned_level_leaves_the_list_until_more_hours_come(volunteers, registration):
    vid = with_hours(volunteers, registration, 44, 100)
    volunteers.return_star_level({"volunteer_id": vid, "level": 1, "approver": "county",
                                  "reason": "签到表待核实"})
    assert volunteers.pending_star_levels([1], TINGHU)["total"] == 0

    volunteers.record_hours({"volunteer_id": vid, "entry_id": "00000000-0000-4000-8000-"
                             "999999999999", "hours": 2, "served_on": "2026-10-01",
                             "source": "bureau"})
    assert volunteers.pending_star_levels([1], TINGHU)["total"] == 1

"""Star levels approved by level: the hours reach a level, which is pending until its
authority (county for 1–3 stars, city for 4–5 by default) approves it or returns it with a
reason. Only approved levels count."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from contracts.volunteers import commands as published, events as ev
from contracts.volunteers.catalog import StarLevel, load_volunteer_catalog
from services.volunteers.domain import commands as c, volunteer as v
from yinfa.errors import DomainRuleViolated, ValidationFailed

WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"


def approving(level, approver="county", note=None):
    return c.ApproveStarLevel(WANG, level, approver, note)


def returning(level, approver="county", reason="签到表待核实"):
    return c.ReturnStarLevel(WANG, level, approver, reason)


def test_the_default_authorities_are_the_county_up_to_three_stars_then_the_city():
    catalog = load_volunteer_catalog()
    assert [catalog.star_authority(n) for n in range(1, 6)] == ["county"] * 3 + ["city"] * 2
    assert catalog.levels_approved_by("city") == [4, 5]
    unnamed = replace(catalog, star_levels=tuple(
        StarLevel(level.stars, level.hours, level.label) for level in catalog.star_levels))
    assert [unnamed.star_authority(n) for n in range(1, 6)] == ["county"] * 3 + ["city"] * 2


def test_a_reached_level_is_pending_and_counts_once_approved(volunteer, decide, small_stars):
    reached = volunteer(logged=[12], using=small_stars)
    assert (reached.star_level, reached.star_level_pending) == (0, 1)

    events, approved = decide(reached, v.approve_star_level, approving(1, note="已认定"),
                              small_stars)

    assert [e.type for e in events] == ["StarLevelApproved"]
    assert events[0].data == {"level": 1, "authority": "county", "note": "已认定"}
    assert (approved.star_level, approved.star_level_pending) == (1, None)


def test_levels_are_approved_one_at_a_time_in_order(volunteer, decide, small_stars):
    two = volunteer(logged=[24, 10], using=small_stars)
    assert (two.star_level_reached, two.star_level_pending) == (2, 1)
    with pytest.raises(DomainRuleViolated, match="not pending") as refused:
        v.approve_star_level(two, approving(2), small_stars)
    assert refused.value.field == "level"

    _, one = decide(two, v.approve_star_level, approving(1), small_stars)
    assert one.star_level_pending == 2
    _, both = decide(one, v.approve_star_level, approving(2), small_stars)
    assert (both.star_level, both.star_level_pending) == (2, None)


def test_a_county_cannot_approve_a_citys_level_but_the_city_can_a_countys(
        volunteer, decide, small_stars):
    state = volunteer(logged=[24, 24, 24, 24, 24], using=small_stars)  # 120 h: 4 stars
    for level in (1, 2, 3):
        _, state = decide(state, v.approve_star_level,
                          approving(level, "city" if level == 2 else "county"), small_stars)
    with pytest.raises(DomainRuleViolated, match="decided by the city"):
        v.approve_star_level(state, approving(4, "county"), small_stars)
    with pytest.raises(DomainRuleViolated, match="decided by the city"):
        v.return_star_level(state, returning(4, "county"), small_stars)
    _, state = decide(state, v.approve_star_level, approving(4, "city"), small_stars)
    assert state.star_level == 4


def test_a_returned_level_waits_until_the_ledger_changes(volunteer, decide, hours,
                                                         small_stars):
    reached = volunteer(logged=[12], using=small_stars)
    events, returned = decide(reached, v.return_star_level, returning(1), small_stars)

    assert events[0].data == {"level": 1, "authority": "county", "reason": "签到表待核实"}
    assert returned.star_level_pending is None and returned.star_level == 0
    with pytest.raises(DomainRuleViolated, match="not pending"):
        v.approve_star_level(returned, approving(1), small_stars)

    _, again = decide(returned, v.record_hours, hours(1, name="补录"), small_stars)
    assert again.star_level_pending == 1


def test_an_approved_level_the_hours_no_longer_reach_is_not_held(volunteer, decide, entry,
                                                                 small_stars):
    _, approved = decide(volunteer(logged=[6, 6], using=small_stars), v.approve_star_level,
                         approving(1), small_stars)
    _, corrected = decide(approved, v.correct_hours,
                          c.CorrectHours(WANG, entry("服务1"), Decimal("2.0"), "重复签到"),
                          small_stars)
    assert (corrected.star_level, corrected.star_level_reached) == (0, 0)


def test_a_level_reached_before_approvals_existed_counts_as_approved():
    data = ev.upcast("StarLevelChanged", 1, {"from_level": 0, "to_level": 3,
                                             "total_hours": "650.0"})
    assert data["approved_by_rule"] is True
    registered = v.evolve(None, "VolunteerRegistered", {
        "gender": "male", "birth_year": 1956, "county_code": "320902",
        "retirement_status": "tuixiu", "party_member": True, "skills": []})
    state = v.evolve(registered, "StarLevelChanged", data)
    assert (state.star_level, state.star_level_pending) == (3, None)


def test_a_withdrawn_volunteers_level_is_not_decided(volunteer, small_stars):
    with pytest.raises(DomainRuleViolated, match="withdrawn"):
        v.approve_star_level(volunteer("withdrawn", logged=[12], using=small_stars),
                             approving(1), small_stars)


@pytest.mark.parametrize("change, field", [
    ({"level": 0}, "level"), ({"level": 6}, "level"), ({"level": "1"}, "level"),
    ({"approver": "province"}, "approver"), ({"reason": "  "}, "reason"),
    ({"reason": None}, "reason"),
])
def test_a_bad_return_is_refused_naming_the_field(change, field):
    payload = {k: val for k, val in {"volunteer_id": WANG, "level": 1, "approver": "county",
                                     "reason": "待核实", **change}.items() if val is not None}
    with pytest.raises(ValidationFailed) as refused:
        published.load_command(published.ReturnStarLevel, payload)
    assert field in refused.value.errors


STEPS = st.lists(st.one_of(
    st.tuples(st.just("hours"), st.integers(1, 24)),
    st.tuples(st.just("approve"), st.integers(1, 5), st.sampled_from(["county", "city"])),
    st.tuples(st.just("return"), st.integers(1, 5), st.sampled_from(["county", "city"])),
), max_size=30)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # pure factories
@given(steps=STEPS)
def test_whatever_is_decided_only_reached_levels_approved_by_their_authority_count(
        steps, volunteer, decide, hours, small_stars):
    state = volunteer(using=small_stars)
    decisions = []
    for n, step in enumerate(steps):
        try:
            if step[0] == "hours":
                events, state = decide(state, v.record_hours, hours(step[1], name=f"h{n}"),
                                       small_stars)
            else:
                decide_fn = v.approve_star_level if step[0] == "approve" else v.return_star_level
                command = (approving if step[0] == "approve" else returning)(step[1], step[2])
                events, state = decide(state, decide_fn, command, small_stars)
                decisions.append((step, events))
        except DomainRuleViolated:
            continue
        assert 0 <= state.star_level <= state.star_level_reached
        assert state.star_level_pending in (None, state.star_level + 1)
    for (_, level, approver), _events in decisions:  # every accepted decision had the right
        required = small_stars.star_authority(level)
        assert not (approver == "county" and required == "city")
    approvals = [e for _, events in decisions for e in events if e.type == "StarLevelApproved"]
    assert [e.data["level"] for e in approvals] == list(range(1, len(approvals) + 1))

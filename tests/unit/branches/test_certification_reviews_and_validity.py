from datetime import UTC, date, datetime

import pytest

from services.branches.domain import certification as c, commands as cmd
from yinfa.errors import DomainRuleViolated, NotFound

# Our branch is granted 达标 on 1 April 2022: valid through 31 March 2025, re-reviewed
# (复核) on 1 April 2023 and 1 April 2024.
GRANTED = date(2022, 4, 1)
FINANCE_ID = "1b5ad7ba-4a6c-5a4f-8a39-7b2d2c7d2f10"  # the decisions below do not read it


@pytest.fixture
def standard(certified):
    return certified("standard", first_grant=GRANTED)


def _passing(due_on, reviewer="county_bureau", county="320902", note=None):
    return cmd.PassReview(FINANCE_ID, due_on, reviewer, granter_county=county, note=note)


def _revoking(role, reason, on, county=None):
    return cmd.RevokeCertification(FINANCE_ID, role, reason, on, granter_county=county)


def test_re_reviews_fall_due_each_year_while_the_certification_is_valid(standard, catalog):
    assert c.review_dates(standard.holding, catalog) == (date(2023, 4, 1), date(2024, 4, 1))


def test_nothing_falls_due_before_the_first_anniversary(standard, catalog):
    assert c.reviews_due(standard, date(2023, 3, 31), catalog) == []


def test_a_re_review_falls_due_exactly_once(standard, catalog):
    events = c.reviews_due(standard, date(2023, 4, 1), catalog)
    after = c.replay(events, standard)

    assert [(e.type, e.data["due_on"]) for e in events] == [("ReviewFallenDue", "2023-04-01")]
    assert c.reviews_due(after, date(2023, 4, 1), catalog) == []
    assert c.reviews_due(after, date(2023, 12, 31), catalog) == []
    assert after.holding.pending_reviews == (date(2023, 4, 1),)


def test_asking_twice_before_recording_gives_the_same_event_id(standard, catalog):
    first = c.reviews_due(standard, date(2023, 4, 1), catalog)
    second = c.reviews_due(standard, date(2023, 4, 2), catalog)

    assert first[0].event_id == second[0].event_id


def test_a_timer_that_missed_a_year_catches_up_one_event_per_due_date(standard, catalog):
    events = c.reviews_due(standard, date(2024, 6, 1), catalog)

    assert [e.data["due_on"] for e in events] == ["2023-04-01", "2024-04-01"]


def test_the_due_date_is_the_bureaus_calendar_day(standard, catalog):
    # 16:30 UTC on 31 March is already 1 April in China.
    assert c.reviews_due(standard, datetime(2023, 3, 31, 16, 30, tzinfo=UTC), catalog)
    assert not c.reviews_due(standard, datetime(2023, 3, 31, 15, 30, tzinfo=UTC), catalog)


def test_passing_a_re_review_keeps_the_certification(standard, catalog, branch):
    state = c.replay(c.reviews_due(standard, date(2023, 4, 1), catalog), standard)
    state = c.replay(c.pass_review(state, _passing(date(2023, 4, 1)), branch(), catalog), state)

    assert state.holding.pending_reviews == ()
    assert c.current_level(state, date(2023, 5, 1)) == "standard"


def test_a_re_review_that_has_not_fallen_due_cannot_be_decided(standard, catalog, branch):
    with pytest.raises(NotFound) as refused:
        c.pass_review(standard, _passing(date(2023, 4, 1)), branch(), catalog)
    assert refused.value.field == "due_on"


def test_a_re_review_is_decided_once(standard, catalog, branch):
    state = c.replay(c.reviews_due(standard, date(2023, 4, 1), catalog), standard)
    state = c.replay(c.pass_review(state, _passing(date(2023, 4, 1)), branch(), catalog), state)

    with pytest.raises(NotFound):
        c.pass_review(state, _passing(date(2023, 4, 1)), branch(), catalog)


def test_only_a_granter_of_the_level_held_re_reviews_it(standard, catalog, branch):
    state = c.replay(c.reviews_due(standard, date(2023, 4, 1), catalog), standard)

    with pytest.raises(DomainRuleViolated, match="no authority") as refused:
        c.pass_review(state, _passing(date(2023, 4, 1), "city_bureau", None), branch(), catalog)
    assert refused.value.field == "reviewer"


def test_failing_a_re_review_ends_the_certification(standard, catalog, branch):
    state = c.replay(c.reviews_due(standard, date(2023, 4, 1), catalog), standard)
    command = cmd.FailReview(FINANCE_ID, date(2023, 4, 1), "county_bureau",
                             note="“三会一课”记录缺失半年", granter_county="320902")
    state = c.replay(c.fail_review(state, command, branch(), catalog), state)

    assert c.current_level(state, date(2023, 5, 1)) is None
    assert state.past[-1].status == "failed"
    assert c.reviews_due(state, date(2024, 4, 1), catalog) == []


def test_the_certification_lapses_the_day_after_valid_until(standard):
    assert c.current_level(standard, date(2025, 3, 31)) == "standard"
    assert c.current_level(standard, date(2025, 4, 1)) is None


def test_expiry_is_recorded_once(standard):
    assert c.expiry_due(standard, date(2025, 3, 31)) == []
    events = c.expiry_due(standard, date(2025, 4, 1))
    expired = c.replay(events, standard)

    assert [(e.type, e.data) for e in events] == [
        ("CertificationExpired", {"level": "standard", "valid_until": "2025-03-31"})]
    assert c.expiry_due(expired, date(2026, 1, 1)) == []
    assert expired.past[-1].status == "expired"


def test_the_timer_records_missed_reviews_before_the_expiry(standard, catalog):
    events = c.due(standard, date(2025, 6, 1), catalog)

    assert [e.type for e in events] == ["ReviewFallenDue", "ReviewFallenDue",
                                        "CertificationExpired"]


def test_the_timer_leaves_a_dissolved_branch_alone(standard, catalog, branch):
    assert c.due(standard, date(2025, 6, 1), catalog, branch(status="dissolved")) == []
    assert len(c.due(standard, date(2025, 6, 1), catalog, branch())) == 3


def test_after_expiry_the_branch_climbs_again_from_the_first_level(
    certified, application, branch, checklists, catalog
):
    state = certified("county_demo", first_grant=GRANTED)  # county_demo valid to 2026-03-31

    with pytest.raises(DomainRuleViolated, match="climbed in order") as refused:
        c.apply_for(state, application("county_demo", "续评申请", applied_on=date(2026, 5, 1)),
                    branch(), checklists, catalog)
    assert refused.value.context == {"held": None, "allowed": ["standard"]}


def test_revoking_ends_the_certification_with_its_reason(standard, catalog, branch):
    command = _revoking("county_bureau", "支部书记严重违纪", date(2023, 9, 1), "320902")
    events = c.revoke(standard, command, branch(), catalog)
    state = c.replay(events, standard)

    assert events[0].data == {"level": "standard", "revoked_by": "county_bureau",
                              "reason": "支部书记严重违纪", "revoked_on": "2023-09-01"}
    assert c.current_level(state, date(2023, 9, 2)) is None
    assert state.past[-1].status == "revoked"
    assert c.reviews_due(state, date(2024, 4, 1), catalog) == []
    assert c.expiry_due(state, date(2026, 1, 1)) == []


def test_the_city_bureau_may_revoke_any_level(standard, catalog, branch):
    command = _revoking("city_bureau", "核查发现材料造假", date(2023, 9, 1))
    assert c.revoke(standard, command, branch(), catalog)


def test_a_county_bureau_cannot_revoke_a_city_demonstration(certified, catalog, branch):
    state = certified("city_demo", first_grant=GRANTED)
    command = _revoking("county_bureau", "违纪", date(2024, 9, 1), "320902")

    with pytest.raises(DomainRuleViolated, match="no authority") as refused:
        c.revoke(state, command, branch(), catalog)
    assert refused.value.field == "revoked_by"


def test_nothing_valid_means_nothing_to_revoke(standard, catalog, branch):
    command = _revoking("city_bureau", "违纪", date(2025, 4, 2))

    with pytest.raises(DomainRuleViolated, match="no valid certification"):
        c.revoke(standard, command, branch(), catalog)
    with pytest.raises(DomainRuleViolated, match="no valid certification"):
        c.revoke(None, command, branch(), catalog)


def test_after_revocation_the_branch_climbs_again_from_the_first_level(
    certified, catalog, branch
):
    state = certified("county_demo", first_grant=GRANTED)
    state = c.replay(c.revoke(state, _revoking("city_bureau", "违纪", date(2023, 9, 1)),
                              branch(), catalog), state)

    assert c.next_levels(state, date(2023, 9, 2), catalog) == ("standard",)
    state = certified.grant_level(state, branch(), "standard", date(2024, 1, 15))
    assert c.current_level(state, date(2024, 2, 1)) == "standard"


def test_a_higher_grant_drops_the_pending_reviews_of_the_level_it_replaces(
    certified, catalog, branch
):
    state = certified("standard", first_grant=GRANTED)
    state = c.replay(c.reviews_due(state, date(2023, 4, 1), catalog), state)
    state = certified.grant_level(state, branch(), "county_demo", date(2023, 4, 20))

    assert state.holding.pending_reviews == ()
    assert c.review_dates(state.holding, catalog)[0] == date(2024, 4, 20)


def test_the_full_history_stays_in_the_stream(certified, catalog, branch):
    state = certified("county_demo", first_grant=GRANTED)

    assert [(h.level, h.status) for h in state.past] == [("standard", "superseded")]
    assert len(state.applications) == 2
    assert {a.status for a in state.applications.values()} == {"granted"}


@pytest.mark.parametrize(("granted_on", "last_valid_day"), [
    (date(2022, 4, 1), date(2025, 3, 31)),
    (date(2020, 2, 29), date(2023, 2, 28)),
    (date(2024, 3, 1), date(2027, 2, 28)),
    (date(2022, 8, 31), date(2025, 8, 30)),
])
def test_a_grant_holds_through_the_day_before_the_same_date_three_years_on(
    granted_on, last_valid_day
):
    assert c.valid_until(granted_on, 36) == last_valid_day


def test_a_re_review_of_a_leap_day_grant_falls_due_on_the_last_day_of_february(
    certified, catalog
):
    state = certified("standard", first_grant=date(2020, 2, 29))

    assert c.review_dates(state.holding, catalog) == (date(2021, 2, 28), date(2022, 2, 28))

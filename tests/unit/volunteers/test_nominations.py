"""Model volunteers (典型选树): a county bureau nominates its own verified volunteers within
its quota; the county, then the city, review; the city announces the year's titles."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from contracts.volunteers import commands as published
from contracts.volunteers.recognition import Title, load_recognition_catalog
from services.volunteers.domain import certificate as cert, commands as c, nomination as n
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound, ValidationFailed
from yinfa.service.commands import build

TINGHU, DONGTAI = "320902", "320981"
WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"
TODAY = date(2026, 12, 3)
MODEL = Title("model_volunteer", "最美老干部志愿者", quota=2)


def nominating(number: int, volunteer_id: str = WANG, county: str = TINGHU
               ) -> n.NominateVolunteer:
    return n.NominateVolunteer(f"00000000-0000-4000-8000-{number:012d}", volunteer_id,
                               "model_volunteer", 2026, county, "十年如一日义务宣讲党史")


def nominee_id(number: int) -> str:
    return f"11111111-0000-4000-8000-{number:012d}"


def campaign_of(*commands: n.NominateVolunteer, nominee, title: Title = MODEL):
    state = None
    for command in commands:
        state = n.replay(n.nominate(state, command, nominee, title, TODAY), state)
    return state


def reviewing(number: int, stage: str, decision: str = "approved", county: str | None = TINGHU,
              reason: str | None = None) -> n.ReviewNomination:
    return n.ReviewNomination(nominating(number).nomination_id, "model_volunteer", 2026,
                              stage, decision, county, reason)


def test_a_nomination_carries_the_nominees_record_but_not_their_deeds(volunteer):
    events = n.nominate(None, nominating(1), volunteer("active", logged=[24, 10]), MODEL, TODAY)

    assert [e.type for e in events] == ["VolunteerNominated"]
    assert events[0].data == {
        "nomination_id": nominating(1).nomination_id, "volunteer_id": WANG,
        "county_code": TINGHU, "verified_hours": "34.0", "star_level": 0,
        "nominated_on": "2026-12-03"}
    assert "十年如一日" not in repr(events[0].data)


@pytest.mark.parametrize("status", ["suspended", "withdrawn", "registered"])
def test_a_suspended_withdrawn_or_unverified_volunteer_cannot_be_nominated(volunteer, status):
    with pytest.raises(DomainRuleViolated) as refused:
        n.nominate(None, nominating(1), volunteer(status), MODEL, TODAY)
    assert refused.value.field == "volunteer_id"


def test_a_county_nominates_only_its_own_volunteers(volunteer):
    with pytest.raises(DomainRuleViolated):
        n.nominate(None, nominating(1, county=DONGTAI), volunteer(), MODEL, TODAY)


def test_an_unknown_volunteer_is_not_found():
    with pytest.raises(NotFound):
        n.nominate(None, nominating(1), None, MODEL, TODAY)


def test_a_title_may_ask_for_an_approved_star_level(volunteer):
    starred = replace(MODEL, min_star_level=1)
    with pytest.raises(DomainRuleViolated, match="star level"):
        n.nominate(None, nominating(1), volunteer(), starred, TODAY)


def test_the_same_volunteer_is_nominated_once_a_title_and_year(volunteer):
    campaign = campaign_of(nominating(1), nominee=volunteer())
    with pytest.raises(AlreadyExists) as refused:
        n.nominate(campaign, nominating(2), volunteer(), MODEL, TODAY)
    assert refused.value.field == "volunteer_id"


def test_a_nomination_over_the_countys_quota_is_refused_with_the_count(volunteer):
    def other(number):
        return nominating(number, volunteer_id=nominee_id(number))

    campaign = campaign_of(other(1), other(2), nominee=volunteer())

    with pytest.raises(DomainRuleViolated) as refused:
        n.nominate(campaign, other(3), volunteer(), MODEL, TODAY)

    assert refused.value.field == "title"
    assert refused.value.context == {"quota": 2, "taken": 2}


def test_a_rejected_nomination_frees_its_place_in_the_quota(volunteer):
    def other(number):
        return nominating(number, volunteer_id=nominee_id(number))

    campaign = campaign_of(other(1), other(2), nominee=volunteer())
    campaign = n.replay(n.review(campaign, reviewing(1, "county", "rejected",
                                                     reason="deeds_insufficient")), campaign)

    assert n.nominate(campaign, other(3), volunteer(), MODEL, TODAY)


def test_a_county_may_have_a_quota_of_its_own():
    double = load_recognition_catalog().titles["double_advanced"]
    assert double.quota_of(TINGHU) == 1 and double.quota_of(DONGTAI) == 2


@settings(max_examples=30, deadline=None)
@given(quota=st.integers(min_value=0, max_value=4), tries=st.integers(min_value=0, max_value=7))
def test_no_county_ever_holds_more_places_than_its_quota(quota, tries):
    from services.volunteers.domain.volunteer import Volunteer
    nominee = Volunteer("male", 1956, TINGHU, None, "tuixiu", True, None, (), True,
                        status="verified", verified=True)
    title = replace(MODEL, quota=quota)
    state, accepted = None, 0
    for number in range(1, tries + 1):
        command = nominating(number, volunteer_id=nominee_id(number))
        try:
            state = n.replay(n.nominate(state, command, nominee, title, TODAY), state)
            accepted += 1
        except DomainRuleViolated:
            pass
    assert accepted == min(quota, tries)
    assert state is None or state.places_taken(TINGHU) <= quota


def test_the_county_reviews_before_the_city_and_the_city_announces(volunteer):
    campaign = campaign_of(nominating(1), nominee=volunteer())
    with pytest.raises(DomainRuleViolated, match="not awaiting the city review"):
        n.review(campaign, reviewing(1, "city", county=None))

    campaign = n.replay(n.review(campaign, reviewing(1, "county")), campaign)
    campaign = n.replay(n.review(campaign, reviewing(1, "city", county=None)), campaign)
    events = n.announce(campaign, n.AnnounceTitles("model_volunteer", 2026), TODAY)
    announced = n.replay(events, campaign)

    assert events[0].data == {"announced_on": "2026-12-03",
                              "nomination_ids": [nominating(1).nomination_id]}
    assert announced.nominations[nominating(1).nomination_id].status == "announced"
    with pytest.raises(DomainRuleViolated, match="announced"):
        n.nominate(announced, nominating(2, volunteer_id=nominee_id(2)), volunteer(), MODEL,
                   TODAY)


def test_another_countys_bureau_does_not_review_at_county_stage(volunteer):
    campaign = campaign_of(nominating(1), nominee=volunteer())
    with pytest.raises(DomainRuleViolated):
        n.review(campaign, reviewing(1, "county", county=DONGTAI))


def test_titles_are_not_announced_while_nominations_await_review(volunteer):
    campaign = campaign_of(nominating(1), nominee=volunteer())
    with pytest.raises(DomainRuleViolated, match="await review"):
        n.announce(campaign, n.AnnounceTitles("model_volunteer", 2026), TODAY)


def test_a_rejection_names_a_reason_code_and_an_unknown_title_is_refused():
    base = {"title": "最美老干部志愿者", "year": 2026, "stage": "county",
            "nomination_id": nominating(1).nomination_id}
    with pytest.raises(ValidationFailed) as refused:
        published.load_command(published.ReviewNomination, {**base, "decision": "rejected"})
    assert "reason_code" in refused.value.errors
    with pytest.raises(ValidationFailed) as unknown:
        published.load_command(published.NominateVolunteer, {
            "title": "劳动模范", "year": 2026, "volunteer_id": WANG, "county_code": TINGHU,
            "deeds": "事迹"})
    assert "title" in unknown.value.errors


def test_a_certificate_names_the_titles_announced(volunteer):
    issue = c.IssueCertificate(WANG, "ABCD-EFGH-JKLM", "county_admin")
    events = cert.issue(None, issue, volunteer(), TODAY,
                        [{"title": "model_volunteer", "year": 2026, "label": "最美"}])
    assert events[0].data["titles"] == [{"title": "model_volunteer", "year": 2026}]
    assert cert.replay(events).titles == ({"title": "model_volunteer", "year": 2026},)


def test_a_command_object_is_built_from_the_published_schema():
    command = build(n.NominateVolunteer, published.load_command(published.NominateVolunteer, {
        "title": "model_volunteer", "year": 2026, "volunteer_id": WANG,
        "county_code": TINGHU, "deeds": "  事迹  "}))
    assert command.deeds == "事迹" and command.title == "model_volunteer"


def every_recognition_event(holder) -> list:
    """One event of each type of campaigns and the talent pool (the events contract test)."""
    from services.volunteers.domain import talent

    campaign = campaign_of(nominating(1), nominee=holder)
    produced = n.nominate(None, nominating(1), holder, MODEL, TODAY)
    reviewed = n.review(campaign, reviewing(1, "county"))
    campaign = n.replay(reviewed, campaign)
    campaign = n.replay(n.review(campaign, reviewing(1, "city", county=None)), campaign)
    produced += reviewed + n.announce(campaign, n.AnnounceTitles("model_volunteer", 2026),
                                      TODAY)
    produced += talent.record_profile(None, talent.RecordTalentProfile(
        WANG, ("civil_law",), "teacher", ("weekends",)), holder)
    produced += talent.post_need(None, talent.PostTalentNeed(
        nominee_id(9), TINGHU, date(2026, 12, 10), date(2026, 12, 20), "county_admin",
        ("law",)))
    return produced

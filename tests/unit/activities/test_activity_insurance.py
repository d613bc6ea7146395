"""Accident insurance (安全保障): an activity takes insured volunteers only when the
catalog says so of its theme or kind, or the activity itself says so when published;
the rule is fixed at publication, and a sign-up of an uninsured volunteer is refused."""
from __future__ import annotations

from dataclasses import replace

import pytest
from activities_examples import WANG, bj

from contracts.activities import events as ev
from contracts.activities.catalog import InsuranceRule
from contracts.volunteers.standing import standing_facts
from services.activities.domain import activity as a
from yinfa.errors import DomainRuleViolated


def sign_up(volunteer_id=WANG):
    return {"volunteer_id": volunteer_id, "at": bj(20, 10)}


@pytest.fixture
def clinics_insured(catalog):
    """The catalog with free clinics (义诊送医) for insured volunteers only."""
    return replace(catalog, insurance=InsuranceRule(kinds=("medical",)))


def test_the_catalogs_rule_for_a_kind_holds_for_its_activities(decide, publication,
                                                               clinics_insured):
    events, state = decide(None, a.publish, publication(), using=clinics_insured)

    assert events[0].data["insurance_required"] is True
    assert state.details.insurance_required


def test_an_activity_may_say_otherwise_than_the_catalog(decide, publication, clinics_insured,
                                                        catalog):
    _, relaxed = decide(None, a.publish, publication(insurance_required=False),
                        using=clinics_insured)
    _, strict = decide(None, a.publish, publication(insurance_required=True), using=catalog)

    assert not relaxed.details.insurance_required and strict.details.insurance_required


def test_by_default_the_catalog_asks_insurance_of_no_activity(decide, publication):
    _, state = decide(None, a.publish, publication())
    assert not state.details.insurance_required


def test_an_uninsured_volunteer_cannot_sign_up_where_insurance_is_required(activity, decide):
    insured_only = activity(insurance_required=True)

    with pytest.raises(DomainRuleViolated, match="insurance") as refused:
        decide(insured_only, a.sign_up, sign_up(), "verified", (), False)

    assert refused.value.field == "volunteer_id"
    assert refused.value.context == {"reason": "uninsured"}
    events, _ = decide(insured_only, a.sign_up, sign_up(), "verified", (), True)
    assert [e.type for e in events] == ["VolunteerSignedUp"]


def test_anyone_may_sign_up_where_insurance_is_not_required(activity, decide):
    events, _ = decide(activity(), a.sign_up, sign_up(), "verified", (), False)
    assert [e.type for e in events] == ["VolunteerSignedUp"]


def test_activities_published_before_the_rule_took_anyone():
    assert ev.upcast(ev.ACTIVITY_PUBLISHED, 1, {"title": "老宣讲"})["insurance_required"] is False



def test_the_directory_learns_insurance_from_registrations_and_profile_updates():
    def event(event_type, data):
        return type("E", (), {"type": event_type, "data": data})()

    assert standing_facts(event("VolunteerRegistered", {
        "county_code": "320902", "insurance": True}))["insured"] is True
    assert standing_facts(event("VolunteerProfileUpdated", {"insurance": False})) == {
        "insured": False}
    assert standing_facts(event("VolunteerProfileUpdated", {"skills": ["law"]})) == {}

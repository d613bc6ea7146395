from dataclasses import replace
from decimal import Decimal

import pytest
from activities_examples import ACTIVITY_ID, LI, WANG, ZHANG, ZHAO, bj

from services.activities.domain import activity as a
from services.activities.domain.ids import served_entry_id
from yinfa.errors import AlreadyExists, DomainRuleViolated

WANG_ENTRY = served_entry_id(ACTIVITY_ID, WANG)


def lines(*served):
    """(volunteer, hours) pairs as the command schema loads them: hours in tenths."""
    return [{"volunteer_id": v, "hours": Decimal(h).quantize(Decimal("0.1"))} for v, h in served]


def report(*served, **extra):
    """The organiser's report: served as (volunteer, hours) pairs."""
    return {"served": lines(*served), "at": bj(23, 15), **extra}


@pytest.fixture
def clinic(activity, whole_morning):
    """王建国 and 李秀英 stayed the whole morning; 张志强 left after half an hour."""
    return activity(WANG, LI, ZHANG, capacity=3, attended={
        WANG: whole_morning, LI: whole_morning, ZHANG: (bj(23, 9), bj(23, 9, 30))})


def test_completion_credits_each_participant_with_a_ledger_entry(clinic, decide):
    events, state = decide(clinic, a.complete, report(
        (WANG, "2.5"), (LI, "2"), audience_reached=0, beneficiaries=86,
        evidence=["https://tinghu.example.cn/photos/1.jpg"], outcome="为86位老人测血压"))

    assert [e.type for e in events] == ["ActivityCompleted"]
    data = events[0].data
    assert data["served"] == [
        {"volunteer_id": WANG, "entry_id": WANG_ENTRY, "hours": "2.5", "served_on": "2023-10-23"},
        {"volunteer_id": LI, "entry_id": served_entry_id(ACTIVITY_ID, LI), "hours": "2.0",
         "served_on": "2023-10-23"},
    ]
    assert (data["volunteers_credited"], data["total_hours"]) == (2, "4.5")
    assert (data["beneficiaries"], data["endorsed"]) == (86, False)
    assert state.status == a.COMPLETED
    assert state.credited == {WANG: Decimal("2.5"), LI: Decimal("2.0")}


def test_hours_beyond_the_activitys_length_are_refused(clinic, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(clinic, a.complete, report((WANG, "2.6")))
    assert refused.value.field == "served"
    assert refused.value.context == {"volunteer_id": WANG, "hours": "2.6"}


def test_a_volunteer_who_served_no_hours_is_left_out(clinic, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(clinic, a.complete, report((WANG, "0")))
    assert refused.value.field == "served"


def test_attendance_below_the_share_earns_no_hours(clinic, decide):
    events, state = decide(clinic, a.complete, report((WANG, "2.5"), (ZHANG, "2.5")))

    data = events[0].data
    assert [line["volunteer_id"] for line in data["served"]] == [WANG]
    assert data["uncredited"] == [
        {"volunteer_id": ZHANG, "claimed_hours": "2.5", "reason": "attendance_below_share"}]
    assert state.credited == {WANG: Decimal("2.5")}


def test_exactly_the_share_earns_the_hours(activity, decide):
    sixty_percent = activity(WANG, attended={WANG: (bj(23, 9, 30), bj(23, 11))})
    events, _ = decide(sixty_percent, a.complete, report((WANG, "1.5")))
    assert events[0].data["volunteers_credited"] == 1


def test_the_attendance_share_is_reference_data(activity, decide, catalog):
    half = replace(catalog, rules=replace(catalog.rules, attendance_share=Decimal("0.5")))
    stayed_half = activity(WANG, attended={WANG: (bj(23, 9), bj(23, 10, 15))}, using=half)

    strict, _ = decide(stayed_half, a.complete, report((WANG, "1.5")))
    lenient, _ = decide(stayed_half, a.complete, report((WANG, "1.5")), using=half)

    assert strict[0].data["volunteers_credited"] == 0
    assert lenient[0].data["volunteers_credited"] == 1


def test_participants_who_did_not_check_in_or_out_earn_no_hours(activity, decide, whole_morning):
    state = activity(WANG, LI, ZHAO, capacity=3,
                     attended={WANG: whole_morning, LI: (bj(23, 9), None)})

    events, _ = decide(state, a.complete, report((WANG, "2"), (LI, "2"), (ZHAO, "2")))

    assert [(u["volunteer_id"], u["reason"]) for u in events[0].data["uncredited"]] == [
        (LI, "not_checked_out"), (ZHAO, "not_checked_in")]


def test_only_participants_can_be_reported(clinic, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(clinic, a.complete, report((ZHAO, "2")))
    assert refused.value.context == {"volunteer_id": ZHAO}


def test_an_activity_is_completed_after_it_ends(clinic, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(clinic, a.complete, report((WANG, "2"), at=bj(23, 11)))
    assert refused.value.field == "at"


def test_completing_twice_is_refused(clinic, decide):
    _, completed = decide(clinic, a.complete, report((WANG, "2.5")))
    with pytest.raises(AlreadyExists) as refused:
        decide(completed, a.complete, report((WANG, "2.5")))
    assert "correct" in refused.value.message


def test_a_cancelled_activity_cannot_be_completed(activity, decide):
    _, cancelled = decide(activity(WANG), a.cancel, {"reason": "台风"})
    with pytest.raises(DomainRuleViolated):
        decide(cancelled, a.complete, report())


def test_a_policy_suggestion_can_carry_an_endorsement(activity, decide, whole_morning):
    suggestion = activity(WANG, kind="policy_suggestion", title="关于农村养老服务的建议",
                          attended={WANG: whole_morning})

    events, state = decide(suggestion, a.complete, report(
        (WANG, "2"), endorsed=True, endorsement_note="市领导批示：请民政局研究落实"))

    assert events[0].data["endorsed"] is True and state.endorsed


def test_only_a_policy_suggestion_can_carry_an_endorsement(clinic, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(clinic, a.complete, report((WANG, "2"), endorsed=True))
    assert refused.value.field == "endorsed"


def test_served_on_is_the_local_date_the_activity_started(activity, decide):
    early = activity(WANG, starts_at=bj(23, 7), ends_at=bj(23, 9),  # 23:00 UTC on the 22nd
                     attended={WANG: (bj(23, 7), bj(23, 9))})
    events, _ = decide(early, a.complete, report((WANG, "2")))
    assert events[0].data["served"][0]["served_on"] == "2023-10-23"


# --- corrections ------------------------------------------------------------------------


@pytest.fixture
def completed(clinic, decide):
    """The clinic reported with 王建国 at 2.5 hours and 李秀英 forgotten."""
    return decide(clinic, a.complete, report((WANG, "2.5"), beneficiaries=80))[1]


def test_a_correction_is_a_compensating_event_on_the_same_entry(completed, decide):
    events, state = decide(completed, a.correct_completion, {
        "corrections": lines((WANG, "2")),
        "reason": "王建国十一点离开"})

    assert [(e.type, dict(e.data)) for e in events] == [("CompletionCorrected", {
        "corrections": [{"volunteer_id": WANG, "entry_id": WANG_ENTRY, "hours": "2.0",
                         "served_on": "2023-10-23", "previous_hours": "2.5",
                         "new_entry": False}],
        "audience_reached": None, "beneficiaries": None, "endorsed": None,
        "endorsement_note": None, "total_hours": "2.0", "reason": "王建国十一点离开"})]
    assert state.credited == {WANG: Decimal("2.0")}


def test_a_forgotten_participant_is_added_as_a_new_entry(completed, decide):
    events, state = decide(completed, a.correct_completion, {
        "corrections": lines((LI, "2.5")), "reason": "漏报李秀英"})

    line = events[0].data["corrections"][0]
    assert (line["previous_hours"], line["new_entry"]) == ("0.0", True)
    assert events[0].data["total_hours"] == "5.0" and state.total_hours == 5


def test_a_correction_to_zero_takes_the_hours_back(completed, decide):
    events, state = decide(completed, a.correct_completion, {
        "corrections": lines((WANG, "0")), "reason": "重复登记"})
    assert events[0].data["total_hours"] == "0.0" and state.credited[WANG] == 0


def test_a_correction_cannot_credit_attendance_below_the_share(completed, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(completed, a.correct_completion, {
            "corrections": lines((ZHANG, "0.5")), "reason": "补记"})
    assert refused.value.context == {"volunteer_id": ZHANG}


def test_a_correction_keeps_the_hours_within_the_activitys_length(completed, decide):
    with pytest.raises(DomainRuleViolated):
        decide(completed, a.correct_completion, {
            "corrections": lines((WANG, "3")), "reason": "多记"})


def test_a_correction_may_fix_the_numbers_reached(completed, decide):
    events, state = decide(completed, a.correct_completion, {
        "beneficiaries": 96, "audience_reached": 80, "reason": "补充统计"})
    assert events[0].data["corrections"] == []
    assert (state.beneficiaries, state.audience_reached) == (96, 80)


def test_a_correction_that_changes_nothing_is_refused(completed, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(completed, a.correct_completion, {
            "corrections": lines((WANG, "2.5")), "beneficiaries": 80,
            "reason": "核对"})
    assert refused.value.field == "corrections"


def test_only_a_completed_activity_is_corrected(clinic, decide):
    with pytest.raises(DomainRuleViolated) as refused:
        decide(clinic, a.correct_completion, {"beneficiaries": 1, "reason": "x"})
    assert refused.value.context == {"status": "published"}


def test_a_later_endorsement_is_recorded_by_a_correction(activity, decide, whole_morning):
    suggestion = activity(WANG, kind="policy_suggestion", attended={WANG: whole_morning})
    _, done = decide(suggestion, a.complete, report((WANG, "2")))

    events, state = decide(done, a.correct_completion, {
        "endorsed": True, "endorsement_note": "县委书记批示", "reason": "收到批示"})

    assert events[0].data["endorsed"] is True and state.endorsed

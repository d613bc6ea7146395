"""Re-reviews (复核) and expiry fall due at the right simulated instant, exactly once."""
from __future__ import annotations

import eventlet
from branch_service_examples import FINANCE, ids, set_clock
from nameko.testing.services import entrypoint_hook

from contracts.branches.streams import certification_stream

# Granted 1 March 2023 for 36 months: re-reviews on 1 March 2024 and 2025, valid through
# 28 February 2026. The bureau's day starts at 00:00 China Standard Time (16:00 UTC).
JUST_BEFORE = "2024-02-29T15:59:59+00:00"
DUE = "2024-02-29T16:00:00+00:00"


def fire(container) -> int:
    with entrypoint_hook(container, "record_due_reviews") as record_due_reviews:
        return record_due_reviews()


def of_type(stored, event_type: str) -> list:
    return [e for e in stored.stream(certification_stream(ids(FINANCE)))
            if e.type == event_type]


def test_a_re_review_falls_due_at_midnight_in_yancheng_and_only_once(
    start_branches, establish, certify, stored
):
    container = start_branches(CLOCK_NOW=JUST_BEFORE)
    establish()
    certify(ids(FINANCE), "standard", first_grant="2023-03-01")

    assert fire(container) == 0
    set_clock(container, DUE)
    assert fire(container) == 1
    assert fire(container) == 0

    due = of_type(stored, "ReviewFallenDue")
    assert [e.data["due_on"] for e in due] == ["2024-03-01"]


def test_a_restarted_service_records_nothing_twice(start_branches, establish, certify, stored):
    first = start_branches(CLOCK_NOW=DUE)
    establish()
    certify(ids(FINANCE), "standard", first_grant="2023-03-01")
    fire(first)
    fire(first)
    first.stop()

    second = start_branches(CLOCK_NOW="2024-03-01T09:00:00+08:00")
    assert fire(second) == 0

    assert len(of_type(stored, "ReviewFallenDue")) == 1


def test_two_instances_firing_at_once_record_the_review_once(
    start_branches, establish, certify, stored
):
    first = start_branches(CLOCK_NOW=DUE)
    second = start_branches(CLOCK_NOW=DUE)
    establish()
    certify(ids(FINANCE), "standard", first_grant="2023-03-01")

    for _ in range(3):  # one hook per container at a time: nameko's waiter matches by method
        racing = [eventlet.spawn(fire, container) for container in (first, second)]
        [thread.wait() for thread in racing]

    assert len(of_type(stored, "ReviewFallenDue")) == 1


def test_each_anniversary_falls_due_then_the_certification_expires_once(
    start_branches, establish, certify, branches, stored
):
    container = start_branches(CLOCK_NOW=DUE)
    establish()
    certify(ids(FINANCE), "standard", first_grant="2023-03-01")
    fire(container)
    branches.pass_review({"branch_id": ids(FINANCE), "due_on": "2024-03-01",
                          "reviewer": "county_bureau", "granter_county": "320902"})

    set_clock(container, "2025-03-01T08:00:00+08:00")
    fire(container)
    set_clock(container, "2026-03-01T08:00:00+08:00")
    fire(container)
    fire(container)

    assert [e.data["due_on"] for e in of_type(stored, "ReviewFallenDue")] == [
        "2024-03-01", "2025-03-01"]
    assert [e.data["valid_until"] for e in of_type(stored, "CertificationExpired")] == [
        "2026-02-28"]
    history = branches.certification_history(ids(FINANCE))
    assert history["holding"] is None
    assert history["past"][0]["status"] == "expired"
    assert history["past"][0]["reviewed"] == ["2024-03-01"]
    assert history["next_due_on"] is None


def test_a_pending_re_review_shows_in_the_history(start_branches, establish, certify, branches):
    container = start_branches(CLOCK_NOW=DUE)
    establish()
    certify(ids(FINANCE), "standard", first_grant="2023-03-01")
    assert branches.certification_history(ids(FINANCE))["next_due_on"] == "2024-03-01"

    fire(container)

    holding = branches.certification_history(ids(FINANCE))["holding"]
    assert holding["pending_reviews"] == ["2024-03-01"]
    assert branches.certification_history(ids(FINANCE))["next_due_on"] == "2025-03-01"


def test_nothing_falls_due_for_a_dissolved_branch(start_branches, establish, certify,
                                                   branches, stored):
    container = start_branches(CLOCK_NOW=DUE)
    establish()
    certify(ids(FINANCE), "standard", first_grant="2023-03-01")
    branches.dissolve_branch({"branch_id": ids(FINANCE), "reason": "党员全部转出",
                              "dissolved_on": "2024-01-15"})

    assert fire(container) == 0
    assert of_type(stored, "ReviewFallenDue") == []


def test_the_timer_fires_by_itself_at_the_configured_interval(
    start_branches, establish, certify, stored, eventually
):
    start_branches(CLOCK_NOW=DUE, REVIEW_TIMER_SECONDS=0.2)
    establish()
    certify(ids(FINANCE), "standard", first_grant="2023-03-01")

    eventually(lambda: of_type(stored, "ReviewFallenDue"), timeout=10)
    eventlet.sleep(0.5)  # a few more ticks

    assert len(of_type(stored, "ReviewFallenDue")) == 1

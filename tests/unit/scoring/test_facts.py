"""The event → facts fold: what it counts, and that no delivery order, duplicate or stale
redelivery changes it (each register field is last-writer-wins by stream version)."""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date
from decimal import Decimal

from scoring_builders import (
    CITY_CLOCK,
    completed,
    established,
    event,
    fold_all,
    granted,
    hours,
    hours_corrected,
    published,
    registered,
    revoked,
    wish_confirmed,
    wish_posted,
    withdrawn,
)

from services.scoring.domain.facts import Period
from services.scoring.domain.state import ScoringState, SourceEvent

TINGHU, YANDU = "320902", "320903"
YEAR = Period(date(2026, 1, 1), date(2027, 1, 1))


def history() -> list[SourceEvent]:
    """A little of everything, in two counties."""
    events: list[SourceEvent] = []
    for county in (TINGHU, YANDU):
        for n in range(4):
            vid = f"{county}-v{n}"
            events += [registered(vid, county), hours(vid, f"{vid}-h1", "2.5"),
                       hours(vid, f"{vid}-h2", "1.0", served_on="2025-12-30")]
        events += [hours_corrected(f"{county}-v0", f"{county}-v0-h1", "4.0", "2.5"),
                   withdrawn(f"{county}-v3")]
        for n in range(3):
            bid = f"{county}-b{n}"
            events += [established(bid, county), granted(bid, "standard")]
        events += [granted(f"{county}-b0", "county_demo"), revoked(f"{county}-b1", "standard"),
                   established(f"{county}-f0", county, branch_type="functional"),
                   granted(f"{county}-f0", "standard")]
        for n, theme in enumerate(["party_story", "sci_tech_innovation", "party_story"]):
            aid = f"{county}-a{n}"
            events += [published(aid, county, theme), completed(aid, 30 + n, endorsed=n == 1)]
        for n, days in enumerate([2, 10, 4]):
            wid = f"{county}-w{n}"
            events += [wish_posted(wid, county), wish_confirmed(wid, days)]
    return events


def interleave(events: list[SourceEvent], rng: random.Random) -> list[SourceEvent]:
    """A random interleaving of the streams that keeps each stream's own order."""
    streams: dict[str, list[SourceEvent]] = defaultdict(list)
    for e in events:
        streams[e.stream_id].append(e)
    queues = [list(s) for s in streams.values()]
    out: list[SourceEvent] = []
    while queues:
        q = rng.choice(queues)
        out.append(q.pop(0))
        if not q:
            queues.remove(q)
    return out


def test_what_the_fold_counts() -> None:
    m = fold_all(history())[TINGHU].measures(YEAR)
    assert m["volunteers_registered"].value == 3  # v3 withdrew
    assert m["service_hours"].value == Decimal("11.5")  # 4.0 + 3 × 2.5; the 2025 hours excluded
    assert (m["volunteers_active"].value, m["volunteers_active"].denominator) == (3, 3)
    # 3 formal branches (the functional one does not count); b1 lost its 达标
    assert (m["formal_branches_certified"].value,
            m["formal_branches_certified"].denominator) == (2, 3)
    assert m["themes_covered"].value == 2
    assert m["audience_reached"].value == 30 + 31 + 32
    assert m["endorsements"].value == 1
    assert m["wishes_fulfilled"].value == 3
    assert m["median_days_to_fulfil"].value == 4
    weights = {"province_demo": Decimal(5), "city_demo": Decimal(3), "county_demo": Decimal(1)}
    assert fold_all(history())[TINGHU].measures(YEAR, weights)["demonstration_points"].value == 1


def test_the_fold_is_independent_of_the_order_across_streams() -> None:
    events = history()
    expected = fold_all(events)
    for seed in range(25):
        assert fold_all(interleave(events, random.Random(seed))) == expected, f"seed {seed}"


def test_the_fold_is_independent_of_any_order_even_within_a_stream() -> None:
    events = history()
    expected = ScoringState(CITY_CLOCK).apply_all(events).comparable()
    for seed in range(25):
        shuffled = random.Random(seed).sample(events, len(events))
        assert ScoringState(CITY_CLOCK).apply_all(shuffled).comparable() == expected, f"seed {seed}"


def test_duplicates_and_stale_redeliveries_change_nothing() -> None:
    events = history()
    expected = fold_all(events)
    rng = random.Random(7)
    redelivered = [e for e in events for _ in range(rng.choice([1, 1, 2, 3]))]
    late = redelivered + rng.sample(events, 20)  # stale redeliveries at the end, too
    assert fold_all(late) == expected


def test_a_grant_redelivered_after_its_revocation_does_not_re_grant() -> None:
    grant, revoke = granted("b1", "standard"), revoked("b1", "standard")
    facts = fold_all([established("b1", TINGHU), grant, revoke, grant])
    assert facts[TINGHU].certifications["b1"] is None


def test_a_failed_re_review_ends_the_certification() -> None:
    events = [established("b2", TINGHU), granted("b2", "standard"), granted("b2", "county_demo"),
              event("ReviewFailed", "certification-b2",
                    {"due_on": "2026-09-01", "reviewer": "county_bureau", "note": "台账缺失"})]
    facts = fold_all(events)[TINGHU]
    assert facts.certifications["b2"] is None
    assert facts.measures(YEAR)["formal_branches_certified"].value == 0


def test_hours_of_a_volunteer_not_placed_yet_count_once_the_registration_arrives() -> None:
    logged = hours("v9", "h9", "3")
    assert fold_all([logged]) == {}
    facts = fold_all([logged, registered("v9", YANDU)])
    assert facts[YANDU].measures(YEAR)["service_hours"].value == Decimal(3)


def test_events_scoring_does_not_use_are_ignored() -> None:
    state = ScoringState(CITY_CLOCK).apply_all([event("BrandSelected", "brand-b1", {"year": 2026})])
    assert state.registers == {}


def test_a_certification_counts_for_the_county_of_its_branch() -> None:
    facts = fold_all([granted("b7", "standard"), established("b7", YANDU)])
    assert facts[YANDU].certifications == {"b7": "standard"}


def test_only_formal_branches_at_the_certified_level_count_towards_coverage() -> None:
    general = event("BranchEstablished", "branch-zongzhi",
                    {"name": "财政局离退休干部党总支", "branch_type": "formal",
                     "level": "general_branch", "county_code": "320902",
                     "established_on": "2021-03-01"})
    events = [general, established("zhibu", "320902"), granted("zhibu", "standard")]
    facts = fold_all(events)

    coverage = facts["320902"].measures(YEAR)["formal_branches_certified"]

    assert (coverage.value, coverage.denominator) == (Decimal(1), Decimal(1))


def test_the_facts_kept_as_events_arrive_equal_a_scan_of_every_register() -> None:
    from scoring_oracle import county_facts_scanned

    events = history()
    for seed in range(10):
        shuffled = random.Random(seed).sample(events, len(events))
        state = ScoringState(CITY_CLOCK).apply_all(shuffled)
        assert state.facts == county_facts_scanned(state), f"seed {seed}"

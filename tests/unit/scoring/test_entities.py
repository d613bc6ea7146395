"""Rankings within a county, hand-checked against the 2026 rulebook's branch_indicators and
volunteer_indicators (competition ranking: 1, 2, 2, 4)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from scoring_builders import CITY_CLOCK, event, hours_corrected, registered, withdrawn

from services.scoring.domain.entities import branches_of, volunteers_of
from services.scoring.domain.ranking import EntityScore, score_entities
from services.scoring.domain.rulebook import default_rulebook_path, load_rulebook
from services.scoring.domain.state import ScoringState, SourceEvent

RULEBOOK = load_rulebook(default_rulebook_path())
COUNTY, ELSEWHERE = "320971", "320902"
IN_2026, IN_2025 = "2026-06-01", "2025-12-31"


def hours(vid: str, entry: str, amount: str, served_on: str = IN_2026,
          activity: str | None = None) -> SourceEvent:
    return event("HoursRecorded", f"volunteer-{vid}", {
        "entry_id": entry, "hours": amount, "served_on": served_on, "source": "manual",
        "activity_id": activity})


def branch(bid: str, county: str = COUNTY) -> SourceEvent:
    return event("BranchEstablished", f"branch-{bid}", {
        "name": f"支部{bid}", "branch_type": "formal", "level": "branch",
        "county_code": county, "established_on": "2020-01-01"})


def member(bid: str, vid: str, on: bool = True) -> SourceEvent:
    return event("MemberAdded" if on else "MemberRemoved", f"branch-{bid}",
                 {"volunteer_id": vid})


def certified(bid: str, level: str) -> SourceEvent:
    return event("CertificationGranted", f"certification-{bid}", {
        "application_id": "a1", "level": level, "granted_by": "county_bureau",
        "granted_on": "2026-03-01", "valid_until": "2029-03-01"})


def organised(aid: str, bid: str, starts_at: str = "2026-04-10T01:00:00+00:00"
              ) -> list[SourceEvent]:
    return [
        event("ActivityPublished", f"activity-{aid}", {
            "theme": "party_story", "kind": "lecture", "county_code": COUNTY,
            "starts_at": starts_at, "ends_at": starts_at, "capacity": 30,
            "organiser": {"kind": "branch", "id": bid}}),
        event("ActivityCompleted", f"activity-{aid}", {
            "served": [], "uncredited": [], "volunteers_credited": 0, "total_hours": "0",
            "audience_reached": 20, "beneficiaries": 0, "evidence": [], "endorsed": False}),
    ]


def fulfilled(wid: str, kind: str, ident: str, confirmed_at: str = "2026-05-20T02:00:00+00:00"
              ) -> list[SourceEvent]:
    return [
        event("WishPosted", f"wish-{wid}", {"label": "助老", "county_code": COUNTY,
                                            "category": "care"}),
        event("WishConfirmed", f"wish-{wid}", {
            "confirmed_by": {"kind": "community", "id": "c1"},
            "claimant": {"kind": kind, "id": ident}, "confirmed_at": confirmed_at,
            "seconds_to_fulfil": 3 * 86400}),
    ]


def county_history() -> dict[str, Any]:
    """One small county (and a neighbour), every event kept by name for the evidence."""
    e: dict[str, Any] = {}
    # volunteers
    for vid in ("ev1", "ev2", "ev3", "ev4", "ev5", "ev6", "ev8"):
        e[f"reg-{vid}"] = registered(vid, COUNTY)
    e["reg-ev9"] = registered("ev9", ELSEWHERE)  # ranks in its own county only
    e["withdrawn-ev6"] = withdrawn("ev6")
    e["h1"] = hours("ev1", "ev1-h1", "20", activity="act-1")
    e["h2"] = hours("ev1", "ev1-h2", "20", activity="act-2")
    e["h3"] = hours("ev1", "ev1-h3", "30", activity="act-3")
    e["h3-corrected"] = hours_corrected("ev1", "ev1-h3", "20", "30")
    e["h4"] = hours("ev2", "ev2-h1", "40")
    e["h5-2025"] = hours("ev2", "ev2-h2", "500", served_on=IN_2025)  # outside the period
    e["h6"] = hours("ev3", "ev3-h1", "15")
    e["h9"] = hours("ev9", "ev9-h1", "90")
    e["h-withdrawn"] = hours("ev6", "ev6-h1", "80")
    for n in range(3):
        e[f"wish-ev3-{n}"] = fulfilled(f"ew3-{n}", "volunteer", "ev3")
    e["wish-ev4"] = fulfilled("ew4", "volunteer", "ev4")
    e["wish-ev4-2025"] = fulfilled("ew4-old", "volunteer", "ev4", "2025-12-30T02:00:00+00:00")
    # branches
    for bid in ("eb1", "eb2", "eb3", "eb4", "eb5"):
        e[f"est-{bid}"] = branch(bid)
    e["est-eb9"] = branch("eb9", ELSEWHERE)
    e["cert-eb1"] = certified("eb1", "province_demo")
    e["cert-eb2"] = certified("eb2", "city_demo")
    e["cert-eb4"] = certified("eb4", "standard")
    e["cert-eb5"] = certified("eb5", "province_demo")
    e["cert-eb9"] = certified("eb9", "province_demo")
    e["dissolved-eb5"] = event("BranchDissolved", "branch-eb5", {"reason": "撤并"})
    for n in range(3):
        e[f"act-eb1-{n}"] = organised(f"ea1-{n}", "eb1")
    e["act-eb1-2025"] = organised("ea1-old", "eb1", "2025-11-10T01:00:00+00:00")
    for vid in ("ev1", "ev2", "ev4", "ev5", "ev8"):
        e[f"mem-eb3-{vid}"] = member("eb3", vid)
    e["mem-eb3-ev3"] = member("eb3", "ev3")
    e["mem-eb3-ev3-removed"] = member("eb3", "ev3", on=False)
    e["wish-eb4"] = fulfilled("ew-b4", "branch", "eb4")
    return e


def flat(named: dict[str, Any]) -> list[SourceEvent]:
    events: list[SourceEvent] = []
    for value in named.values():
        events.extend(value if isinstance(value, list) else [value])
    return events


def ranking(kind: str, events: list[SourceEvent]) -> list[EntityScore]:
    state = ScoringState(CITY_CLOCK).apply_all(events)
    if kind == "branch":
        return score_entities(branches_of(state, COUNTY, RULEBOOK.period),
                              RULEBOOK.branch_indicators)
    return score_entities(volunteers_of(state, COUNTY, RULEBOOK.period),
                          RULEBOOK.volunteer_indicators)


def table(scores: list[EntityScore]) -> list[tuple[int, str, Decimal]]:
    return [(s.rank, s.entity_id, s.total) for s in scores]


def test_branch_ranking_by_hand() -> None:
    # branch_indicators (weights 30/25/20/15/10):
    #   branch_certification: level points (standard 1, county 2, city 3, province 4) / 4 × 30
    #   members_active: active members / members, / 0.8 × 25 (share; none without members)
    #   member_hours: members' 2026 hours / 200 × 20
    #   activities_organised: completed 2026 activities / 6 × 15
    #   branch_wishes: 2026 wishes claimed by the branch / 3 × 10
    # eb1: province 4/4×30 = 30.00; 3 activities in 2026 (not the 2025 one) 3/6×15 = 7.50
    #      -> 37.50
    # eb2: city 3/4×30 = 22.50 -> 22.50
    # eb3: no level -> 0.00; members ev1 ev2 ev4 ev5 ev8 (ev3 added, then removed): active
    #      ev1 (60 h) and ev2 (40 h in 2026; its 500 h of 2025 do not count) -> 2/5 = 0.4,
    #      0.4/0.8×25 = 12.50; member hours 60 + 40 = 100, 100/200×20 = 10.00 -> 22.50
    # eb4: standard 1/4×30 = 7.50; one wish 1/3×10 = 3.333… -> 3.33 -> 10.83
    # eb5: dissolved, not ranked; eb9: another county
    events = flat(county_history())

    assert table(ranking("branch", events)) == [
        (1, "eb1", Decimal("37.50")),
        (2, "eb2", Decimal("22.50")),
        (2, "eb3", Decimal("22.50")),
        (4, "eb4", Decimal("10.83")),
    ]


def test_branch_rows_explain_the_hand_count() -> None:
    eb3 = next(s for s in ranking("branch", flat(county_history())) if s.entity_id == "eb3")
    rows = {r.code: r for r in eb3.rows}

    assert (rows["members_active"].raw, rows["members_active"].denominator,
            rows["members_active"].normalised, rows["members_active"].points) == (
        Decimal("2.0000"), Decimal(5), Decimal("0.4000"), Decimal("12.50"))
    assert (rows["member_hours"].raw, rows["member_hours"].points) == (
        Decimal("100.0000"), Decimal("10.00"))
    assert rows["branch_certification"].points == Decimal("0.00")
    assert sum(r.points for r in eb3.rows) == eb3.total


def test_volunteer_ranking_by_hand() -> None:
    # volunteer_indicators (weights 60/25/15):
    #   volunteer_hours: 2026 hours / 100 × 60
    #   activities_served: distinct activities with hours > 0 / 12 × 25
    #   volunteer_wishes: 2026 wishes claimed / 3 × 15
    # ev1: 20 + 20 + 30 corrected to 20 = 60 h -> 36.00; 3 activities 3/12×25 = 6.25 -> 42.25
    # ev2: 40 h in 2026 (500 h in 2025 left out) -> 24.00
    # ev3: 15 h -> 9.00; 3 wishes -> 15.00 -> 24.00
    # ev4: one 2026 wish (the 2025 one left out) 1/3×15 = 5.00 -> 5.00
    # ev5, ev8: nothing -> 0.00, tied
    # ev6: withdrawn, not ranked; ev9: another county
    assert table(ranking("volunteer", flat(county_history()))) == [
        (1, "ev1", Decimal("42.25")),
        (2, "ev2", Decimal("24.00")),
        (2, "ev3", Decimal("24.00")),
        (4, "ev4", Decimal("5.00")),
        (5, "ev5", Decimal("0.00")),
        (5, "ev8", Decimal("0.00")),
    ]


def test_rankings_within_a_county_do_not_depend_on_the_order_of_events() -> None:
    events = flat(county_history())
    assert ranking("volunteer", list(reversed(events))) == ranking("volunteer", events)
    assert ranking("branch", list(reversed(events))) == ranking("branch", events)

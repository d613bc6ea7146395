"""Scoring and ranking on small, hand-checked examples."""
from __future__ import annotations

from decimal import Decimal

import pytest
from scoring_builders import Baseline, completed, fold_all, hours, published, registered

from services.scoring.domain.ranking import UnknownBaseline, rank_within, score
from services.scoring.domain.rulebook import default_rulebook_path, load_rulebook, parse_rulebook

BIG, SMALL = "320902", "320971"  # 亭湖区 and the development zone

TWO_INDICATORS = """
version: "test.1"
period: {start: "2026-01-01", end: "2027-01-01"}
indicators:
  - {code: participation, label: 志愿者, source: [VolunteerRegistered],
     measure: volunteers_registered, normalisation: per_100_retired_cadres,
     weight: 60, target: 10}
  - {code: hours, label: 时长, source: [HoursRecorded],
     measure: service_hours, normalisation: per_100_retired_cadres, weight: 40, target: 200}
"""


def county_events(county: str, volunteers: int, hours_each: str) -> list:
    events = []
    for n in range(volunteers):
        vid = f"{county}-v{n}"
        events += [registered(vid, county), hours(vid, f"{vid}-h1", hours_each)]
    return events


def test_a_small_county_outranks_a_big_one_per_head() -> None:
    """Hand-checked:
    big:   200 volunteers / 5000 cadres = 4 per 100  -> 60 × 4/10    = 24.00
           5000 hours / 5000 cadres = 100 per 100     -> 40 × 100/200 = 20.00  => 44.00
    small:  50 volunteers / 500 cadres = 10 per 100  -> 60 × 10/10   = 60.00
            600 hours / 500 cadres = 120 per 100      -> 40 × 120/200 = 24.00  => 84.00
    The big county has four times the volunteers and eight times the hours, and ranks 2nd."""
    events = county_events(BIG, 200, "25") + county_events(SMALL, 50, "12")
    facts = fold_all(events)
    baselines = {BIG: Baseline(5000, 100), SMALL: Baseline(500, 10)}
    ranking = score(facts, baselines, parse_rulebook(TWO_INDICATORS))

    assert [(s.county_code, s.rank, s.total) for s in ranking] == [
        (SMALL, 1, Decimal("84.00")), (BIG, 2, Decimal("44.00"))]
    small, big = ranking
    row = big.row("participation")
    assert (row.raw, row.denominator, row.normalised, row.points) == (
        Decimal(200), Decimal(5000), Decimal(4), Decimal("24.00"))
    row = small.row("hours")
    assert (row.raw, row.denominator, row.normalised, row.points) == (
        Decimal(600), Decimal(500), Decimal(120), Decimal("24.00"))
    assert sum(r.points for r in big.rows) == big.total


def test_points_are_capped_at_the_weight() -> None:
    facts = fold_all(county_events(SMALL, 100, "30"))  # 20 per 100, 600 hours per 100
    (only,) = score(facts, {SMALL: Baseline(500, 10)}, parse_rulebook(TWO_INDICATORS))
    assert only.total == Decimal(100)


def test_competition_ranking_shares_ranks() -> None:
    ranked = rank_within(["a", "b", "c", "d"], key={"a": 5, "b": 3, "c": 3, "d": 1}.get,
                         tiebreak=str)
    assert [(r.rank, r.item) for r in ranked] == [(1, "a"), (2, "b"), (2, "c"), (4, "d")]


def test_rank_within_is_independent_of_input_order() -> None:
    keys = {"x": 2, "y": 2, "z": 2, "w": 9}
    first = rank_within(["x", "y", "z", "w"], key=keys.get, tiebreak=str)
    second = rank_within(["z", "w", "y", "x"], key=keys.get, tiebreak=str)
    assert first == second
    assert [(r.rank, r.item) for r in first] == [(1, "w"), (2, "x"), (2, "y"), (2, "z")]


def test_tied_counties_share_a_rank_and_are_listed_by_code() -> None:
    a, b, c, d = "320921", "320922", "320923", "320924"
    events = (county_events(a, 10, "10") + county_events(c, 6, "10")
              + county_events(b, 6, "10") + county_events(d, 2, "10"))
    baselines = {code: Baseline(100, 5) for code in (a, b, c, d)}
    ranking = score(fold_all(events), baselines, parse_rulebook(TWO_INDICATORS))
    assert [(s.county_code, s.rank) for s in ranking] == [(a, 1), (b, 2), (c, 2), (d, 4)]


def test_a_county_without_facts_is_ranked_with_zero_points() -> None:
    facts = fold_all(county_events(BIG, 1, "1"))
    baselines = {BIG: Baseline(5000, 100), SMALL: Baseline(500, 10)}
    ranking = score(facts, baselines, parse_rulebook(TWO_INDICATORS))
    assert ranking[-1].county_code == SMALL and ranking[-1].total == 0


def test_facts_for_a_county_without_baseline_are_refused() -> None:
    with pytest.raises(UnknownBaseline):
        score(fold_all(county_events("999999", 1, "1")), {BIG: Baseline(1, 1)},
              parse_rulebook(TWO_INDICATORS))


def test_default_rulebook_scores_every_indicator() -> None:
    rulebook = load_rulebook(default_rulebook_path())
    events = county_events(SMALL, 5, "4") + [
        published("a1", SMALL, "party_story"), completed("a1", audience=120, endorsed=True),
        published("a2", SMALL, "youth_cultivation"), completed("a2", audience=80),
        published("a3", SMALL, "rural_revitalisation"),  # never completed: not covered
    ]
    (only,) = score(fold_all(events), {SMALL: Baseline(500, 10)}, rulebook)
    assert [r.code for r in only.rows] == [i.code for i in rulebook.indicators]
    assert only.row("theme_coverage").raw == 2
    assert only.row("theme_coverage").points == Decimal("4.00")  # 10 × 2/5
    assert only.row("audience_reached").normalised == 40  # 200 per 500 cadres
    assert only.row("endorsements").points == Decimal("1.00")  # 3 × 1/3
    assert only.row("active_volunteers").normalised == 1
    assert only.row("wish_speed").points == 0  # no wish fulfilled: no median, no points

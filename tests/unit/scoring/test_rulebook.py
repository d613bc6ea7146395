"""Rulebooks: the default one loads; a malformed one names its line; what-if comparisons
differ exactly where two rulebooks differ."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from scoring_builders import (
    CITY_CLOCK,
    Baseline,
    completed,
    established,
    fold_all,
    granted,
    hours,
    published,
    registered,
    wish_confirmed,
    wish_posted,
)

from services.scoring.domain.ranking import compare, score
from services.scoring.domain.rulebook import (
    RulebookError,
    default_rulebook_path,
    load_rulebook,
    parse_rulebook,
)
from services.scoring.domain.state import ScoringState
from services.scoring.queries import entity_scores
from yinfa.errors import ValidationFailed

DEFAULT_TEXT = default_rulebook_path().read_text(encoding="utf-8")


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    lines = text.splitlines()
    hits = [n for n, line in enumerate(lines, start=1) if fragment in line]
    return hits[occurrence - 1]


def test_the_default_rulebook_loads() -> None:
    rulebook = load_rulebook(default_rulebook_path())
    assert rulebook.version == "2026.1"
    assert (rulebook.period.start, rulebook.period.end) == (date(2026, 1, 1), date(2027, 1, 1))
    assert sum(i.weight for i in rulebook.indicators) == 100
    assert {i.normalisation for i in rulebook.indicators} == {
        "none", "per_100_retired_cadres", "per_formal_branch", "share"}


def test_a_bad_weight_names_its_line() -> None:
    text = DEFAULT_TEXT.replace("    weight: 15\n    target: 200",
                                "    weight: -15\n    target: 200", 1)  # the county's
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(text, "2026.yaml")
    assert caught.value.line == line_of(text, "weight: -15")
    assert "indicators.4.weight" in str(caught.value)
    assert str(caught.value).startswith(f"2026.yaml line {caught.value.line}: ")


def test_an_unknown_measure_names_its_line() -> None:
    text = DEFAULT_TEXT.replace("measure: themes_covered", "measure: themes_coverd", 1)
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(text)
    assert caught.value.line == line_of(text, "themes_coverd")
    assert "measure" in caught.value.reason


def test_a_missing_field_names_the_indicator() -> None:
    text = DEFAULT_TEXT.replace("    label: 活跃志愿者占比\n", "", 1)
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(text)
    assert caught.value.line == line_of(text, "code: active_volunteers")
    assert "indicators.3.label" in caught.value.reason


def test_weights_that_do_not_sum_to_100_name_the_indicators_line() -> None:
    text = DEFAULT_TEXT.replace("weight: 20", "weight: 21")
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(text)
    assert caught.value.line == line_of(text, "indicators:")
    assert "101" in caught.value.reason


def test_a_duplicate_code_names_its_line() -> None:
    text = DEFAULT_TEXT.replace("code: endorsements", "code: wish_speed")
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(text)
    assert caught.value.line == line_of(text, "code: wish_speed", occurrence=2)


def test_a_period_ending_before_it_starts_names_its_line() -> None:
    text = DEFAULT_TEXT.replace('end: "2027-01-01"', 'end: "2025-01-01"')
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(text)
    assert caught.value.line == line_of(text, 'end: "2025-01-01"')


def test_invalid_yaml_names_its_line() -> None:
    text = DEFAULT_TEXT.replace("    weight: 8\n", "    weight: [8\n")
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(text)
    assert caught.value.line is not None
    assert caught.value.line >= line_of(text, "weight: [8")
    assert "YAML" in caught.value.reason


def test_lower_is_better_needs_zero_at() -> None:
    text = DEFAULT_TEXT.replace("    zero_at: 30\n", "")
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(text)
    assert caught.value.line == line_of(text, "code: wish_speed")
    assert "zero_at" in caught.value.reason


def test_not_a_mapping() -> None:
    with pytest.raises(RulebookError) as caught:
        parse_rulebook("- just a list\n")
    assert caught.value.line == 1


# --- what-if ----------------------------------------------------------------------------
def some_county_history(county: str, scale: int) -> list:
    events = []
    for n in range(scale):
        vid = f"{county}-v{n}"
        events += [registered(vid, county), hours(vid, f"{vid}-h", "7.5")]
    for n in range(scale // 3):
        bid = f"{county}-b{n}"
        events += [established(bid, county), granted(bid, "standard" if n % 2 else "city_demo")]
    for n, theme in enumerate(["party_story", "grassroots_governance", "youth_cultivation"]):
        aid = f"{county}-a{n}"
        events += [published(aid, county, theme), completed(aid, 40 * scale, n == 0)]
    for n in range(3):
        wid = f"{county}-w{n}"
        events += [wish_posted(wid, county), wish_confirmed(wid, days=5 + 6 * n)]
    return events


def test_what_if_differs_exactly_where_the_rulebooks_differ() -> None:
    counties = {"320902": (30, Baseline(5200, 136)), "320971": (9, Baseline(620, 14)),
                "320921": (15, Baseline(2600, 68))}
    events = [e for code, (scale, _) in counties.items() for e in some_county_history(code, scale)]
    facts = fold_all(events)
    baselines = {code: base for code, (_, base) in counties.items()}
    base = parse_rulebook(DEFAULT_TEXT)
    # Another version: service hours count for full points at 5 per 100 instead of 200, and
    # the wish median must be at most 3 days (was 7).
    other_text = (DEFAULT_TEXT.replace('version: "2026.1"', 'version: "2026.2"')
                  .replace("    weight: 15\n    target: 200", "    weight: 15\n    target: 5")
                  .replace("    target: 7\n", "    target: 3\n"))
    other = parse_rulebook(other_text)
    changed = {"service_hours", "wish_speed"}

    left, right = score(facts, baselines, base), score(facts, baselines, other)
    deltas = compare(left, right)

    assert deltas, "the two rulebooks must give different points somewhere"
    assert {code for per_county in deltas.values() for code in per_county} <= changed
    assert {code for per_county in deltas.values() for code in per_county} == changed
    by_county = {s.county_code: s for s in right}
    for s in left:
        for row in s.rows:
            twin = by_county[s.county_code].row(row.code)
            if row.code not in changed:
                assert twin == row
            assert twin.raw == row.raw and twin.normalised == row.normalised
        delta = sum(deltas.get(s.county_code, {}).values(), Decimal(0))
        assert by_county[s.county_code].total - s.total == delta


def test_the_same_facts_and_rulebook_give_the_same_ranking() -> None:
    events = some_county_history("320902", 12) + some_county_history("320903", 12)
    baselines = {"320902": Baseline(5200, 136), "320903": Baseline(4300, 118)}
    rulebook = parse_rulebook(DEFAULT_TEXT)
    assert score(fold_all(events), baselines, rulebook) == score(
        fold_all(events), baselines, rulebook)


# --- branch and volunteer sections ---------------------------------------------------------
def test_the_default_rulebook_ranks_branches_and_volunteers() -> None:
    rulebook = load_rulebook(default_rulebook_path())
    assert sum(i.weight for i in rulebook.branch_indicators) == 100
    assert sum(i.weight for i in rulebook.volunteer_indicators) == 100
    assert {i.normalisation for i in rulebook.branch_indicators} <= {"none", "share"}


def test_a_volunteer_indicator_with_a_county_measure_names_its_line() -> None:
    text = DEFAULT_TEXT.replace("measure: activities_served", "measure: audience_reached")
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(text, "2026.yaml")
    # the county section's audience_reached is fine; the volunteer section's is not
    assert caught.value.line == line_of(text, "measure: audience_reached", occurrence=2)
    assert "volunteer_indicators.1.measure" in caught.value.reason
    assert str(caught.value).startswith(f"2026.yaml line {caught.value.line}: ")


def test_branch_weights_that_do_not_sum_to_100_name_the_sections_line() -> None:
    text = DEFAULT_TEXT.replace("    weight: 30\n", "    weight: 29\n")
    assert text != DEFAULT_TEXT
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(text)
    assert caught.value.line == line_of(text, "branch_indicators:")
    assert "99" in caught.value.reason and "branch_indicators" in caught.value.reason


def test_a_branch_indicator_cannot_use_a_county_baseline() -> None:
    text = DEFAULT_TEXT.replace("measure: member_hours\n    normalisation: none",
                                "measure: member_hours\n    normalisation: per_formal_branch")
    assert text != DEFAULT_TEXT
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(text)
    assert caught.value.line == line_of(text, "normalisation: per_formal_branch", occurrence=2)
    assert "branch_indicators.2.normalisation" in caught.value.reason


def test_branch_certification_points_need_level_weights() -> None:
    text = DEFAULT_TEXT.replace(
        "    level_weights: {standard: 1, county_demo: 2, city_demo: 3, province_demo: 4}\n", "")
    assert text != DEFAULT_TEXT
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(text)
    assert caught.value.line == line_of(text, "code: branch_certification")
    assert "level_weights" in caught.value.reason


def test_an_empty_volunteer_section_is_refused() -> None:
    text = DEFAULT_TEXT[:DEFAULT_TEXT.index("volunteer_indicators:")] + "volunteer_indicators: []\n"
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(text)
    assert caught.value.line == line_of(text, "volunteer_indicators: []")


def test_a_rulebook_without_the_sections_ranks_counties_only() -> None:
    text = DEFAULT_TEXT[:DEFAULT_TEXT.index("# Rankings within a county")]
    rulebook = parse_rulebook(text)
    assert rulebook.branch_indicators == () and rulebook.volunteer_indicators == ()
    state = ScoringState(CITY_CLOCK).apply_all([registered("rs-v1", "320971")])

    for kind, plural in (("branch", "branches"), ("volunteer", "volunteers")):
        with pytest.raises(ValidationFailed) as caught:
            entity_scores(state, kind, "320971", rulebook)
        assert caught.value.errors == {
            "rulebook": [f"rulebook {rulebook.version} ranks no {plural}"]}
    assert len(score(fold_all([]), {"320971": Baseline(620, 14)}, rulebook)) == 1

"""The city agencies' (市直单位) ranking: beside the counties', under the rulebook's agency
section, divided by each agency's own baselines, reproducible whatever the event order."""
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st
from scoring_builders import (
    completed,
    established,
    fresh_state,
    granted,
    hours,
    published,
    registered,
)

from services.scoring import agency_queries, queries
from services.scoring.domain.baselines import Figures, YearBaselines
from services.scoring.domain.rulebook import default_rulebook_path, load_rulebook
from services.scoring.domain.state import SourceEvent
from services.scoring.engine.baselines import city_file_figures
from yinfa.errors import NotFound, ValidationFailed
from yinfa.reference import load_city

RULEBOOK = load_rulebook(default_rulebook_path())
BASELINES = city_file_figures(2026)
EDUCATION, POLICE = "3209A03", "3209A05"  # 市教育局 (640 retired cadres), 市公安局 (460)
TINGHU = "320902"


def state_of(events: list[SourceEvent]):  # noqa: ANN201 - a test helper
    return fresh_state().apply_all(events)


def ranking(events: list[SourceEvent], baselines: YearBaselines = BASELINES) -> list[dict]:
    return agency_queries.agency_ranking(state_of(events), RULEBOOK, baselines)


def serving_agency(agency: str, volunteers: int, each_hours: str = "10") -> list[SourceEvent]:
    events = []
    for n in range(volunteers):
        vid = f"{agency}-v{n}"
        events += [registered(vid, agency), hours(vid, f"{vid}-h", each_hours)]
    return events


def test_every_agency_of_the_city_is_ranked_and_no_county():
    ranked = ranking([])

    assert {a["agency_code"] for a in ranked} == set(load_city().agencies)
    assert all(a["rank"] == 1 and a["total"] == "0.00" for a in ranked)


def test_an_agency_with_volunteers_who_serve_ranks_first_and_says_why():
    ranked = ranking(serving_agency(POLICE, 20))

    first = ranked[0]
    assert (first["agency_code"], first["agency_name"], first["rank"]) == (POLICE, "市公安局", 1)
    rows = {row["code"]: row for row in first["rows"]}
    assert rows["agency_volunteer_participation"]["raw"] == "20.0000"
    assert rows["agency_volunteer_participation"]["denominator"] == "460"
    assert sum(Decimal(row["points"]) for row in first["rows"]) == Decimal(first["total"])
    assert all(a["rank"] == 2 for a in ranked[1:])


def test_rates_are_per_head_so_a_smaller_agency_can_outrank_a_bigger_one():
    ranked = ranking(serving_agency(EDUCATION, 20) + serving_agency(POLICE, 20))

    assert [a["agency_code"] for a in ranked[:2]] == [POLICE, EDUCATION]
    assert Decimal(ranked[0]["total"]) > Decimal(ranked[1]["total"])


def test_agency_facts_never_enter_the_county_ranking_nor_county_facts_the_agencies():
    events = serving_agency(POLICE, 5) + serving_agency(TINGHU, 5)
    state = state_of(events)

    counties = queries.county_ranking(state, RULEBOOK, BASELINES)
    agencies = agency_queries.agency_ranking(state, RULEBOOK, BASELINES)
    assert POLICE not in {c["county_code"] for c in counties}
    assert TINGHU not in {a["agency_code"] for a in agencies}
    tinghu = next(c for c in counties if c["county_code"] == TINGHU)
    assert tinghu["rank"] == 1


def test_branches_and_activities_of_an_agency_count_for_it():
    events = [established("b1", EDUCATION), granted("b1", "city_demo"),
              published("a1", EDUCATION, "youth"), completed("a1", 300, endorsed=True)]

    explained = agency_queries.explain_agency(state_of(events), EDUCATION, RULEBOOK, BASELINES)

    rows = {row["code"]: row for row in explained["rows"]}
    assert rows["agency_certification_coverage"]["raw"] == "1.0000"
    assert rows["agency_demonstration_branches"]["raw"] == "3.0000"
    assert rows["agency_theme_coverage"]["raw"] == "1.0000"
    assert rows["agency_endorsements"]["points"] == "6.00"
    assert explained["rulebook"] == RULEBOOK.version


def test_an_agency_is_divided_by_its_own_years_figures():
    smaller = YearBaselines(2026, {"counties": BASELINES.counties,
                                   "agencies": {**BASELINES.agencies,
                                                POLICE: Figures(200, 10)}})
    events = serving_agency(POLICE, 10)

    before = ranking(events)[0]["rows"]
    after = ranking(events, smaller)[0]["rows"]
    participation = [next(r for r in rows if r["code"] == "agency_volunteer_participation")
                     for rows in (before, after)]
    assert [p["denominator"] for p in participation] == ["460", "200"]


def test_an_unknown_agency_is_not_found_and_a_county_is_no_agency():
    with pytest.raises(NotFound):
        agency_queries.explain_agency(state_of([]), "3209A99", RULEBOOK, BASELINES)
    with pytest.raises(NotFound):
        agency_queries.explain_agency(state_of([]), TINGHU, RULEBOOK, BASELINES)


def test_a_rulebook_without_an_agency_section_ranks_no_agencies():
    without = replace(RULEBOOK, agency_indicators=())
    with pytest.raises(ValidationFailed) as refused:
        agency_queries.agency_ranking(state_of([]), without, BASELINES)
    assert "ranks no agencies" in str(refused.value.errors)


def test_the_evidence_of_an_agency_row_names_the_events_behind_it():
    events = serving_agency(POLICE, 2)

    answer = queries.evidence(state_of(events), "agency", POLICE,
                              "agency_volunteer_participation", RULEBOOK, None, 50)

    registrations = {e.event_id for e in events if e.type == "VolunteerRegistered"}
    assert set(answer["event_ids"]) == registrations


AGENCIES = sorted(load_city().agencies)


@st.composite
def histories(draw: st.DrawFn) -> list[SourceEvent]:
    events: list[SourceEvent] = []
    for n in range(draw(st.integers(0, 12))):
        unit = draw(st.sampled_from([*AGENCIES, TINGHU]))
        vid = f"p{n}"
        events.append(registered(vid, unit))
        if draw(st.booleans()):
            events.append(hours(vid, f"{vid}-h", str(draw(st.integers(1, 40)))))
    return events


@settings(max_examples=40, deadline=None)
@given(histories(), st.randoms(use_true_random=False))
def test_the_agency_ranking_is_the_same_in_any_order_and_with_duplicates(events, rnd):
    shuffled = events + events[: len(events) // 2]
    rnd.shuffle(shuffled)

    assert ranking(shuffled) == ranking(events)


@settings(max_examples=40, deadline=None)
@given(histories())
def test_ranks_are_competition_ranks_by_total(events):
    ranked = ranking(events)

    totals = [Decimal(a["total"]) for a in ranked]
    assert totals == sorted(totals, reverse=True)
    for position, agency in enumerate(ranked, start=1):
        ahead = sum(1 for t in totals if t > Decimal(agency["total"]))
        assert agency["rank"] == ahead + 1 <= position

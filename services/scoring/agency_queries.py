"""Reads of the city agencies' (市直单位) ranking: the agencies ranked beside the counties
under the rulebook's `agency_indicators`, each agency's score explained.

An agency is an assessed unit like a county: its volunteers, branches and activities
carry its code where a county's carry theirs, so the fold keeps its facts the same way;
only the indicators and the baselines (the year's `agencies` figures) are its own.
"""
from __future__ import annotations

from typing import Any

from services.scoring.domain.baselines import YearBaselines
from services.scoring.domain.facts import CountyFacts, county_facts
from services.scoring.domain.ranking import CountyScore, IndicatorRow, indicator_rows, score
from services.scoring.domain.rulebook import Indicator, Rulebook
from services.scoring.domain.state import ScoringState
from services.scoring.queries import row_dict
from yinfa.errors import NotFound, ValidationFailed
from yinfa.reference import load_city


def agency_indicators(rulebook: Rulebook) -> tuple[Indicator, ...]:
    if not rulebook.agency_indicators:
        raise ValidationFailed({"rulebook": [f"rulebook {rulebook.version} ranks no agencies"]})
    return rulebook.agency_indicators


def agency_scores(state: ScoringState, rulebook: Rulebook, baselines: YearBaselines
                  ) -> list[CountyScore]:
    """Every agency of the city with figures for the period's year, best first."""
    indicators = agency_indicators(rulebook)
    agencies = load_city().agencies
    figures = {code: f for code, f in baselines.agencies.items() if code in agencies}
    facts = {code: f for code, f in county_facts(state).items() if code in figures}

    def rows_of(code: str, unit_facts: CountyFacts) -> tuple[IndicatorRow, ...]:
        return indicator_rows(indicators,
                              lambda weights: unit_facts.measures(rulebook.period, weights),
                              figures[code])

    return score(facts, figures, rulebook, rows_of)


def agency_dict(s: CountyScore) -> dict[str, Any]:
    return {"rank": s.rank, "agency_code": s.county_code,
            "agency_name": load_city().agencies[s.county_code].name,
            "total": str(s.total), "rows": [row_dict(r) for r in s.rows]}


def agency_ranking(state: ScoringState, rulebook: Rulebook, baselines: YearBaselines
                   ) -> list[dict[str, Any]]:
    return [{**agency_dict(s), "rulebook": rulebook.version}
            for s in agency_scores(state, rulebook, baselines)]


def known_agency(agency_code: Any) -> str:
    code = str(agency_code)
    if code not in load_city().agencies:
        raise NotFound(f"no city agency {code!r}", field="agency_code")
    return code


def known_unit(unit_code: Any) -> str:
    """A county's or an agency's code: the branches and volunteers of either are ranked
    among their unit's own."""
    code = str(unit_code)
    if code not in load_city().units:
        raise NotFound(f"no county or city agency {code!r}", field="county_code")
    return code


def explain_agency(state: ScoringState, agency_code: Any, rulebook: Rulebook,
                   baselines: YearBaselines) -> dict[str, Any]:
    code = known_agency(agency_code)
    for s in agency_scores(state, rulebook, baselines):
        if s.county_code == code:
            return {"rulebook": rulebook.version, **agency_dict(s)}
    raise NotFound(f"no figures for the agency {code!r} in {rulebook.period.start.year}",
                   field="agency_code")

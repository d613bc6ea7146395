"""Reads over a scoring state: the county ranking, the rankings within a county, the
explanation of any county, branch or volunteer, the events behind a row, what-if."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.scoring.domain import evidence as evidence_domain
from services.scoring.domain.baselines import YearBaselines
from services.scoring.domain.entities import branches_of, volunteers_of
from services.scoring.domain.facts import county_facts
from services.scoring.domain.ranking import (
    CountyScore,
    EntityScore,
    IndicatorRow,
    compare,
    explain as explain_rows,
    score,
    score_entities,
)
from services.scoring.domain.rulebook import Indicator, Rulebook
from services.scoring.domain.state import ScoringState
from services.scoring.engine.baselines import Baselines
from yinfa.errors import NotFound, ValidationFailed
from yinfa.reference import City, load_city

MAX_PAGE = 500


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def row_dict(row: IndicatorRow) -> dict[str, Any]:
    return {
        "code": row.code, "label": row.label, "measure": row.measure,
        "raw": _num(row.raw), "denominator": _num(row.denominator),
        "normalised": _num(row.normalised), "target": _num(row.target),
        "weight": _num(row.weight), "points": _num(row.points),
    }


def score_dict(s: CountyScore, city: City) -> dict[str, Any]:
    return {
        "rank": s.rank, "county_code": s.county_code,
        "county_name": city.counties[s.county_code].name,
        "total": str(s.total), "rows": [row_dict(r) for r in s.rows],
    }


def entity_dict(s: EntityScore, id_field: str) -> dict[str, Any]:
    return {"rank": s.rank, id_field: s.entity_id, "name": s.name, "total": str(s.total),
            "rows": [row_dict(r) for r in s.rows]}


# a county's rows, by (state, county, its version, rulebook, baselines): recomputed only
# for the counties an event touched since
_rows_cache: dict[tuple[int, str, int, str, Any, str], tuple[IndicatorRow, ...]] = {}
ROWS_CACHE_SIZE = 2000


def county_scores(state: ScoringState, rulebook: Rulebook, baselines: YearBaselines
                  ) -> list[CountyScore]:
    """Every county, ranked under `rulebook` by the figures of the period's year."""
    city = load_city()
    figures = baselines.counties
    # facts placed in a county outside the reference data cannot be scored: left out
    # (intake refuses such events, so this only guards the fold of an old journal)
    known = {code: f for code, f in county_facts(state).items() if code in figures}
    fingerprint = baselines.fingerprint

    def rows_of(code: str, facts: Any) -> tuple[IndicatorRow, ...]:
        key = (state.generation, code, state.county_versions.get(code, 0), rulebook.version,
               rulebook.period, fingerprint)
        rows = _rows_cache.get(key)
        if rows is None:
            if len(_rows_cache) >= ROWS_CACHE_SIZE:
                _rows_cache.clear()
            rows = _rows_cache[key] = explain_rows(facts, figures[code], rulebook)
        return rows

    scored = {code: f for code, f in figures.items() if code in city.counties}
    return score(known, scored, rulebook, rows_of)


def county_ranking(state: ScoringState, rulebook: Rulebook,
                   baselines: YearBaselines | None = None) -> list[dict[str, Any]]:
    """The county ranking; by default under the figures on file for the period's year."""
    city = load_city()
    if baselines is None:
        baselines = Baselines().for_year(rulebook.period.start.year, lambda year: None)
    return [{**score_dict(s, city), "rulebook": rulebook.version}
            for s in county_scores(state, rulebook, baselines)]


def known_county(county_code: Any) -> str:
    code = str(county_code)
    if code not in load_city().counties:
        raise NotFound(f"no county {code!r}", field="county_code")
    return code


def explain(state: ScoringState, county_code: Any, rulebook: Rulebook,
            baselines: YearBaselines) -> dict[str, Any]:
    code = known_county(county_code)
    for s in county_scores(state, rulebook, baselines):
        if s.county_code == code:
            return {"rulebook": rulebook.version, **score_dict(s, load_city())}
    raise NotFound(f"no county {code!r}", field="county_code")  # pragma: no cover


# ---- within a county ---------------------------------------------------------------------

ENTITIES = {
    "branch": ("branch_id", "branch_indicators", branches_of),
    "volunteer": ("volunteer_id", "volunteer_indicators", volunteers_of),
}


def _indicators(rulebook: Rulebook, kind: str) -> tuple[Indicator, ...]:
    indicators: tuple[Indicator, ...] = getattr(rulebook, ENTITIES[kind][1])
    if not indicators:
        raise ValidationFailed({"rulebook": [f"rulebook {rulebook.version} ranks no {kind}es"
                                             if kind == "branch" else
                                             f"rulebook {rulebook.version} ranks no {kind}s"]})
    return indicators


def entity_scores(state: ScoringState, kind: str, county_code: str, rulebook: Rulebook
                  ) -> list[EntityScore]:
    indicators = _indicators(rulebook, kind)
    entities = ENTITIES[kind][2](state, county_code, rulebook.period)
    return score_entities(entities, indicators)


def paging(limit: Any, offset: Any) -> tuple[int, int]:
    try:
        limit_n, offset_n = int(limit), int(offset)
    except (TypeError, ValueError):
        raise ValidationFailed({"limit": ["whole numbers"], "offset": ["whole numbers"]}) from None
    errors = {}
    if not 1 <= limit_n <= MAX_PAGE:
        errors["limit"] = [f"from 1 to {MAX_PAGE}"]
    if offset_n < 0:
        errors["offset"] = ["0 or more"]
    if errors:
        raise ValidationFailed(errors)
    return limit_n, offset_n


def entity_items(scores: list[EntityScore], kind: str) -> list[dict[str, Any]]:
    """Every ranked entity in its answer form, built once per state (and cached)."""
    id_field = ENTITIES[kind][0]
    return [entity_dict(s, id_field) for s in scores]


def entity_ranking(items: list[dict[str, Any]], county_code: str, rulebook: Rulebook,
                   limit: int, offset: int) -> dict[str, Any]:
    return {"county_code": county_code, "rulebook": rulebook.version, "total": len(items),
            "items": items[offset:offset + limit]}


def county_of(state: ScoringState, kind: str, entity_id: str) -> str:
    register = state.register(kind, str(entity_id))
    county = register.get("county") if register is not None else None
    if county is None:
        raise NotFound(f"no {kind} {entity_id!r} known to scoring", field=f"{kind}_id")
    return str(county)


def explain_entity(scores: list[EntityScore], kind: str, entity_id: str, county_code: str,
                   rulebook: Rulebook) -> dict[str, Any]:
    for s in scores:
        if s.entity_id == entity_id:
            return {"rulebook": rulebook.version, "county_code": county_code,
                    **entity_dict(s, ENTITIES[kind][0])}
    raise NotFound(f"{kind} {entity_id!r} is not ranked (withdrawn or dissolved)",
                   field=f"{kind}_id")


# ---- evidence ------------------------------------------------------------------------------

def evidence(state: ScoringState, subject: str, subject_id: str, indicator_code: str,
             rulebook: Rulebook, after: str | None, limit: int) -> dict[str, Any]:
    if subject not in evidence_domain.SUBJECTS:
        raise ValidationFailed({"subject": [f"one of {', '.join(evidence_domain.SUBJECTS)}"]})
    section = {"county": rulebook.indicators, "agency": rulebook.agency_indicators,
               "branch": rulebook.branch_indicators,
               "volunteer": rulebook.volunteer_indicators}[subject]
    indicator = next((i for i in section if i.code == indicator_code), None)
    if indicator is None:
        raise NotFound(f"rulebook {rulebook.version} has no {subject} indicator "
                       f"{indicator_code!r}", field="indicator")
    if subject == "county":
        known_county(subject_id)
    elif subject == "agency":
        if str(subject_id) not in load_city().agencies:
            raise NotFound(f"no city agency {subject_id!r}", field="subject_id")
    else:
        county_of(state, subject, subject_id)
    ids = evidence_domain.event_ids(state, subject, str(subject_id), indicator.measure,
                                    rulebook.period)
    chunk, next_cursor = evidence_domain.page(ids, after, limit)
    return {"subject": subject, "subject_id": str(subject_id), "indicator": indicator.code,
            "rulebook": rulebook.version, "total": len(ids), "event_ids": chunk,
            "next": next_cursor}


# ---- what-if -------------------------------------------------------------------------------

def what_if(state: ScoringState, left: Rulebook, right: Rulebook,
            baselines: tuple[YearBaselines, YearBaselines]) -> dict[str, dict[str, str]]:
    """Per county, per indicator: points under `right` minus under `left` (non-zero only)."""
    deltas = compare(county_scores(state, left, baselines[0]),
                     county_scores(state, right, baselines[1]))
    return {county: {code: str(d) for code, d in rows.items()} for county, rows in deltas.items()}


def side_by_side(state: ScoringState, left: Rulebook, right: Rulebook,
                 baselines: tuple[YearBaselines, YearBaselines]) -> dict[str, Any]:
    """Both rankings of the same events, county by county, with rank and total deltas."""
    city = load_city()
    a = {s.county_code: s for s in county_scores(state, left, baselines[0])}
    b = {s.county_code: s for s in county_scores(state, right, baselines[1])}
    deltas = compare(list(a.values()), list(b.values()))
    counties = []
    for code in sorted(a, key=lambda c: (b[c].rank, c)):
        counties.append({
            "county_code": code, "county_name": city.counties[code].name,
            "left": {"rank": a[code].rank, "total": str(a[code].total)},
            "right": {"rank": b[code].rank, "total": str(b[code].total)},
            "rank_change": a[code].rank - b[code].rank,
            "total_delta": str(b[code].total - a[code].total),
            "indicator_deltas": {k: str(v) for k, v in deltas.get(code, {}).items()},
        })
    return {"left": left.version, "right": right.version, "counties": counties}


def timeline(rulebooks: list[tuple[str, Rulebook]], default: str,
             span: dict[str, str | None]) -> dict[str, Any]:
    return {"default_rulebook": default,
            "rulebooks": [{"name": name, "version": book.version, "title": book.title,
                           "period_start": book.period.start.isoformat(),
                           "period_end": book.period.end.isoformat()}
                          for name, book in rulebooks],
            **span}


# ---- baselines -----------------------------------------------------------------------------

def baselines_answer(year: int, baselines: YearBaselines, frozen: bool) -> dict[str, Any]:
    """The figures of each assessed unit a year is ranked by, with their units' names."""
    city = load_city()
    names = {**{c: u.name for c, u in city.counties.items()},
             **{c: u.name for c, u in city.agencies.items()}}
    return {"year": year, "figures_year": baselines.year, "frozen": frozen,
            "units": {kind: [{"code": code, "name": names.get(code, code),
                              "retired_cadres": f.retired_cadres,
                              "party_branches": f.branches}
                             for code, f in sorted(units.items())]
                      for kind, units in sorted(baselines.units.items())}}

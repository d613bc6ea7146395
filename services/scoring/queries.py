"""Reads: rank the counties of the city under a rulebook, explain one county, what-if."""
from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from services.scoring.domain.facts import CountyFacts
from services.scoring.domain.ranking import CountyScore, IndicatorRow, compare, score
from services.scoring.domain.rulebook import (
    Rulebook,
    RulebookError,
    load_rulebook,
    period_for_year,
)
from yinfa.errors import NotFound, ValidationFailed
from yinfa.reference import City, load_city, reference_dir

DEFAULT_RULEBOOK = "2026"
RULEBOOK_NAME = re.compile(r"^[0-9A-Za-z_.-]{1,40}$")


def rulebook_path(name: str) -> Path:
    return reference_dir() / "rulebooks" / f"{name}.yaml"


@lru_cache(maxsize=16)
def _load(path: str, mtime: float) -> Rulebook:
    return load_rulebook(path)


def rulebook_named(name: str | None) -> Rulebook:
    """A rulebook of reference/rulebooks by its file name (default 2026)."""
    name = str(name or DEFAULT_RULEBOOK)
    path = rulebook_path(name)
    if not RULEBOOK_NAME.match(name) or name.startswith(".") or not path.is_file():
        raise NotFound(f"no rulebook {name!r}", field="rulebook")
    try:
        return _load(str(path), path.stat().st_mtime)
    except RulebookError as error:
        raise ValidationFailed({"rulebook": [str(error)]}) from error


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


def _scores(facts: dict[str, CountyFacts], rulebook: Rulebook, city: City
            ) -> list[CountyScore]:
    # facts of a county outside the city's reference data cannot be scored: left out
    known = {code: f for code, f in facts.items() if code in city.counties}
    return score(known, city.counties, rulebook)


def with_period(rulebook: Rulebook, period: Any) -> Rulebook:
    """`period`: a calendar year (2026 or "2026") replacing the rulebook's own period."""
    if period is None:
        return rulebook
    text = str(period)
    if not re.fullmatch(r"\d{4}", text):
        raise ValidationFailed({"period": ["a calendar year, e.g. 2026"]})
    return replace(rulebook, period=period_for_year(int(text)))


def county_ranking(facts: dict[str, CountyFacts], rulebook_name: str | None = None,
                   period: Any = None) -> list[dict[str, Any]]:
    rulebook, city = with_period(rulebook_named(rulebook_name), period), load_city()
    return [{**score_dict(s, city), "rulebook": rulebook.version}
            for s in _scores(facts, rulebook, city)]


def explain(facts: dict[str, CountyFacts], county_code: str,
            rulebook_name: str | None = None) -> dict[str, Any]:
    city = load_city()
    if county_code not in city.counties:
        raise NotFound(f"no county {county_code!r}", field="county_code")
    rulebook = rulebook_named(rulebook_name)
    for s in _scores(facts, rulebook, city):
        if s.county_code == county_code:
            return {"rulebook": rulebook.version, **score_dict(s, city)}
    raise NotFound(f"no county {county_code!r}", field="county_code")  # pragma: no cover


def what_if(facts: dict[str, CountyFacts], rulebook_a: str, rulebook_b: str
            ) -> dict[str, dict[str, str]]:
    city = load_city()
    left = _scores(facts, rulebook_named(rulebook_a), city)
    right = _scores(facts, rulebook_named(rulebook_b), city)
    return {county: {code: str(d) for code, d in deltas.items()}
            for county, deltas in compare(left, right).items()}

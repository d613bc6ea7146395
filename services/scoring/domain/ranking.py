"""Scoring counties under a rulebook, with an explanation row per indicator, and
competition ranking (ties share a rank: 1, 2, 2, 4).

Arithmetic is Decimal throughout; each indicator's points are rounded to 0.01 (half up)
and the total is the sum of the rounded points, so the explanation rows always add up to
the total shown and equal totals are ties, whatever the float quirks of a platform.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Generic, Protocol, TypeVar

from services.scoring.domain.entities import Entity
from services.scoring.domain.facts import CountyFacts, Measure
from services.scoring.domain.rulebook import Indicator, Rulebook

CENT = Decimal("0.01")
VALUE_PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)

T = TypeVar("T")


class Baseline(Protocol):
    """What scoring needs of a county's reference data (yinfa.reference.County fits)."""

    @property
    def retired_cadres(self) -> int: ...

    @property
    def branches(self) -> int: ...


class UnknownBaseline(Exception):
    pass


@dataclass(frozen=True)
class IndicatorRow:
    """indicator → raw value → normalised value → points."""

    code: str
    label: str
    measure: str
    raw: Decimal | None
    denominator: Decimal | None  # what raw was divided by (None: not normalised)
    normalised: Decimal | None
    target: Decimal
    weight: Decimal
    points: Decimal


@dataclass(frozen=True)
class CountyScore:
    county_code: str
    rank: int
    total: Decimal
    rows: tuple[IndicatorRow, ...]

    def row(self, code: str) -> IndicatorRow:
        for row in self.rows:
            if row.code == code:
                return row
        raise KeyError(code)


@dataclass(frozen=True)
class Ranked(Generic[T]):
    rank: int
    item: T


def rank_within(items: Iterable[T], key: Callable[[T], Any],
                tiebreak: Callable[[T], Any]) -> list[Ranked[T]]:
    """Competition ranking, highest key first (1, 2, 2, 4). Items with equal keys share a
    rank and are listed by `tiebreak` ascending, so the order never depends on the input's."""
    ordered = sorted(items, key=tiebreak)
    ordered.sort(key=key, reverse=True)  # stable: ties keep tiebreak order
    ranked: list[Ranked[T]] = []
    previous: Any = object()
    rank = 0
    for position, item in enumerate(ordered, start=1):
        value = key(item)
        if value != previous:
            rank, previous = position, value
        ranked.append(Ranked(rank, item))
    return ranked


def normalise(indicator: Indicator, measure: Measure, baseline: Baseline | None
              ) -> tuple[Decimal | None, Decimal | None]:
    """(denominator, normalised value); normalised None when there is nothing to divide."""
    raw = measure.value
    if raw is None:
        return None, None
    kind = indicator.normalisation
    if kind == "none":
        return None, raw
    if kind == "share":
        denominator = measure.denominator
        if not denominator:
            return denominator, None
        return denominator, raw / denominator
    if baseline is None:
        raise ValueError(f"{indicator.code}: {kind} needs a county baseline")
    if kind == "per_100_retired_cadres":
        denominator = Decimal(baseline.retired_cadres)
        return denominator, (raw * HUNDRED / denominator if denominator else None)
    if kind == "per_formal_branch":
        denominator = Decimal(baseline.branches)
        return denominator, (raw / denominator if denominator else None)
    raise ValueError(f"unknown normalisation {kind!r}")


def points(indicator: Indicator, normalised: Decimal | None) -> Decimal:
    if normalised is None:
        return Decimal("0.00")  # shown like every other row's points
    weight, target = indicator.weight, indicator.target
    if indicator.direction == "lower_is_better":
        zero_at = indicator.zero_at if indicator.zero_at is not None else target
        if normalised <= target:
            fraction = Decimal(1)
        elif normalised >= zero_at:
            fraction = Decimal(0)
        else:
            fraction = (zero_at - normalised) / (zero_at - target)
    else:
        fraction = min(normalised / target, Decimal(1)) if normalised > 0 else Decimal(0)
    return (weight * fraction).quantize(CENT, rounding=ROUND_HALF_UP)


def _q(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(VALUE_PLACES, rounding=ROUND_HALF_UP)


MeasuresFor = Callable[[Mapping[str, Decimal] | None], Mapping[str, Measure]]


def indicator_rows(indicators: Sequence[Indicator], measures_for: MeasuresFor,
                   baseline: Baseline | None) -> tuple[IndicatorRow, ...]:
    """One row per indicator; `measures_for(level_weights)` gives the subject's measures
    (level weights only matter to the level-points measures)."""
    rows = []
    cache: dict[tuple, Mapping[str, Measure]] = {}
    for indicator in indicators:
        weights = tuple(sorted((indicator.level_weights or {}).items()))
        if weights not in cache:
            cache[weights] = measures_for(indicator.level_weights)
        measure = cache[weights][indicator.measure]
        denominator, normalised = normalise(indicator, measure, baseline)
        rows.append(IndicatorRow(
            code=indicator.code, label=indicator.label, measure=indicator.measure,
            raw=_q(measure.value), denominator=denominator, normalised=_q(normalised),
            target=indicator.target, weight=indicator.weight,
            points=points(indicator, normalised)))
    return tuple(rows)


def explain(facts: CountyFacts, baseline: Baseline, rulebook: Rulebook) -> tuple[IndicatorRow, ...]:
    return indicator_rows(rulebook.indicators,
                          lambda weights: facts.measures(rulebook.period, weights), baseline)


@dataclass(frozen=True)
class EntityScore:
    """A branch or volunteer of one county, ranked among the county's others."""

    entity_id: str
    name: str
    rank: int
    total: Decimal
    rows: tuple[IndicatorRow, ...]


def score_entities(entities: Iterable[Entity], indicators: Sequence[Indicator]
                   ) -> list[EntityScore]:
    scored = []
    for entity in entities:
        rows = indicator_rows(indicators, entity.measures_for, None)
        scored.append((entity, sum((r.points for r in rows), Decimal(0)), rows))
    ranked = rank_within(scored, key=lambda s: s[1], tiebreak=lambda s: s[0].entity_id)
    return [EntityScore(r.item[0].entity_id, r.item[0].name, r.rank, r.item[1], r.item[2])
            for r in ranked]


def score(facts_by_county: Mapping[str, CountyFacts], baselines: Mapping[str, Baseline],
          rulebook: Rulebook,
          rows_of: Callable[[str, CountyFacts], tuple[IndicatorRow, ...]] | None = None
          ) -> list[CountyScore]:
    """Every county of `baselines` is scored (one with no facts scores what empty facts
    score); facts for a county missing from the baselines raise `UnknownBaseline`.
    `rows_of(code, facts)` may answer a county's rows from a cache."""
    unknown = sorted(set(facts_by_county) - set(baselines))
    if unknown:
        raise UnknownBaseline(f"facts for counties without a baseline: {', '.join(unknown)}")

    def computed(code: str, facts: CountyFacts) -> tuple[IndicatorRow, ...]:
        return explain(facts, baselines[code], rulebook)

    rows_for = rows_of or computed
    scored: list[tuple[str, Decimal, tuple[IndicatorRow, ...]]] = []
    for code in sorted(baselines):
        rows = rows_for(code, facts_by_county.get(code) or CountyFacts(code))
        scored.append((code, sum((r.points for r in rows), Decimal(0)), rows))
    ranked = rank_within(scored, key=lambda s: s[1], tiebreak=lambda s: s[0])
    return [CountyScore(r.item[0], r.rank, r.item[1], r.item[2]) for r in ranked]


def compare(left: Sequence[CountyScore], right: Sequence[CountyScore]
            ) -> dict[str, dict[str, Decimal]]:
    """What-if deltas: per county, per indicator code, right points minus left points
    (indicators present in only one rulebook count 0 in the other); only non-zero deltas."""
    def by_code(scores: Sequence[CountyScore]) -> dict[str, dict[str, Decimal]]:
        return {s.county_code: {r.code: r.points for r in s.rows} for s in scores}

    a, b = by_code(left), by_code(right)
    deltas: dict[str, dict[str, Decimal]] = {}
    for county in sorted(set(a) | set(b)):
        rows_a, rows_b = a.get(county, {}), b.get(county, {})
        changed = {code: rows_b.get(code, Decimal(0)) - rows_a.get(code, Decimal(0))
                   for code in sorted(set(rows_a) | set(rows_b))}
        changed = {code: d for code, d in changed.items() if d}
        if changed:
            deltas[county] = changed
    return deltas

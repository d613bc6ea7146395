"""What scoring knows of a county: its facts (keyed by the id of what each is about) and the
measures derived from them for a period. Kept up to date by the fold (state.py)."""
from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# Branch types that count as 建制性 (formal) branches; see reference/branches.yaml.
FORMAL_BRANCH_TYPES = frozenset({"formal"})
CERTIFIED_STRUCTURE = "branch"  # 支部: 党总支 and 党工委 are not certified
# Certification levels, lowest first; 达标 and everything above it count as certified.
CERTIFIED_LEVELS = ("standard", "county_demo", "city_demo", "province_demo")

SECONDS_PER_DAY = Decimal(86400)


@dataclass(frozen=True)
class Period:
    """Half-open interval of dates [start, end)."""

    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day < self.end


@dataclass(frozen=True)
class Measure:
    """A raw value and, for shares, its denominator. `value` None: nothing to measure."""

    value: Decimal | None
    denominator: Decimal | None = None


@dataclass
class CountyFacts:
    county_code: str
    # volunteer id -> still registered (False once withdrawn)
    volunteers: dict[str, bool] = field(default_factory=dict)
    # volunteer id -> the days they belonged to the county, [start, end) each (None: open);
    # only for a volunteer ever transferred (the others belong to it on every day)
    volunteer_spans: dict[str, tuple[tuple[date | None, date | None], ...]] = field(
        default_factory=dict)
    # ledger entry id -> (volunteer id, hours, served on)
    hour_entries: dict[str, tuple[str, Decimal, date]] = field(default_factory=dict)
    # branch id -> formal and still alive (False once dissolved or merged away)
    formal_branches: dict[str, bool] = field(default_factory=dict)
    # branch id -> certification level held now (None once revoked or expired)
    certifications: dict[str, str | None] = field(default_factory=dict)
    # activity id -> (theme, day it starts)
    activities: dict[str, tuple[str, date]] = field(default_factory=dict)
    completed: set[str] = field(default_factory=set)
    audience: dict[str, int] = field(default_factory=dict)
    endorsed: dict[str, bool] = field(default_factory=dict)
    # wish id -> (seconds from posting to confirmation, day confirmed)
    wishes_fulfilled: dict[str, tuple[int, date]] = field(default_factory=dict)
    # report id -> (kind, the year it is for, submitted by its due date)
    reports: dict[str, tuple[str, int, bool]] = field(default_factory=dict)

    # --- derived measures -------------------------------------------------------------
    def belongs_at_end(self, volunteer_id: str, period: Period) -> bool:
        """A volunteer counts in the county they belong to on the period's last day."""
        spans = self.volunteer_spans.get(volunteer_id)
        if spans is None:
            return True
        end = period.end  # the last day is end - 1: a span holds it if it starts before end
        return any((start is None or start < end) and (until is None or until >= end)
                   for start, until in spans)

    def alive_formal_branches(self) -> set[str]:
        return {b for b, alive in self.formal_branches.items() if alive}

    def level_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(CERTIFIED_LEVELS, 0)
        for branch_id in self.alive_formal_branches():
            level = self.certifications.get(branch_id)
            if level in counts:
                counts[level] += 1
        return counts

    def measures(self, period: Period, level_weights: Mapping[str, Decimal] | None = None
                 ) -> dict[str, Measure]:
        formal = self.alive_formal_branches()
        certified = sum(1 for b in formal if self.certifications.get(b) in CERTIFIED_LEVELS)
        counts = self.level_counts()
        weights = level_weights or {}
        demo_points = sum((Decimal(weights.get(level, 0)) * n for level, n in counts.items()),
                          Decimal(0))
        registered = {v for v, on in self.volunteers.items()
                      if on and self.belongs_at_end(v, period)}
        in_period = [(v, h) for v, h, day in self.hour_entries.values() if day in period]
        active = {v for v, h in in_period if h > 0 and v in registered}
        hours = sum((h for _, h in in_period), Decimal(0))
        done = [a for a in self.completed if a in self.activities
                and self.activities[a][1] in period]
        themes = {self.activities[a][0] for a in done}
        audience = sum(self.audience.get(a, 0) for a in done)
        endorsements = sum(1 for a in done if self.endorsed.get(a))
        wish_seconds = [s for s, day in self.wishes_fulfilled.values() if day in period]
        median_days = (Decimal(str(statistics.median(wish_seconds))) / SECONDS_PER_DAY
                       if wish_seconds else None)
        # the kinds of report for the period's year that came in by their due date
        on_time = {kind for kind, year, in_time in self.reports.values()
                   if in_time and date(year, 1, 1) in period}
        return {
            "formal_branches_certified": Measure(Decimal(certified), Decimal(len(formal))),
            "demonstration_points": Measure(demo_points),
            "volunteers_registered": Measure(Decimal(len(registered))),
            "volunteers_active": Measure(Decimal(len(active)), Decimal(len(registered))),
            "service_hours": Measure(hours),
            "themes_covered": Measure(Decimal(len(themes))),
            "audience_reached": Measure(Decimal(audience)),
            "wishes_fulfilled": Measure(Decimal(len(wish_seconds))),
            "median_days_to_fulfil": Measure(median_days),
            "endorsements": Measure(Decimal(endorsements)),
            "reports_on_time": Measure(Decimal(len(on_time))),
        }


MEASURES = frozenset({
    "formal_branches_certified", "demonstration_points", "volunteers_registered",
    "volunteers_active", "service_hours", "themes_covered", "audience_reached",
    "wishes_fulfilled", "median_days_to_fulfil", "endorsements", "reports_on_time",
})

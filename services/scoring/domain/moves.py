"""A volunteer's county over time, from their transfers between counties.

A transfer takes effect on the city's calendar day of its release: hours served before
that day count where the volunteer was, hours served on it or after where they went.
The volunteer is counted, for a period, in the county they belong to on its last day.
Built from the transfers known so far, in the order of the volunteer's stream (not of
their instants, which several replicas' clocks write), so any delivery order ends in the
same history."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from services.scoring.domain.county import Period


@dataclass(frozen=True)
class Move:
    order: int  # its version on the volunteer's stream
    day: date  # the city's calendar day of its release
    from_county: str
    to_county: str


@dataclass(frozen=True)
class Span:
    """[start, end) of days in one county; None: open on that side."""

    county: str
    start: date | None
    end: date | None

    def __contains__(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)


def history(moves: Iterable[Move]) -> list[Span]:
    """The spans of a volunteer with at least one move. A span no day falls in (two moves
    on one day) is kept: the county it names holds none of the volunteer's days."""
    ordered = sorted(moves, key=lambda m: m.order)
    spans, start, county = [], None, ordered[0].from_county
    for move in ordered:
        spans.append(Span(county, start, move.day))
        start, county = move.day, move.to_county
    spans.append(Span(county, start, None))
    return spans


def county_on(spans: list[Span], day: date) -> str:
    # releases dated out of order (clocks of two replicas) may leave a day in no span
    return next((s.county for s in spans if day in s), spans[-1].county)


def last_day(period: Period) -> date:
    return period.end - timedelta(days=1)

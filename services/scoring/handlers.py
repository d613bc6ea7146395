"""The scoring service's one command: closing a period publishes its frozen ranking."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from contracts.scoring import assessments
from services.scoring import agency_queries, queries
from services.scoring.dependencies import Engine
from services.scoring.domain.baselines import YearBaselines, as_data, from_data
from services.scoring.domain.commands import ClosePeriod
from yinfa.errors import AlreadyExists, ConcurrencyError
from yinfa.events.envelope import NewEvent
from yinfa.service.commands import CommandTable
from yinfa.service.dependencies import EventSourcedStreams


def close_period(streams: EventSourcedStreams, command: ClosePeriod,
                 engine: Engine) -> dict[str, Any]:
    """Freeze the period's county (and agency) ranking and publish it as
    `AssessmentPublished`, once."""
    period = command.period
    name, book = engine.rulebooks.for_period(command.rulebook, period)
    baselines = engine.baselines.for_year(book.period.start.year,
                                          lambda year: published_baselines(streams, year))
    state = engine.state()
    counties = queries.county_ranking(state, book, baselines)
    agencies = (agency_queries.agency_ranking(state, book, baselines)
                if book.agency_indicators else None)
    for unit in [*counties, *(agencies or [])]:
        unit.pop("rulebook", None)
    data = {
        "period": period, "rulebook": name, "rulebook_version": book.version,
        "journal_position": engine.live.position,
        "taken_at": datetime.now(UTC).isoformat(),
        "published_by": streams.metadata.actor, "counties": counties, "agencies": agencies,
        # the figures it was ranked by: the year is frozen to them from now on
        "baselines": as_data(baselines),
    }
    try:
        recorded = streams.start(assessments.stream_of(period), [
            NewEvent(type=assessments.ASSESSMENT_PUBLISHED, data=data)])
    except ConcurrencyError:
        raise AlreadyExists(f"the assessment of {period} is published already",
                            field="period") from None
    engine.baselines.published_now(book.period.start.year, baselines)
    return assessments.as_answer(dict(recorded[0].data), recorded[0].position)


def published_baselines(streams: EventSourcedStreams, year: int) -> YearBaselines | None:
    """The figures the year's published assessment was ranked by (None: not published, or
    published before assessments recorded them)."""
    events = streams.store.read_stream(assessments.stream_of(str(year)))
    data = events[0].data.get("baselines") if events else None
    return from_data(data) if data else None


COMMANDS = CommandTable(assessments, {ClosePeriod: close_period})

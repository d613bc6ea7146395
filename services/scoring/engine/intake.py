"""What scoring accepts from the other services, checked before anything is kept.

A source event must name a type its source service defines, at a schema version scoring
can read (an older one is upcast; a newer one is refused), with a payload that passes the
source's own schema, and any `county_code` it carries must be an assessed unit of the city
(a county, or a city agency: its events carry the agency's code there).
Anything else is poison: the caller dead-letters it with the reason given here.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from marshmallow import ValidationError

from contracts.activities.streams import build_registry as activities_registry
from contracts.branches.streams import build_registry as branches_registry
from contracts.scoring import assessments, reports
from contracts.volunteers.streams import build_registry as volunteers_registry
from services.scoring.domain.state import SUBSCRIBED, SourceEvent, UnknownCounty
from yinfa.events.envelope import RecordedEvent
from yinfa.events.registry import SchemaRegistry
from yinfa.reference import load_city

SOURCES: dict[str, SchemaRegistry] = {
    "volunteers": volunteers_registry(),
    "branches": branches_registry(),
    "activities": activities_registry(),
    # scoring follows its own log too: the reports units submit (on-time indicator)
    "scoring": reports.register(assessments.build_registry()),
}


@lru_cache(maxsize=1)
def city_units() -> frozenset[str]:
    """The codes of the city's counties and agencies (reference data, read once per
    process)."""
    return frozenset(load_city().units)


class Refused(Exception):
    """A source event scoring will not keep; the message says why."""


def registry_of(event_type: str) -> SchemaRegistry | None:
    for registry in SOURCES.values():
        if registry.knows(event_type):
            return registry
    return None


def parse(payload: Any) -> RecordedEvent:
    """The envelope of a delivered message, or Refused."""
    if not isinstance(payload, Mapping):
        raise Refused(f"not an event envelope: a {type(payload).__name__}")
    try:
        return RecordedEvent.from_message(payload)
    except (ValidationError, TypeError) as error:
        raise Refused(f"invalid envelope: {error}") from error


def accept(event: RecordedEvent) -> SourceEvent | None:
    """The event as scoring keeps it (payload upcast to the current version), None for a
    known type scoring does not use; Refused for poison."""
    registry = registry_of(event.type)
    if registry is None:
        raise Refused(f"unknown event type {event.type!r}")
    current = registry.current_version(event.type)
    if event.schema_version > current:
        raise Refused(f"{event.type} schema version {event.schema_version} is newer than "
                      f"the {current} this service reads")
    if event.type not in SUBSCRIBED:
        return None
    try:
        version, data = registry.upcast(event.type, event.schema_version, event.data)
        registry.check(event.type, version, data)
    except Exception as error:  # upcaster or schema refused the payload
        raise Refused(f"{event.type} v{event.schema_version}: invalid data: {error}") from error
    county = data.get("county_code")
    if county is not None and county not in city_units():
        raise Refused(str(UnknownCounty(event.type, event.stream_id, county)))
    return SourceEvent(event.event_id, event.type, event.stream_id, event.version, data,
                       event.recorded_at)

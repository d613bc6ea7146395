"""Stream naming and folding for the volunteers service's two aggregates."""
from __future__ import annotations

from collections.abc import Sequence

from services.volunteers.domain import team, volunteer
from services.volunteers.domain.events import SCHEMAS, UPCASTERS
from yinfa.events.envelope import RecordedEvent
from yinfa.events.registry import SchemaRegistry

VOLUNTEER_PREFIX = "volunteer-"
TEAM_PREFIX = "team-"


def volunteer_stream(volunteer_id: str) -> str:
    return f"{VOLUNTEER_PREFIX}{volunteer_id}"


def team_stream(team_id: str) -> str:
    return f"{TEAM_PREFIX}{team_id}"


def id_of(stream_id: str) -> str:
    return stream_id.split("-", 1)[1]


def fold_volunteer(events: Sequence[RecordedEvent]) -> volunteer.Volunteer | None:
    return volunteer.replay(events)


def fold_team(events: Sequence[RecordedEvent]) -> team.Team | None:
    return team.replay(events)


def build_registry() -> SchemaRegistry:
    return SchemaRegistry().register_module(SCHEMAS, UPCASTERS)

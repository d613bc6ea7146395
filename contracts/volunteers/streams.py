"""Stream names of the volunteers service's aggregates."""
from __future__ import annotations

from contracts.volunteers.events import SCHEMAS, UPCASTERS
from yinfa.events.registry import SchemaRegistry

VOLUNTEER_PREFIX = "volunteer-"
TEAM_PREFIX = "team-"
CERTIFICATE_PREFIX = "certificate-"


def volunteer_stream(volunteer_id: str) -> str:
    return f"{VOLUNTEER_PREFIX}{volunteer_id}"


def team_stream(team_id: str) -> str:
    return f"{TEAM_PREFIX}{team_id}"


def certificate_stream(code: str) -> str:
    return f"{CERTIFICATE_PREFIX}{code}"


def build_registry() -> SchemaRegistry:
    return SchemaRegistry().register_module(SCHEMAS, UPCASTERS)

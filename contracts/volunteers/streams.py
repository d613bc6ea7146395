"""Stream names of the volunteers service's aggregates."""
from __future__ import annotations

from contracts.volunteers.events import SCHEMAS, UPCASTERS
from yinfa.events.registry import SchemaRegistry

VOLUNTEER_PREFIX = "volunteer-"
TEAM_PREFIX = "team-"
CERTIFICATE_PREFIX = "certificate-"
CAMPAIGN_PREFIX = "campaign-"  # one title's nominations of one year: its quota holds there
TALENT_PREFIX = "talent-"
NEED_PREFIX = "need-"


def volunteer_stream(volunteer_id: str) -> str:
    return f"{VOLUNTEER_PREFIX}{volunteer_id}"


def team_stream(team_id: str) -> str:
    return f"{TEAM_PREFIX}{team_id}"


def certificate_stream(code: str) -> str:
    return f"{CERTIFICATE_PREFIX}{code}"


def campaign_stream(title: str, year: int) -> str:
    return f"{CAMPAIGN_PREFIX}{title}:{year}"


def talent_stream(volunteer_id: str) -> str:
    return f"{TALENT_PREFIX}{volunteer_id}"


def need_stream(need_id: str) -> str:
    return f"{NEED_PREFIX}{need_id}"


def build_registry() -> SchemaRegistry:
    return SchemaRegistry().register_module(SCHEMAS, UPCASTERS)

"""Stream names of the activities service's two aggregates."""
from __future__ import annotations

from contracts.activities.events import SCHEMAS, UPCASTERS
from yinfa.events.registry import SchemaRegistry

ACTIVITY_PREFIX = "activity-"
WISH_PREFIX = "wish-"


def activity_stream(activity_id: str) -> str:
    return f"{ACTIVITY_PREFIX}{activity_id}"


def wish_stream(wish_id: str) -> str:
    return f"{WISH_PREFIX}{wish_id}"


def build_registry() -> SchemaRegistry:
    return SchemaRegistry().register_module(SCHEMAS, UPCASTERS)

"""Stream naming and folding for the activities service's two aggregates."""
from __future__ import annotations

from collections.abc import Sequence

from services.activities.domain import activity, wish
from services.activities.domain.events import SCHEMAS, UPCASTERS
from yinfa.events.envelope import RecordedEvent
from yinfa.events.registry import SchemaRegistry

ACTIVITY_PREFIX = "activity-"
WISH_PREFIX = "wish-"


def activity_stream(activity_id: str) -> str:
    return f"{ACTIVITY_PREFIX}{activity_id}"


def wish_stream(wish_id: str) -> str:
    return f"{WISH_PREFIX}{wish_id}"


def id_of(stream_id: str) -> str:
    return stream_id.split("-", 1)[1]


def fold_activity(events: Sequence[RecordedEvent]) -> activity.Activity | None:
    return activity.replay(events)


def fold_wish(events: Sequence[RecordedEvent]) -> wish.Wish | None:
    return wish.replay(events)


def build_registry() -> SchemaRegistry:
    return SchemaRegistry().register_module(SCHEMAS, UPCASTERS)

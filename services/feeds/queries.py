"""Reads of the public log, as a partner's profile shows it."""
from __future__ import annotations

from typing import Any

from contracts.feeds.profiles import named_volunteers, redact
from services.feeds.dependencies import Names, known_names
from services.feeds.domain.entries import entry_of
from yinfa.store.event_store import EventStore

PAGE = 1000  # log entries read at once
MAX_SCANNED = 20_000  # entries one read looks through for its profile's types


def read_feed(store: EventStore, profile: dict[str, Any], after: int, limit: int,
              names: Names) -> dict[str, Any]:
    """Up to `limit` entries after position `after` that the profile admits, redacted;
    `last` is the last position looked at (the next read starts after it), `head` the
    log's last position (`after` beyond it: a cursor from the future)."""
    head = store.head_position()
    if after > head:
        return {"events": [], "last": after, "head": head, "scanned": 0}
    found: list[dict[str, Any]] = []
    position, scanned = after, 0
    while len(found) < limit and position < head and scanned < MAX_SCANNED:
        page = store.read_all(position, PAGE)
        if not page:
            break
        for logged in page:
            scanned += 1
            position = logged.position
            if logged.type in profile["types"]:
                found.append(entry_of(logged))
                if len(found) >= limit:
                    break
    wanted = named_volunteers(found, profile)
    given = known_names(names(wanted), wanted) if wanted else {}
    events = [redact(entry, profile, given) for entry in found]
    return {"events": events, "last": position, "head": head, "scanned": scanned}

"""The one sanctioned rewrite of an event log (a migration that takes personal data out):
each stored event passed through a function, and the commits whose events it changed
written back in place, positions and versions untouched."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo.collection import Collection

Rewrite = Callable[[str, dict[str, Any]], dict[str, Any]]  # (stream id, stored) -> stored


def rewrite_stored_events(commits: Collection, rewrite: Rewrite) -> int:
    """How many commits changed. Every commit is read, in position order: a one-off pass,
    and queries into arrays of sub-documents are not answered alike by every store the
    platform runs on."""
    rewritten = 0
    for commit in commits.find().sort("position", 1):
        events = [rewrite(commit["stream_id"], stored) for stored in commit["events"]]
        if events != commit["events"]:
            commits.update_one({"_id": commit["_id"]}, {"$set": {"events": events}})
            rewritten += 1
    return rewritten

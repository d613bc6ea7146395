"""Deterministic ids of the activities context, so that retries land where the first try did."""
from __future__ import annotations

import uuid

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "yinfa:activities")


def activity_id_for(client_request_id: str) -> str:
    """The activity's stream id: publishing the same request twice finds the same stream."""
    return str(uuid.uuid5(NAMESPACE, f"activity:{client_request_id}"))


def wish_id_for(client_request_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"wish:{client_request_id}"))


def served_entry_id(activity_id: str, volunteer_id: str) -> str:
    """The volunteer's hours-ledger entry for one activity: completion records it,
    corrections correct the same entry."""
    return str(uuid.uuid5(NAMESPACE, f"served:{activity_id}:{volunteer_id}"))

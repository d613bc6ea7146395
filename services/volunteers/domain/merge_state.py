"""How the merge events change a volunteer's state (the fold's side of merge.py).

A duplicate merged into its survivor keeps its own ledger (its entries stay its own in
every other service's eyes) and is retired; the survivor counts the entries handed to it
under the merge's id, so that an undo gives back exactly those."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from contracts.volunteers import merge_events as mev

MERGED = "merged"


def _merged_into(state: Any, data: Mapping[str, Any]) -> Any:
    return replace(state, status=MERGED, merged_from_status=state.status,
                   merged_into=data["survivor_id"], merge_id=data["merge_id"],
                   merged_at=data["merged_at"])


def _merge_undone(state: Any, data: Mapping[str, Any]) -> Any:
    return replace(state, status=state.merged_from_status or state.status,
                   merged_from_status=None, merged_into=None, merge_id=None, merged_at=None)


def _records_merged(state: Any, data: Mapping[str, Any]) -> Any:
    entries = {e["entry_id"]: (Decimal(e["hours"]), e.get("activity_id"))
               for e in data["adopted"]}
    status = "active" if state.status == "verified" and entries else state.status
    return replace(state, adopted={**state.adopted, data["merge_id"]: entries},
                   merged_from={**state.merged_from, data["merge_id"]: data["retired_id"]},
                   status=status, star_level_returned=None)


def _records_unmerged(state: Any, data: Mapping[str, Any]) -> Any:
    merge_id = data["merge_id"]
    return replace(state, star_level_returned=None,
                   adopted={m: e for m, e in state.adopted.items() if m != merge_id},
                   merged_from={m: r for m, r in state.merged_from.items() if m != merge_id})


def _merged_hours_corrected(state: Any, data: Mapping[str, Any]) -> Any:
    entries = dict(state.adopted.get(data["merge_id"], {}))
    _, activity = entries.get(data["entry_id"], (Decimal(0), None))
    entries[data["entry_id"]] = (Decimal(data["hours"]), activity)
    return replace(state, adopted={**state.adopted, data["merge_id"]: entries},
                   star_level_returned=None)


APPLIERS = {
    mev.VOLUNTEER_MERGED_INTO: _merged_into,
    mev.VOLUNTEER_MERGE_UNDONE: _merge_undone,
    mev.VOLUNTEER_RECORDS_MERGED: _records_merged,
    mev.VOLUNTEER_RECORDS_UNMERGED: _records_unmerged,
    mev.MERGED_HOURS_CORRECTED: _merged_hours_corrected,
}

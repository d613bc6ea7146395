"""Party-branch memberships follow a merge of two records of one person.

The volunteers service merges a duplicate record into its survivor (`VolunteerMergedInto`)
and may undo it (`VolunteerMergeUndone`); the directory replica learns both (`merged`,
`merged_into`, `merge_id`). A sweep, run by a timer, brings the branches in line with it
(the decisions are in domain/member_merges.py):

- an undo first: a merge a branch holds in force (its view's `member_merges`) that the
  replica no longer says is the duplicate's merge is undone there;
- then the carry: the duplicate leaves every active branch it is a member of, and the
  survivor takes its place. The replica notes the merge carried (`memberships_carried`),
  so a merged record is looked at once, not on every tick.

Each branch records a merge and its undo once (by the merge id, and an event id derived
from it): a merge delivered twice, a crash half-way through the branches, or a second
instance sweeping at the same moment appends nothing more; what a crash left undone is
done by the next tick.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from pymongo.database import Database

from contracts.branches.streams import branch_stream
from contracts.volunteers.streams import VOLUNTEER_PREFIX, volunteer_stream
from services.branches.directory import COLLECTION, VolunteerDirectory
from services.branches.domain import branch, member_merges as rule
from services.branches.domain.branch import Branch, replay as fold_branch
from yinfa.events.envelope import NewEvent, derived_event_id
from yinfa.service.dependencies import EventSourcedStreams

log = logging.getLogger(__name__)

CARRIED = "memberships_carried"  # on a replica document: the merge carried over


def sweep(streams: EventSourcedStreams, directory: Database) -> int:
    """How many branches changed (a repeat changes none)."""
    return undo_unmerged(streams, directory) + carry_merged(streams, directory)


def undo_unmerged(streams: EventSourcedStreams, directory: Database) -> int:
    replica = directory[COLLECTION]
    changed = 0
    for doc in list(streams.views["branch_view"].find(
            {"has_member_merges": True}, {"branch_id": 1, "member_merges": 1})):
        for merge_id, duplicate_id in doc["member_merges"]:
            facts = replica.find_one({"_id": volunteer_stream(duplicate_id)},
                                     {"merged": 1, "merge_id": 1}) or {}
            if facts.get("merged") and facts.get("merge_id") == merge_id:
                continue  # still in force
            changed += max(0, _on(streams, doc["branch_id"], "unmerge", merge_id,
                                  partial(_unmerge, merge_id)))
    return changed


def carry_merged(streams: EventSourcedStreams, directory: Database) -> int:
    replica, known = directory[COLLECTION], VolunteerDirectory(directory)
    views = streams.views["branch_view"]
    changed = 0
    for doc in list(replica.find({"merged": True}, {"merged_into": 1, "merge_id": 1,
                                                     CARRIED: 1})):
        merge_id, survivor_id = doc.get("merge_id"), doc.get("merged_into")
        if not merge_id or not survivor_id or doc.get(CARRIED) == merge_id:
            continue
        duplicate_id = doc["_id"][len(VOLUNTEER_PREFIX):]
        county = known.county_of(survivor_id)
        carried = True
        for held in list(views.find({"members": duplicate_id, "status": branch.ACTIVE},
                                    {"branch_id": 1})):
            done = _on(streams, held["branch_id"], "merge", merge_id,
                       partial(_merge, merge_id, duplicate_id, survivor_id, county))
            carried = carried and done >= 0
            changed += max(done, 0)
        if carried:
            replica.update_one({"_id": doc["_id"], "merge_id": merge_id},
                               {"$set": {CARRIED: merge_id}})
    return changed


def _merge(merge_id: str, duplicate_id: str, survivor_id: str, county: str | None,
           state: Branch | None) -> list[NewEvent]:
    return rule.merge_records(state, merge_id, duplicate_id, survivor_id, county)


def _unmerge(merge_id: str, state: Branch | None) -> list[NewEvent]:
    return rule.unmerge_records(state, merge_id)


def _on(streams: EventSourcedStreams, branch_id: str, step: str, merge_id: str,
        decide: Callable[[Branch | None], list[NewEvent]]) -> int:
    """Events appended on one branch; -1 if it failed (logged: the next tick retries, and
    one branch's trouble holds up no other)."""
    event_id = derived_event_id(f"branches.member_records_{step}", f"{merge_id}:{branch_id}")
    try:
        return len(streams.execute(
            branch_stream(branch_id), fold_branch,
            lambda state: [replace(e, event_id=event_id) for e in decide(state)]))
    except Exception:
        log.exception("could not %s merge %s in branch %s", step, merge_id, branch_id)
        return -1

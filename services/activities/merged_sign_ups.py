"""A sign-up on two records of one person keeps one. When the volunteers service merges a
duplicate record into its survivor, the directory replica learns it (`merged_into`, from
`VolunteerMergedInto`), and a sweep withdraws the duplicate's sign-ups of activities the
survivor has signed up for too: the place is freed and the waitlist moves. A sign-up of
the duplicate alone stays (the same person comes; what they are credited for reaches the
survivor's ledger, once). An undo restores no sign-up. Each merge is swept once (marked
on the replica); a second sweep, on another replica at the same moment, withdraws none.
"""
from __future__ import annotations

from pymongo.database import Database

from services.activities import handlers
from services.activities.directory import COLLECTION
from services.activities.domain import commands
from yinfa.errors import DomainRuleViolated, NotFound
from yinfa.service.dependencies import EventSourcedStreams

REASON = "合并重复记录：同一人只保留一份报名"


def keep_one_sign_up(streams: EventSourcedStreams, duplicate_id: str, survivor_id: str
                     ) -> int:
    """How many of the duplicate's sign-ups were withdrawn (a repeat withdraws none)."""
    views = streams.views["activity_view"]
    fields = {"activity_id": 1, "participants": 1, "waitlist": 1}
    both = {doc["activity_id"]: doc
            for side in ("participants", "waitlist")
            for doc in views.find({side: duplicate_id}, fields)}
    withdrawn = 0
    for activity_id, doc in sorted(both.items()):
        if survivor_id not in [*doc.get("participants", ()), *doc.get("waitlist", ())]:
            continue
        try:
            handlers.COMMANDS.handle(streams, commands.WithdrawSignUp, {
                "activity_id": activity_id, "volunteer_id": duplicate_id, "reason": REASON})
            withdrawn += 1
        except (NotFound, DomainRuleViolated):
            pass  # withdrawn meanwhile, checked in already, or the activity is closed
    return withdrawn



def sweep(streams: EventSourcedStreams, directory: Database) -> int:
    """Keep one sign-up for each merge the replica knows and no sweep has handled."""
    withdrawn = 0
    replica = directory[COLLECTION]
    for doc in replica.find({"merged": True}, {"merged_into": 1, "sign_ups_kept": 1}):
        survivor_id = doc.get("merged_into")
        if not survivor_id or doc.get("sign_ups_kept") == survivor_id:
            continue
        duplicate_id = doc["_id"].split("-", 1)[1]
        withdrawn += keep_one_sign_up(streams, duplicate_id, survivor_id)
        replica.update_one({"_id": doc["_id"], "merged_into": survivor_id},
                           {"$set": {"sign_ups_kept": survivor_id}})
    return withdrawn

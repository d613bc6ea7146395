"""A branch's side of merging two records of one person (the volunteers service's
`VolunteerMergedInto`, undone by `VolunteerMergeUndone`), as pure decisions.

On a merge, the duplicate record leaves each active branch it belonged to and the
survivor takes its place: it joins, unless it is a member already, or the branch is of
another county than the survivor's (a branch takes its own county's members, as a team
does: that membership is given up). On an undo, the branch gives back what that merge
changed and only that: the duplicate rejoins unless it is a member again, and the
survivor leaves only if the merge made it a member, it has not left since, and no other
merge in force here still holds it.

Each merge is recorded once per branch, by its merge id: a second delivery, a sweep
after a crash, or a merge already undone records nothing.
"""
from __future__ import annotations

from contracts.branches import events as ev
from yinfa.events.envelope import NewEvent

from .branch import Branch

JOINED, ALREADY_MEMBER, GIVEN_UP = "joined", "already_member", "given_up"


def merge_records(state: Branch | None, merge_id: str, duplicate_id: str, survivor_id: str,
                  survivor_county: str | None) -> list[NewEvent]:
    """`survivor_county`: the survivor's county as the directory knows it (None: unknown,
    taken as this branch's)."""
    if state is None or not state.is_active or duplicate_id not in state.members:
        return []
    if merge_id in state.member_merges or merge_id in state.merges_undone:
        return []
    if survivor_id in state.members:
        outcome = ALREADY_MEMBER
    elif survivor_county is not None and survivor_county != state.county_code:
        outcome = GIVEN_UP
    else:
        outcome = JOINED
    return [ev.new_event(ev.MEMBER_RECORDS_MERGED, {
        "merge_id": merge_id, "duplicate_id": duplicate_id, "survivor_id": survivor_id,
        "outcome": outcome})]


def unmerge_records(state: Branch | None, merge_id: str) -> list[NewEvent]:
    """The undo of a merge this branch recorded and still holds in force."""
    if state is None or not state.is_active or merge_id not in state.member_merges:
        return []
    merge = state.member_merges[merge_id]
    held_by_another = any(m.survivor_id == merge.survivor_id
                          for key, m in state.member_merges.items() if key != merge_id)
    return [ev.new_event(ev.MEMBER_RECORDS_UNMERGED, {
        "merge_id": merge_id, "duplicate_id": merge.duplicate_id,
        "survivor_id": merge.survivor_id,
        "duplicate_rejoined": merge.duplicate_id not in state.members,
        "survivor_left": (merge.survivor_joined and merge.survivor_id in state.members
                          and not held_by_another)})]

"""Merging duplicate records of one person, and undoing a merge (the volunteers service).

A county bureau merges two records of its own county (the city any two); the merge is
answered with its id, which its undo takes within the configured window."""
from __future__ import annotations

from typing import Any

from contracts.volunteers import commands as cmd
from contracts.volunteers.replies import Merge, MergeOutcome, MergeUndone
from gateway.context import Ctx, Reply
from gateway.resources.common import ADMINS, created, in_scope, retry_safe_id
from gateway.resources.volunteers import V, scoped_volunteer
from gateway.routing import route
from gateway.schemas import body_of


@route("POST", "/volunteers/<volunteer_id>/merge", roles=ADMINS,
       body=body_of(cmd.MergeVolunteers, "volunteer_id", "merge_id"), response=MergeOutcome,
       status=201, tag="volunteers",
       summary="Merge a duplicate record (duplicate_id) into this one, with a reason: its "
               "hours, teams and history count here, each activity once; reads of the "
               "duplicate lead here. Two verified records with different ID numbers are "
               "refused unless id_number, the person's, is this record's (the pair a "
               "correction's 409 named). Undone by POST /merges/{merge_id}/undo")
def merge_volunteers(ctx: Ctx) -> Reply:
    survivor_id = ctx.params["volunteer_id"]
    scoped_volunteer(ctx, survivor_id)  # both records in the caller's county (else 404)
    scoped_volunteer(ctx, ctx.data["duplicate_id"])
    outcome = ctx.call(V, "merge_volunteers", ctx.payload(volunteer_id=survivor_id,
                                                          merge_id=retry_safe_id(ctx)))
    return created(outcome, f"/merges/{outcome['merge_id']}")


def scoped_merge(ctx: Ctx, merge_id: str) -> dict[str, Any]:
    """A merge in force whose two records are in the caller's scope (404 otherwise)."""
    merge = ctx.call(V, "get_merge", merge_id)
    in_scope(ctx, {"county_code": merge["duplicate_county"]})
    return in_scope(ctx, {**merge, "county_code": merge["survivor_county"]})


@route("GET", "/merges/<merge_id>", roles=ADMINS, response=Merge, tag="volunteers",
       summary="A merge in force: its two records and their counties")
def get_merge(ctx: Ctx) -> dict[str, Any]:
    merge = scoped_merge(ctx, ctx.params["merge_id"])
    return {k: v for k, v in merge.items() if k != "county_code"}


@route("POST", "/merges/<merge_id>/undo", roles=ADMINS,
       body=body_of(cmd.UndoMerge, "merge_id"), response=MergeUndone, tag="volunteers",
       summary="Undo a merge within the window (YINFA_MERGE_UNDO_DAYS, 30 days by "
               "default), with a reason: both records stand again as they were; what the "
               "survivor recorded since stays with it")
def undo_merge(ctx: Ctx) -> dict[str, Any]:
    merge_id = ctx.params["merge_id"]
    scoped_merge(ctx, merge_id)
    return ctx.call(V, "undo_merge", ctx.payload(merge_id=merge_id))

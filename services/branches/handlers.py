"""Command handlers of the branches service: fold the streams → decide → append.

What a command needs from another stream (the parent branch, the merge target, the branch
a certification belongs to) is folded from the store; which bodies still sit under a branch
comes from `branch_view`, kept current by this instance right after each append.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from contracts.branches import commands as contract
from contracts.branches.catalog import BranchCatalog, load_branch_catalog, load_checklists
from contracts.branches.events import BRANCH_MERGED
from contracts.branches.streams import branch_stream, brand_stream, certification_stream
from services.branches import dependencies as people
from services.branches.directory import VolunteerDirectory
from services.branches.domain import branch, brand, certification, commands as cmd
from services.branches.domain.branch import Branch, replay as fold_branch
from services.branches.domain.brand import replay as fold_brand
from services.branches.domain.certification import replay as fold_certification
from services.branches.domain.dates import local_date
from yinfa.errors import DomainRuleViolated, NotFound
from yinfa.events.envelope import NewEvent, RecordedEvent, derived_event_id
from yinfa.service.commands import CommandTable
from yinfa.service.dependencies import EventSourcedStreams

log = logging.getLogger(__name__)

MAX_DEPTH = 10  # far above the four levels: a guard against a corrupt parent chain

Stream = tuple[Callable[[str], str], Callable[..., Any]]  # (stream id of a branch, fold)
BRANCH: Stream = (branch_stream, fold_branch)
CERTIFICATION: Stream = (certification_stream, fold_certification)
BRAND: Stream = (brand_stream, fold_brand)


# --- branches ---------------------------------------------------------------------------


def establish(streams: EventSourcedStreams, command: cmd.EstablishBranch) -> str:
    command = people.referred(streams.views, command, branch.OFFICERS)
    parent = _branch(streams, command.parent_id)
    catalog = load_branch_catalog()
    return _on_branch(streams, command,
                      lambda state: branch.establish(state, command, parent, catalog))


def change_officers(streams: EventSourcedStreams, command: cmd.ChangeOfficers) -> str:
    """Only the officers whose name differs from the one held get a new reference."""
    current = _branch(streams, command.branch_id)
    held = {} if current is None else people.names_of(
        streams.views, [getattr(current, f"{post}_ref") for post in command.officers])
    refs = {post: people.refer(streams.views, name) for post, name in command.officers.items()
            if current is None or name != held.get(getattr(current, f"{post}_ref"))}
    referred = replace(command, officers={}, officer_refs=refs)
    return _on_branch(streams, referred,
                      lambda state: branch.change_officers(state, referred))


def move(streams: EventSourcedStreams, command: cmd.MoveBranch) -> str:
    parent = _branch(streams, command.parent_id)
    ancestors = _ancestors(streams, parent)
    catalog = load_branch_catalog()
    return _on_branch(streams, command,
                      lambda state: branch.move(state, command, parent, ancestors, catalog))


def add_member(streams: EventSourcedStreams, command: cmd.AddMember,
               directory: VolunteerDirectory) -> str:
    """Whether the volunteer may join is what the volunteers service's events said."""
    volunteer_id = command.volunteer_id
    status, county = directory.status(volunteer_id), directory.county_of(volunteer_id)
    return _on_branch(streams, command,
                      lambda state: branch.add_member(state, command, status, county))


def move_member(streams: EventSourcedStreams, command: cmd.MoveMember,
                directory: VolunteerDirectory) -> str:
    """Out of this branch, then into the target (`receive_member`); a crash between the
    two is completed by `complete_member_moves`."""
    target = _branch(streams, command.to_branch_id)
    county = directory.county_of(command.volunteer_id)
    recorded = streams.execute(
        branch_stream(command.branch_id), fold_branch,
        lambda state: branch.move_member(state, command, target, county))
    for moved in recorded:
        receive_member(streams, moved.data)
    return command.branch_id


def receive_member(streams: EventSourcedStreams, moved: Mapping[str, Any]) -> int:
    """The target's side of a move: its event id derives from the move's, so a second
    attempt (a retry, the sweep) appends nothing new. A target closed in between is
    logged, not raised: the member then belongs to neither, for the county to place."""
    event_id = derived_event_id("branches.move_member", moved["move_id"])
    try:
        return len(streams.execute(branch_stream(moved["to_branch_id"]), fold_branch,
                                   partial(_received, moved, event_id)))
    except (DomainRuleViolated, NotFound):
        log.warning("branch %s cannot take member %s moved from %s (closed since?)",
                    moved["to_branch_id"], moved["volunteer_id"], moved["from_branch_id"],
                    exc_info=True)
        return 0


def _received(moved: Mapping[str, Any], event_id: str, state: Branch | None
              ) -> list[NewEvent]:
    return [replace(e, event_id=event_id) for e in branch.receive_member(
        state, moved["move_id"], moved["volunteer_id"], moved["from_branch_id"],
        moved["to_branch_id"])]


def complete_member_moves(streams: EventSourcedStreams) -> int:
    """Receive every move out of a branch that its target has not received (a crash
    between the two appends of `move_member`); run by a timer."""
    views = streams.views["branch_view"]
    completed = 0
    for doc in list(views.find({"has_moves_out": True}, {"branch_id": 1, "moves_out": 1})):
        for move_id, volunteer_id, to in doc["moves_out"]:
            target = views.find_one({"branch_id": to}, {"moves_in": 1, "status": 1})
            if target is None or move_id in target.get("moves_in", ()) or (
                    target.get("status") != branch.ACTIVE):
                continue
            completed += receive_member(streams, {
                "move_id": move_id, "volunteer_id": volunteer_id,
                "from_branch_id": doc["branch_id"], "to_branch_id": to})
    return completed


def merge(streams: EventSourcedStreams, command: cmd.MergeBranch) -> str:
    """Close the branch into its target, then let the target absorb its members."""
    target = _branch(streams, command.into_branch_id)
    children = active_children(streams, command.branch_id)
    recorded = streams.execute(branch_stream(command.branch_id), fold_branch,
                               lambda state: branch.merge(state, command, target, children))
    for event in recorded:
        if event.type == BRANCH_MERGED:
            absorb(streams, event)
    return command.branch_id


def absorb(streams: EventSourcedStreams, merged: RecordedEvent) -> int:
    """The target's side of a merge. The event id derives from `BranchMerged`'s, so a
    second attempt (a retry, the sweep) appends nothing new; a target that cannot absorb
    (closed since the merge?) is logged, not raised: the merge itself stands."""
    source = merged.aggregate_id
    event_id = derived_event_id("branches.absorb", merged.event_id)

    def decide(state: Branch | None) -> list[NewEvent]:
        return [replace(e, event_id=event_id)
                for e in branch.absorb(state, source, merged.data["members"])]

    try:
        return len(streams.execute(branch_stream(merged.data["into_branch_id"]), fold_branch,
                                   decide))
    except (DomainRuleViolated, NotFound):
        log.warning("branch %s cannot absorb %s (closed since the merge?)",
                    merged.data["into_branch_id"], merged.stream_id, exc_info=True)
        return 0


def complete_merges(streams: EventSourcedStreams) -> int:
    """Absorb every merge whose target has not absorbed it (a crash between the two
    appends of `merge`); run by a timer."""
    views = streams.views["branch_view"]
    completed = 0
    for doc in list(views.find({"status": branch.MERGED}, {"branch_id": 1, "merged_into": 1})):
        target = views.find_one({"branch_id": doc["merged_into"]}, {"absorbed_from": 1})
        if target is None or doc["branch_id"] in target["absorbed_from"]:
            continue
        merged = [e for e in streams.store.read_stream(branch_stream(doc["branch_id"]))
                  if e.type == BRANCH_MERGED]
        completed += sum(absorb(streams, event) for event in merged)
    return completed


def dissolve(streams: EventSourcedStreams, command: cmd.DissolveBranch) -> str:
    children = active_children(streams, command.branch_id)
    return _on_branch(streams, command,
                      lambda state: branch.dissolve(state, command, children))


def active_children(streams: EventSourcedStreams, branch_id: str) -> list[str]:
    query = {"parent_id": str(branch_id), "status": branch.ACTIVE}
    return [doc["branch_id"] for doc in streams.views["branch_view"].find(query, {"branch_id": 1})]


# --- certification ----------------------------------------------------------------------


def _apply_for(state: Any, command: cmd.ApplyForCertification, subject: Branch | None,
               catalog: BranchCatalog) -> list[NewEvent]:
    return certification.apply_for(state, command, subject, load_checklists(), catalog)


def review_items(streams: EventSourcedStreams, command: cmd.ReviewItems) -> str:
    """A reviewer's decisions on items of one application, recorded together."""
    reviews = command.items
    reviewer = people.refer(streams.views, reviews[0].reviewer)  # one reviewer for all

    def decide(state: Any) -> list[NewEvent]:
        decided: list[NewEvent] = []
        for review in reviews:
            events = certification.review_item(
                state, replace(review, reviewer=None, reviewer_ref=reviewer))
            state = certification.replay(events, state)
            decided.extend(events)
        return decided

    return _on_branch(streams, reviews[0], decide, on=CERTIFICATION)


def fall_due(streams: EventSourcedStreams, now: datetime) -> int:
    """Append what has come due by `now` (re-reviews, expiry) on every certification of an
    active branch; run by a timer. Event ids are deterministic and `due` skips what is
    recorded already, so a second run, a restart or a second instance appends nothing."""
    catalog = load_branch_catalog()
    today = local_date(now).isoformat()
    due_ids = [doc["branch_id"] for doc in streams.views["certification_view"].find(
        {"next_due_on": {"$lte": today}}, {"branch_id": 1})]
    active = {doc["branch_id"] for doc in streams.views["branch_view"].find(
        {"branch_id": {"$in": due_ids}, "status": branch.ACTIVE}, {"branch_id": 1})}
    appended = 0
    for branch_id in sorted(active):
        subject = _branch(streams, branch_id)
        try:
            appended += len(streams.execute(
                certification_stream(branch_id), fold_certification,
                partial(certification.due, now=now, catalog=catalog, branch=subject)))
        except Exception:  # one stream's trouble must not hold up the others; next tick retries
            log.exception("could not record what fell due for branch %s", branch_id)
    return appended


# --- brands -----------------------------------------------------------------------------


def select_top_brands(streams: EventSourcedStreams, command: cmd.SelectTopBrands
                      ) -> brand.Selection:
    year, scores = command.year, command.scores
    folded = {bid: streams.load(brand_stream(bid), fold_brand)[0] for bid in scores}
    selection = brand.select_top_brands(year, folded, scores, load_branch_catalog())
    for branch_id, events in selection.events.items():
        streams.execute(brand_stream(branch_id), fold_brand, _unless_selected(year, events))
    return selection


def _unless_selected(year: int, events: list[NewEvent]) -> Callable[[Any], list[NewEvent]]:
    """Decided on the brands as folded before; a brand chosen meanwhile gets nothing."""
    return lambda state: [] if state and year in state.selected else events


# --- helpers ----------------------------------------------------------------------------


def _branch(streams: EventSourcedStreams, branch_id: str | None) -> Branch | None:
    if branch_id is None:
        return None
    return streams.load(branch_stream(str(branch_id)), fold_branch)[0]


def _ancestors(streams: EventSourcedStreams, parent: Branch | None) -> list[str]:
    """The ids above `parent`, nearest first, for the domain's cycle check."""
    ids: list[str] = []
    current = parent
    while current is not None and current.parent_id and len(ids) < MAX_DEPTH:
        if current.parent_id in ids:
            break
        ids.append(current.parent_id)
        current = _branch(streams, current.parent_id)
    return ids


def _on_branch(streams: EventSourcedStreams, command: Any,
               decide: Callable[[Any], list[NewEvent]], on: Stream = BRANCH) -> str:
    """A decision on one of the streams of the command's branch; the branch's id."""
    branch_id: str = command.branch_id
    streams.execute(on[0](branch_id), on[1], decide)
    return branch_id


def _on_command(decide: Callable[..., list[NewEvent]], streams: EventSourcedStreams,
                command: Any, on: Stream = BRANCH, named: Sequence[str] = ()) -> str:
    """A decision on the command alone, the people it names sealed apart
    (dependencies.py)."""
    command = people.referred(streams.views, command, named)
    return _on_branch(streams, command, lambda state: decide(state, command), on)


def _on_subject(decide: Callable[..., list[NewEvent]], streams: EventSourcedStreams,
                command: Any, on: Stream = CERTIFICATION, named: Sequence[str] = ()) -> str:
    """A decision that needs the branch as it stands, and the catalog (on the branch's
    certification unless `on` says another stream)."""
    command = people.referred(streams.views, command, named)
    subject = _branch(streams, command.branch_id)
    catalog = load_branch_catalog()
    return _on_branch(streams, command,
                      lambda state: decide(state, command, subject, catalog), on)


COMMANDS = CommandTable(contract, {
    cmd.EstablishBranch: establish,
    cmd.RenameBranch: partial(_on_command, branch.rename),
    cmd.ChangeOfficers: change_officers,
    cmd.MoveBranch: move,
    cmd.AddMember: add_member,
    cmd.RemoveMember: partial(_on_command, branch.remove_member),
    cmd.MoveMember: move_member,
    cmd.MergeBranch: merge,
    cmd.DissolveBranch: dissolve,
    cmd.ApplyForCertification: partial(_on_subject, _apply_for, named=("applicant",)),
    cmd.ReviewItem: partial(_on_command, certification.review_item, on=CERTIFICATION,
                        named=("reviewer",)),
    cmd.ReviewItems: review_items,
    cmd.GrantCertification: partial(_on_subject, certification.grant),
    cmd.RefuseCertification: partial(_on_subject, certification.refuse),
    cmd.PassReview: partial(_on_subject, certification.pass_review),
    cmd.FailReview: partial(_on_subject, certification.fail_review),
    cmd.RevokeCertification: partial(_on_subject, certification.revoke),
    cmd.ApplyForBrand: partial(_on_subject, brand.apply_brand, on=BRAND),
    cmd.ReviewBrand: partial(_on_command, brand.review_brand, on=BRAND, named=("reviewer",)),
    cmd.SelectTopBrands: select_top_brands,
})

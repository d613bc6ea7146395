"""Command handlers of the branches service: schema → fold the streams → decide → append.

What a command needs from another stream (the parent branch, the merge target, the branch
a certification belongs to) is folded from the store; which bodies still sit under a
branch comes from `branch_view`, kept current by this instance right after each append.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from contracts.branches import commands as contract
from contracts.branches.catalog import BranchCatalog, load_branch_catalog, load_checklists
from contracts.branches.events import BRANCH_MERGED
from contracts.branches.streams import branch_stream, brand_stream, certification_stream
from services.branches import people
from services.branches.directory import VolunteerDirectory
from services.branches.domain import branch, brand, certification
from services.branches.domain.branch import Branch, replay as fold_branch
from services.branches.domain.brand import replay as fold_brand
from services.branches.domain.certification import replay as fold_certification
from services.branches.domain.dates import local_date
from yinfa.errors import DomainRuleViolated, NotFound, ValidationFailed
from yinfa.events.envelope import NewEvent, RecordedEvent, derived_event_id
from yinfa.service.dependencies import EventSourcedStreams

log = logging.getLogger(__name__)

MAX_DEPTH = 10  # far above the four levels: a guard against a corrupt parent chain

Decision = Callable[..., list[NewEvent]]


# --- branches ---------------------------------------------------------------------------


# the names in commands that are people's: sealed apart, events carry references
NAMED_IN = {"apply": ("applicant",), "review_item": ("reviewer",)}


def establish(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> str:
    command = people.referred(streams.views, contract.load_command(
        contract.EstablishBranch, payload), branch.OFFICERS)
    parent = _branch(streams, command.get("parent_id"))
    catalog = load_branch_catalog()
    streams.execute(branch_stream(command["branch_id"]), fold_branch,
                    lambda state: branch.establish(state, command, parent, catalog))
    return str(command["branch_id"])


def rename(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> str:
    command = contract.load_command(contract.RenameBranch, payload)
    return _on_branch(streams, command, lambda state: branch.rename(state, command))


def change_officers(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> str:
    """Only the officers whose name differs from the one held get a new reference."""
    command = contract.load_command(contract.ChangeOfficers, payload)
    current = _branch(streams, command["branch_id"])
    held = {} if current is None else people.names_of(
        streams.views, [getattr(current, f"{name}_ref") for name in branch.OFFICERS])
    changed = [name for name in branch.OFFICERS if name in command and (
        current is None or command[name] != held.get(getattr(current, f"{name}_ref")))]
    referred = people.referred(streams.views, {k: v for k, v in command.items()
                                               if k not in branch.OFFICERS or k in changed},
                               changed)
    return _on_branch(streams, referred,
                      lambda state: branch.change_officers(state, referred))


def move(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> str:
    command = contract.load_command(contract.MoveBranch, payload)
    parent_id = command.get("parent_id")
    parent = _branch(streams, parent_id)
    ancestors = _ancestors(streams, parent)
    catalog = load_branch_catalog()
    return _on_branch(streams, command,
                      lambda state: branch.move(state, command, parent, ancestors, catalog))


def add_member(streams: EventSourcedStreams, directory: VolunteerDirectory,
               payload: Mapping[str, Any]) -> str:
    """Whether the volunteer may join is what the volunteers service's events said."""
    command = contract.load_command(contract.AddMember, payload)
    status = directory.status(str(command["volunteer_id"]))
    county = directory.county_of(str(command["volunteer_id"]))
    return _on_branch(streams, command,
                      lambda state: branch.add_member(state, command, status, county))


def remove_member(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> str:
    command = contract.load_command(contract.RemoveMember, payload)
    return _on_branch(streams, command, lambda state: branch.remove_member(state, command))


def merge(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> str:
    """Close the branch into its target, then let the target absorb its members."""
    command = contract.load_command(contract.MergeBranch, payload)
    target = _branch(streams, command["into_branch_id"])
    children = active_children(streams, command["branch_id"])
    recorded = streams.execute(branch_stream(command["branch_id"]), fold_branch,
                               lambda state: branch.merge(state, command, target, children))
    for event in recorded:
        if event.type == BRANCH_MERGED:
            _absorb_or_log(streams, event)
    return str(command["branch_id"])


def absorb(streams: EventSourcedStreams, merged: RecordedEvent) -> int:
    """The target's side of a merge. The event id derives from `BranchMerged`'s, so a
    second attempt (a retry, the sweep) appends nothing new."""
    command = {"from_branch_id": merged.stream_id.split("-", 1)[1],
               "members": list(merged.data["members"])}
    event_id = derived_event_id("branches.absorb", merged.event_id)

    def decide(state: Branch | None) -> list[NewEvent]:
        return [replace(e, event_id=event_id) for e in branch.absorb(state, command)]

    return len(streams.execute(branch_stream(merged.data["into_branch_id"]), fold_branch,
                               decide))


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
        completed += sum(_absorb_or_log(streams, event) for event in merged)
    return completed


def dissolve(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> str:
    command = contract.load_command(contract.DissolveBranch, payload)
    children = active_children(streams, command["branch_id"])
    return _on_branch(streams, command,
                      lambda state: branch.dissolve(state, command, children))


def active_children(streams: EventSourcedStreams, branch_id: str) -> list[str]:
    query = {"parent_id": str(branch_id), "status": branch.ACTIVE}
    return [doc["branch_id"] for doc in streams.views["branch_view"].find(query, {"branch_id": 1})]


# --- certification ----------------------------------------------------------------------


def _apply_for(state: Any, command: Mapping[str, Any], subject: Branch | None,
               catalog: BranchCatalog) -> list[NewEvent]:
    return certification.apply_for(state, command, subject, load_checklists(), catalog)


def _review_item(state: Any, command: Mapping[str, Any], subject: Branch | None,
                 catalog: BranchCatalog) -> list[NewEvent]:
    return certification.review_item(state, command)


_CERTIFICATION_COMMANDS: dict[str, tuple[type, Decision]] = {
    "apply": (contract.ApplyForCertification, _apply_for),
    "review_item": (contract.ReviewItem, _review_item),
    "grant": (contract.GrantCertification, certification.grant),
    "refuse": (contract.RefuseCertification, certification.refuse),
    "pass_review": (contract.PassReview, certification.pass_review),
    "fail_review": (contract.FailReview, certification.fail_review),
    "revoke": (contract.RevokeCertification, certification.revoke),
}


def on_certification(streams: EventSourcedStreams, action: str,
                     payload: Mapping[str, Any]) -> str:
    schema, decide = _CERTIFICATION_COMMANDS[action]
    command = people.referred(streams.views, contract.load_command(schema, payload),
                              NAMED_IN.get(action, ()))
    branch_id = str(command["branch_id"])
    subject = None if decide is _review_item else _branch(streams, branch_id)  # unused there
    catalog = load_branch_catalog()
    streams.execute(certification_stream(branch_id), fold_certification,
                    lambda state: decide(state, command, subject, catalog))
    return branch_id


def review_items(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> str:
    """A reviewer's decisions on many items of one application, recorded together."""
    loaded = item_review_commands(payload)
    reviewer = people.refer(streams.views, loaded[0]["reviewer"])  # one reviewer for all
    commands = [{**{k: v for k, v in c.items() if k != "reviewer"}, "reviewer_ref": reviewer}
                for c in loaded]

    def decide(state: Any) -> list[NewEvent]:
        decided: list[NewEvent] = []
        for command in commands:
            events = certification.review_item(state, command)
            state = certification.replay(events, state)
            decided.extend(events)
        return decided

    branch_id = str(commands[0]["branch_id"])
    streams.execute(certification_stream(branch_id), fold_certification, decide)
    return branch_id


ITEM_DECISION = frozenset({"item", "met", "note"})


def item_review_commands(payload: Any) -> list[dict[str, Any]]:
    """`ReviewItem` commands from one payload: ReviewItem's shared fields (branch_id,
    application_id, reviewer) and `items`, a list of `{item, met, note}`."""
    rows = payload.get("items") if isinstance(payload, Mapping) else None
    if not isinstance(rows, list) or not rows:
        raise ValidationFailed({"items": ["Give one item decision or more."]})
    shared = {key: value for key, value in payload.items() if key != "items"}
    commands, errors = [], {}
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping) or not set(row) <= ITEM_DECISION:
            errors[f"items.{index}"] = ["Give item, met and note only."]
            continue
        try:
            commands.append(contract.load_command(contract.ReviewItem, {**shared, **row}))
        except ValidationFailed as failed:
            errors.update({f"items.{index}.{key}": value for key, value in failed.errors.items()})
    if errors:
        raise ValidationFailed(errors)
    return commands


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


def apply_brand(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> str:
    command = contract.load_command(contract.ApplyForBrand, payload)
    branch_id = str(command["branch_id"])
    subject = _branch(streams, branch_id)
    catalog = load_branch_catalog()
    streams.execute(brand_stream(branch_id), fold_brand,
                    lambda state: brand.apply_brand(state, command, subject, catalog))
    return branch_id


def review_brand(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> str:
    command = people.referred(streams.views, contract.load_command(contract.ReviewBrand, payload),
                              ("reviewer",))
    branch_id = str(command["branch_id"])
    streams.execute(brand_stream(branch_id), fold_brand,
                    lambda state: brand.review_brand(state, command))
    return branch_id


def select_top_brands(streams: EventSourcedStreams, payload: Mapping[str, Any]
                      ) -> brand.Selection:
    command = contract.load_command(contract.SelectTopBrands, payload)
    year, scores = command["year"], command["scores"]
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


def _on_branch(streams: EventSourcedStreams, command: Mapping[str, Any],
               decide: Callable[[Branch | None], list[NewEvent]]) -> str:
    streams.execute(branch_stream(command["branch_id"]), fold_branch, decide)
    return str(command["branch_id"])


def _absorb_or_log(streams: EventSourcedStreams, merged: RecordedEvent) -> int:
    try:
        return absorb(streams, merged)
    except (DomainRuleViolated, NotFound):
        log.warning("branch %s cannot absorb %s (closed since the merge?)",
                    merged.data["into_branch_id"], merged.stream_id, exc_info=True)
        return 0

"""The Branch aggregate (离退休干部党组织): one body of the four-level structure, its officers
and its members, as pure functions. Whatever lives on another stream (the parent branch,
the volunteer's status, the children of a branch) is folded by the caller and passed in.

Hierarchy (from the catalog): 党小组 sits under a 支部; a 支部 under a 党总支 or a 党工委,
or directly under the county bureau (no parent); a 党总支 under a 党工委 or none; parent
and child share a county. A body may be moved to another parent; the caller passes the
new parent's ancestor ids so that a move can never close a cycle.

Lifecycle: active → merged (into another active body of the same level and county; its
members move over) or dissolved. Both are terminal, and both are refused while active
bodies still sit under it.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from contracts.branches import events as ev
from contracts.branches.catalog import BranchCatalog
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.events import fold
from yinfa.events.envelope import NewEvent

from . import commands as cmd

ACTIVE, MERGED, DISSOLVED = "active", "merged", "dissolved"
OFFICERS = ("secretary", "liaison")
# Volunteer statuses (volunteers service) that may join a branch. A suspended volunteer is
# refused, as for teams: suspension means the bureau is looking into something; reinstate
# first. A withdrawn volunteer has left; an unknown one does not exist.
JOINABLE_STATUSES = frozenset({"registered", "verified", "active"})


@dataclass(frozen=True)
class MemberMerge:
    """What a merge of two records of one person changed here (member_merges.py)."""

    duplicate_id: str
    survivor_id: str
    survivor_joined: bool  # the merge made the survivor a member, and it still is by it


@dataclass(frozen=True)
class Branch:
    name: str
    branch_type: str
    level: str
    county_code: str
    parent_id: str | None
    established_on: date
    former_employer: str | None = None
    community: str | None = None
    secretary_ref: str | None = None  # references to sealed names, never the names
    liaison_ref: str | None = None
    status: str = ACTIVE
    members: frozenset[str] = field(default_factory=frozenset)
    absorbed_from: frozenset[str] = field(default_factory=frozenset)
    # member moves: those out of this branch (move id -> volunteer, target), those into it
    moves_out: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    moves_in: frozenset[str] = field(default_factory=frozenset)
    # merges of two volunteer records in force here (merge id -> what it changed), undone
    member_merges: Mapping[str, MemberMerge] = field(default_factory=dict)
    merges_undone: frozenset[str] = field(default_factory=frozenset)
    merged_into: str | None = None
    closed_on: date | None = None

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE


# --- commands ---------------------------------------------------------------------------


def establish(state: Branch | None, command: cmd.EstablishBranch, parent: Branch | None,
              catalog: BranchCatalog) -> list[NewEvent]:
    """`parent` is the folded state of `command.parent_id`, None if unknown or not given."""
    if state is not None:
        raise AlreadyExists("this branch already exists", field="branch_id")
    _check_level_of_type(command.branch_type, command.level, catalog)
    _check_base(command, catalog)
    _check_parent(command.branch_id, command.level, command.county_code, command.parent_id,
                  parent, catalog)
    return [ev.new_event(ev.BRANCH_ESTABLISHED, {
        "name": command.name,
        "branch_type": command.branch_type,
        "level": command.level,
        "county_code": command.county_code,
        "parent_id": command.parent_id,
        "former_employer": command.former_employer,
        "community": command.community,
        "secretary_ref": command.secretary_ref,
        "liaison_ref": command.liaison_ref,
        "established_on": command.established_on.isoformat(),
    })]


def rename(state: Branch | None, command: cmd.RenameBranch) -> list[NewEvent]:
    current = _active(state, "rename")
    if command.name == current.name:
        return []
    return [ev.new_event(ev.BRANCH_RENAMED, {
        "name": command.name, "previous_name": current.name,
    })]


def change_officers(state: Branch | None, command: cmd.ChangeOfficers) -> list[NewEvent]:
    """Records the posts in `command.officer_refs` (the service seals only the names that
    changed) whose reference differs from the one held; None leaves a post vacant."""
    current = _active(state, "change the officers of")
    changes = {f"{post}_ref": ref for post, ref in command.officer_refs.items()
               if ref != getattr(current, f"{post}_ref")}
    return [ev.new_event(ev.BRANCH_OFFICERS_CHANGED, changes)] if changes else []


def move(state: Branch | None, command: cmd.MoveBranch, parent: Branch | None,
         parent_ancestors: Sequence[str], catalog: BranchCatalog) -> list[NewEvent]:
    """Re-parent a branch. `parent_ancestors`: ids above the new parent, nearest first."""
    current = _active(state, "move")
    branch_id, parent_id = command.branch_id, command.parent_id
    if parent_id == current.parent_id:
        return []
    if branch_id in parent_ancestors:
        raise DomainRuleViolated("the new parent sits below this branch: that is a cycle",
                                 field="parent_id")
    _check_parent(branch_id, current.level, current.county_code, parent_id, parent, catalog)
    return [ev.new_event(ev.BRANCH_MOVED, {
        "parent_id": parent_id, "previous_parent_id": current.parent_id,
    })]


def add_member(state: Branch | None, command: cmd.AddMember, volunteer_status: str | None,
               volunteer_county: str | None = None) -> list[NewEvent]:
    """`volunteer_status` is the volunteer's current status, None if no such volunteer;
    `volunteer_county` their county: a branch takes members of its own county only."""
    current = _active(state, "add members to")
    volunteer_id = command.volunteer_id
    if volunteer_status is None:
        raise NotFound("no such volunteer", field="volunteer_id")
    if volunteer_county is not None and volunteer_county != current.county_code:
        raise DomainRuleViolated("a branch takes members of its own county; another "
                                 "county's volunteer is transferred first", field="volunteer_id")
    if volunteer_status not in JOINABLE_STATUSES:
        raise DomainRuleViolated(f"a {volunteer_status} volunteer cannot join a branch",
                                 field="volunteer_id", status=volunteer_status)
    if volunteer_id in current.members:
        raise AlreadyExists("the volunteer is already a member", field="volunteer_id")
    return [ev.new_event(ev.MEMBER_ADDED, {"volunteer_id": volunteer_id})]


def remove_member(state: Branch | None, command: cmd.RemoveMember) -> list[NewEvent]:
    current = _active(state, "remove members from")
    volunteer_id = command.volunteer_id
    if volunteer_id not in current.members:
        raise NotFound("the volunteer is not a member", field="volunteer_id")
    return [ev.new_event(ev.MEMBER_REMOVED, {
        "volunteer_id": volunteer_id, "reason": command.reason,
    })]


def move_member(state: Branch | None, command: cmd.MoveMember, target: Branch | None,
                volunteer_county: str | None = None) -> list[NewEvent]:
    """A member moves to `target` (the folded state of `to_branch_id`), which must be an
    active branch of the volunteer's county; the target then records its side of the
    move through `receive_member`."""
    current = _active(state, "move members of")
    volunteer_id, to = command.volunteer_id, command.to_branch_id
    if volunteer_id not in current.members:
        raise NotFound("the volunteer is not a member", field="volunteer_id")
    if to == command.branch_id:
        raise DomainRuleViolated("the member is in this branch already", field="to_branch_id")
    if target is None:
        raise NotFound("no such branch to move to", field="to_branch_id")
    if not target.is_active:
        raise DomainRuleViolated(f"cannot move a member to a {target.status} branch",
                                 field="to_branch_id", status=target.status)
    county = volunteer_county or current.county_code
    if target.county_code != county:
        raise DomainRuleViolated("a branch takes members of its own county; another "
                                 "county's volunteer is transferred first",
                                 field="to_branch_id")
    if volunteer_id in target.members:
        raise AlreadyExists("the volunteer is a member of that branch already",
                            field="to_branch_id")
    return [_move_of(command.move_id, volunteer_id, command.branch_id, to, "out")]


def receive_member(state: Branch | None, move_id: str, volunteer_id: str,
                   from_branch_id: str, to_branch_id: str) -> list[NewEvent]:
    """The target's side of a move; a move received already records nothing (a retry,
    the sweep)."""
    current = _active(state, "move members into")
    if move_id in current.moves_in:
        return []
    return [_move_of(move_id, volunteer_id, from_branch_id, to_branch_id, "in")]


def _move_of(move_id: str, volunteer_id: str, from_branch_id: str, to_branch_id: str,
             side: str) -> NewEvent:
    return ev.new_event(ev.MEMBER_MOVED, {"move_id": move_id, "volunteer_id": volunteer_id,
                                          "from_branch_id": from_branch_id,
                                          "to_branch_id": to_branch_id, "side": side})


def merge(state: Branch | None, command: cmd.MergeBranch, target: Branch | None,
          active_children: Collection[str] = ()) -> list[NewEvent]:
    """Merge this branch into `target` (the folded state of `into_branch_id`).

    The target then records `BranchAbsorbed` through `absorb`, fed from `BranchMerged`.
    """
    current = _closable(state, "merge", active_children)
    into = command.into_branch_id
    if into == command.branch_id:
        raise DomainRuleViolated("a branch cannot merge into itself", field="into_branch_id")
    if target is None:
        raise NotFound("no such branch to merge into", field="into_branch_id")
    if not target.is_active:
        raise DomainRuleViolated(f"cannot merge into a {target.status} branch",
                                 field="into_branch_id")
    if (target.level, target.county_code) != (current.level, current.county_code):
        raise DomainRuleViolated("a branch merges only into one of the same level and county",
                                 field="into_branch_id", level=current.level,
                                 target_level=target.level)
    return [ev.new_event(ev.BRANCH_MERGED, {
        "into_branch_id": into,
        "reason": command.reason,
        "members": sorted(current.members),
        "merged_on": command.merged_on.isoformat(),
    })]


def absorb(state: Branch | None, source: str, members: Iterable[str]) -> list[NewEvent]:
    """The target's side of a merge: the merged branch `source` and its `members`, as its
    `BranchMerged` event says. Absorbing the same branch twice records nothing."""
    current = _active(state, "absorb into")
    if source in current.absorbed_from:
        return []
    newcomers = sorted(set(members) - current.members)
    return [ev.new_event(ev.BRANCH_ABSORBED, {"from_branch_id": source, "members": newcomers})]


def dissolve(state: Branch | None, command: cmd.DissolveBranch,
             active_children: Collection[str] = ()) -> list[NewEvent]:
    _closable(state, "dissolve", active_children)
    return [ev.new_event(ev.BRANCH_DISSOLVED, {
        "reason": command.reason,
        "dissolved_on": command.dissolved_on.isoformat(),
    })]


# --- state ------------------------------------------------------------------------------



def _established(data: Mapping[str, Any]) -> Branch:
    return Branch(
        name=data["name"],
        branch_type=data["branch_type"],
        level=data["level"],
        county_code=data["county_code"],
        parent_id=data.get("parent_id"),
        established_on=date.fromisoformat(data["established_on"]),
        former_employer=data.get("former_employer"),
        community=data.get("community"),
        secretary_ref=data.get("secretary_ref"),
        liaison_ref=data.get("liaison_ref"),
    )


def _renamed(state: Branch, data: Mapping[str, Any]) -> Branch:
    return replace(state, name=data["name"])


def _officers_changed(state: Branch, data: Mapping[str, Any]) -> Branch:
    return replace(state, **{f"{name}_ref": data[f"{name}_ref"] for name in OFFICERS
                             if f"{name}_ref" in data})


def _moved(state: Branch, data: Mapping[str, Any]) -> Branch:
    return replace(state, parent_id=data["parent_id"])


def _member_added(state: Branch, data: Mapping[str, Any]) -> Branch:
    return replace(state, members=state.members | {data["volunteer_id"]})


def _member_removed(state: Branch, data: Mapping[str, Any]) -> Branch:
    return replace(state, members=state.members - {data["volunteer_id"]},
                   member_merges=_unclaimed(state.member_merges, data["volunteer_id"]))


def _unclaimed(merges: Mapping[str, MemberMerge], volunteer_id: str
               ) -> Mapping[str, MemberMerge]:
    """A survivor who left after a merge made them a member: an undo no longer owes
    their leaving (they may come back by a join of their own)."""
    if not any(m.survivor_id == volunteer_id and m.survivor_joined for m in merges.values()):
        return merges
    return {merge_id: replace(m, survivor_joined=False) if m.survivor_id == volunteer_id
            else m for merge_id, m in merges.items()}


def _member_moved(state: Branch, data: Mapping[str, Any]) -> Branch:
    volunteer, move = data["volunteer_id"], data["move_id"]
    if data["side"] == "in":
        return replace(state, members=state.members | {volunteer},
                       moves_in=state.moves_in | {move})
    return replace(state, members=state.members - {volunteer},
                   moves_out={**state.moves_out, move: (volunteer, data["to_branch_id"])},
                   member_merges=_unclaimed(state.member_merges, volunteer))


def _member_records_merged(state: Branch, data: Mapping[str, Any]) -> Branch:
    duplicate, survivor, joined = (data["duplicate_id"], data["survivor_id"],
                                   data["outcome"] == "joined")
    members = state.members - {duplicate}
    return replace(state, members=members | {survivor} if joined else members,
                   member_merges={**state.member_merges, data["merge_id"]: MemberMerge(
                       duplicate, survivor, joined)})


def _member_records_unmerged(state: Branch, data: Mapping[str, Any]) -> Branch:
    merge_id, duplicate, survivor = data["merge_id"], data["duplicate_id"], data["survivor_id"]
    undone = state.member_merges.get(merge_id)
    merges = {key: m for key, m in state.member_merges.items() if key != merge_id}
    if undone is not None and undone.survivor_joined and not data["survivor_left"]:
        # the survivor stays for another merge in force: that one now owes their leaving
        heir = next((key for key, m in merges.items() if m.survivor_id == survivor), None)
        if heir is not None:
            merges[heir] = replace(merges[heir], survivor_joined=True)
    members = state.members | {duplicate} if data["duplicate_rejoined"] else state.members
    return replace(state, members=members - {survivor} if data["survivor_left"] else members,
                   member_merges=merges, merges_undone=state.merges_undone | {merge_id})


def _merged(state: Branch, data: Mapping[str, Any]) -> Branch:
    return replace(state, status=MERGED, merged_into=data["into_branch_id"],
                   members=frozenset(), closed_on=date.fromisoformat(data["merged_on"]))


def _absorbed(state: Branch, data: Mapping[str, Any]) -> Branch:
    return replace(state, members=state.members | set(data["members"]),
                   absorbed_from=state.absorbed_from | {data["from_branch_id"]})


def _dissolved(state: Branch, data: Mapping[str, Any]) -> Branch:
    return replace(state, status=DISSOLVED, closed_on=date.fromisoformat(data["dissolved_on"]))


_APPLIERS = {
    ev.BRANCH_ESTABLISHED: lambda _state, data: _established(data),
    ev.BRANCH_RENAMED: _renamed,
    ev.BRANCH_OFFICERS_CHANGED: _officers_changed,
    ev.BRANCH_MOVED: _moved,
    ev.MEMBER_ADDED: _member_added,
    ev.MEMBER_REMOVED: _member_removed,
    ev.MEMBER_MOVED: _member_moved,
    ev.BRANCH_MERGED: _merged,
    ev.BRANCH_ABSORBED: _absorbed,
    ev.BRANCH_DISSOLVED: _dissolved,
    ev.MEMBER_RECORDS_MERGED: _member_records_merged,
    ev.MEMBER_RECORDS_UNMERGED: _member_records_unmerged,
}
_FOLD = fold.Fold("branch", ev.BRANCH_ESTABLISHED, _APPLIERS)
evolve, replay = _FOLD.evolve, _FOLD.replay


# --- rules ------------------------------------------------------------------------------


def _check_level_of_type(branch_type: str, level: str, catalog: BranchCatalog) -> None:
    if level not in catalog.branch_types[branch_type].levels:
        raise DomainRuleViolated(
            f"a {catalog.branch_types[branch_type].label} body cannot be a "
            f"{catalog.structure_levels[level].label}", field="level",
            allowed=list(catalog.branch_types[branch_type].levels),
        )


def _check_base(command: cmd.EstablishBranch, catalog: BranchCatalog) -> None:
    """A formal (建制性) 支部 is set up by a former employer or a community: it names one."""
    formal = catalog.branch_types[command.branch_type].formal
    certifiable = catalog.structure_levels[command.level].certifiable
    if formal and certifiable and not (command.former_employer or command.community):
        raise DomainRuleViolated("a formal branch names its former employer or its community",
                                 field="former_employer")


def _check_parent(branch_id: str, level: str, county_code: str, parent_id: str | None,
                  parent: Branch | None, catalog: BranchCatalog) -> None:
    rules = catalog.structure_levels[level]
    if parent_id is None:
        if not rules.top_level:
            allowed = "、".join(catalog.structure_levels[p].label for p in rules.parents)
            raise DomainRuleViolated(f"a {rules.label} must sit under a {allowed}",
                                     field="parent_id", allowed=list(rules.parents))
        return
    if parent_id == branch_id:
        raise DomainRuleViolated("a branch cannot be its own parent", field="parent_id")
    if parent is None:
        raise NotFound("no such parent branch", field="parent_id")
    if not parent.is_active:
        raise DomainRuleViolated(f"the parent branch is {parent.status}", field="parent_id")
    if parent.level not in rules.parents:
        raise DomainRuleViolated(
            f"a {rules.label} cannot sit under a {catalog.structure_levels[parent.level].label}",
            field="parent_id", parent_level=parent.level, allowed=list(rules.parents),
        )
    if parent.county_code != county_code:
        raise DomainRuleViolated("a branch sits under a parent of its own county",
                                 field="county_code", parent_county=parent.county_code)


def _active(state: Branch | None, action: str) -> Branch:
    if state is None:
        raise NotFound("no such branch", field="branch_id")
    if not state.is_active:
        raise DomainRuleViolated(f"cannot {action} a {state.status} branch", field="branch_id")
    return state


def _closable(state: Branch | None, action: str, active_children: Collection[str]) -> Branch:
    current = _active(state, action)
    if active_children:
        raise DomainRuleViolated(
            f"cannot {action} a branch with active bodies under it; "
            "move, merge or dissolve them first", field="branch_id",
            children=sorted(active_children),
        )
    return current

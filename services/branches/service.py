"""The branches service: retiree party branches in four levels, their members, their
certification ladder (达标 → 县级示范 → 市级示范 → 省级示范) with re-reviews, and
party-building brands with the annual top ten.

It learns who may join a branch from the volunteers service's events (a local directory).
RPC methods take one payload dict, loaded once into its command (`handlers.COMMANDS`), and
answer plain JSON-ready data; errors are the typed errors of yinfa.errors. `health`,
`events_after` and `rebuild_views` come from `EventSourcedService`.
"""
from __future__ import annotations

from typing import Any

from nameko.timer import timer

from contracts.branches.streams import build_registry
from services.branches import brand_queries, handlers, member_merges, queries
from services.branches.dependencies import configured_timer
from services.branches.directory import KnowsVolunteers
from services.branches.domain import commands
from services.branches.domain.dates import local_date
from services.branches.views import VIEWS
from yinfa.secrets import MASTER_KEY
from yinfa.service.base import EventSourcedService
from yinfa.service.clock import Clock, ClockProvider
from yinfa.service.dependencies import EventSourcedStreams, EventSourcing
from yinfa.service.rpc import rpc
from yinfa.service.secrets import RequiredSecrets


def branch_command(command_type: type, **context: Any) -> Any:
    """The RPC method of a command on a branch: it answers the branch."""
    return handlers.COMMANDS.entrypoint(command_type, _branch_of, **context)


def certification_command(command_type: type) -> Any:
    """The RPC method of a command on a certification: it answers the branch's history."""
    return handlers.COMMANDS.entrypoint(
        command_type, lambda service, branch_id: queries.certification_history(
            service.streams.views, branch_id))


def brand_command(command_type: type) -> Any:
    return handlers.COMMANDS.entrypoint(
        command_type, lambda service, branch_id: _branch_of(service, branch_id)["brand"])


def _branch_of(service: BranchesService, branch_id: str) -> dict[str, Any]:
    return service.get_branch(branch_id)


class BranchesService(KnowsVolunteers, EventSourcedService):
    name = "branches"

    streams: EventSourcedStreams = EventSourcing(build_registry(), VIEWS)
    clock: Clock = ClockProvider()
    secrets = RequiredSecrets(MASTER_KEY)  # people's names are sealed (dependencies.py)

    # ---- branches ----------------------------------------------------------------------

    establish_branch = branch_command(commands.EstablishBranch)
    rename_branch = branch_command(commands.RenameBranch)
    change_officers = branch_command(commands.ChangeOfficers)
    move_branch = branch_command(commands.MoveBranch)
    add_member = branch_command(commands.AddMember, directory=KnowsVolunteers._directory)
    remove_member = branch_command(commands.RemoveMember)
    # to another branch, history kept: answers the branch the member left
    move_member = branch_command(commands.MoveMember, directory=KnowsVolunteers._directory)
    merge_branch = branch_command(commands.MergeBranch)
    dissolve_branch = branch_command(commands.DissolveBranch)

    # ---- certification -------------------------------------------------------------------

    apply_for_certification = certification_command(commands.ApplyForCertification)
    review_item = certification_command(commands.ReviewItem)
    review_items = certification_command(commands.ReviewItems)  # all or none
    grant_certification = certification_command(commands.GrantCertification)
    refuse_certification = certification_command(commands.RefuseCertification)
    pass_review = certification_command(commands.PassReview)
    fail_review = certification_command(commands.FailReview)
    revoke_certification = certification_command(commands.RevokeCertification)

    @configured_timer("REVIEW_TIMER_SECONDS", 60)
    def record_due_reviews(self) -> int:
        """Re-reviews fallen due and expiries, once per date however often this fires."""
        return handlers.fall_due(self.streams, self.clock.now())

    # ---- brands --------------------------------------------------------------------------

    apply_brand = brand_command(commands.ApplyForBrand)
    review_brand = brand_command(commands.ReviewBrand)

    @rpc
    def select_top_brands(self, payload: dict[str, Any]) -> dict[str, Any]:
        selection = handlers.COMMANDS.handle(self.streams, commands.SelectTopBrands, payload)
        return {
            "year": payload["year"],
            "selected": [{**self._brand_of(branch_id), "rank": rank}
                         for branch_id, rank in selection.ranked],
            "tied_out": list(selection.tied_out),
        }

    # ---- queries -------------------------------------------------------------------------

    @rpc
    def get_branch(self, branch_id: str) -> dict[str, Any]:
        return queries.get_branch(self.streams.views, branch_id, self._today())

    @rpc
    def list_branches(self, county_code=None, level=None, branch_type=None, status=None,
                      certification_level=None, parent_id=None, limit=100, offset=0) -> dict:
        return queries.list_branches(self.streams.views, self._today(), county_code, level,
                                     branch_type, status, certification_level, parent_id,
                                     limit, offset)

    @rpc
    def coverage(self) -> list[dict[str, Any]]:
        return queries.coverage(self.streams.views, self._today())

    @rpc
    def demonstration_branches(self) -> dict[str, Any]:
        return queries.demonstration_branches(self.streams.views, self._today())

    @rpc
    def certification_history(self, branch_id: str) -> dict[str, Any]:
        return queries.certification_history(self.streams.views, branch_id)

    @rpc
    def list_brands(self, county_code=None, year=None, status=None, q=None, limit=100,
                    offset=0, theme=None) -> dict[str, Any]:
        return brand_queries.list_brands(self.streams.views, county_code, year, status, q,
                                         limit, offset, theme=theme)

    @rpc
    def get_brand(self, branch_id: str) -> dict[str, Any]:
        return brand_queries.get_brand(self.streams.views, branch_id)

    @rpc
    def top_brands(self, year: int) -> dict[str, Any]:
        return brand_queries.top_brands(self.streams.views, int(year))

    # ---- upkeep --------------------------------------------------------------------------

    @timer(interval=60)
    def complete_merges(self) -> int:
        return handlers.complete_merges(self.streams)

    @timer(interval=60)
    def complete_member_moves(self) -> int:
        return handlers.complete_member_moves(self.streams)

    @configured_timer("MERGE_SWEEP_SECONDS", 5)
    def follow_merged_records(self) -> int:
        """Memberships follow a merge of two records of one person, and its undo
        (member_merges.py)."""
        return member_merges.sweep(self.streams, self.inbox.db)

    # ---- helpers -------------------------------------------------------------------------

    def _today(self) -> str:
        return local_date(self.clock.now()).isoformat()

    def _brand_of(self, branch_id: str) -> dict[str, Any]:
        branch = self.get_branch(branch_id)
        return {"branch_id": branch_id, "branch_name": branch["name"],
                "county_code": branch["county_code"], "brand": branch["brand"]["name"]}

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
from services.branches import handlers, queries
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


class BranchesService(KnowsVolunteers, EventSourcedService):
    name = "branches"

    streams: EventSourcedStreams = EventSourcing(build_registry(), VIEWS)
    clock: Clock = ClockProvider()
    secrets = RequiredSecrets(MASTER_KEY)  # people's names are sealed (dependencies.py)

    # ---- branches ----------------------------------------------------------------------

    @rpc
    def establish_branch(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self.get_branch(self._handle(commands.EstablishBranch, payload))

    @rpc
    def rename_branch(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self.get_branch(self._handle(commands.RenameBranch, payload))

    @rpc
    def change_officers(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self.get_branch(self._handle(commands.ChangeOfficers, payload))

    @rpc
    def move_branch(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self.get_branch(self._handle(commands.MoveBranch, payload))

    @rpc
    def add_member(self, payload: dict[str, Any]) -> dict[str, Any]:
        directory = self._directory()
        return self.get_branch(self._handle(commands.AddMember, payload, directory=directory))

    @rpc
    def remove_member(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self.get_branch(self._handle(commands.RemoveMember, payload))

    @rpc
    def merge_branch(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self.get_branch(self._handle(commands.MergeBranch, payload))

    @rpc
    def dissolve_branch(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self.get_branch(self._handle(commands.DissolveBranch, payload))

    # ---- certification -------------------------------------------------------------------

    @rpc
    def apply_for_certification(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._certification_command(commands.ApplyForCertification, payload)

    @rpc
    def review_item(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._certification_command(commands.ReviewItem, payload)

    @rpc
    def review_items(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Many item decisions at once: `items` = [{item, met, note}], all or none."""
        return self._certification_command(commands.ReviewItems, payload)

    @rpc
    def grant_certification(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._certification_command(commands.GrantCertification, payload)

    @rpc
    def refuse_certification(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._certification_command(commands.RefuseCertification, payload)

    @rpc
    def pass_review(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._certification_command(commands.PassReview, payload)

    @rpc
    def fail_review(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._certification_command(commands.FailReview, payload)

    @rpc
    def revoke_certification(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._certification_command(commands.RevokeCertification, payload)

    @configured_timer("REVIEW_TIMER_SECONDS", 60)
    def record_due_reviews(self) -> int:
        """Re-reviews fallen due and expiries, once per date however often this fires."""
        return handlers.fall_due(self.streams, self.clock.now())

    # ---- brands --------------------------------------------------------------------------

    @rpc
    def apply_brand(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self.get_branch(self._handle(commands.ApplyForBrand, payload))["brand"]

    @rpc
    def review_brand(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self.get_branch(self._handle(commands.ReviewBrand, payload))["brand"]

    @rpc
    def select_top_brands(self, payload: dict[str, Any]) -> dict[str, Any]:
        selection = self._handle(commands.SelectTopBrands, payload)
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

    # ---- upkeep --------------------------------------------------------------------------

    @timer(interval=60)
    def complete_merges(self) -> int:
        return handlers.complete_merges(self.streams)

    # ---- helpers -------------------------------------------------------------------------

    def _today(self) -> str:
        return local_date(self.clock.now()).isoformat()

    def _handle(self, command_type: type, payload: Any, **context: Any) -> Any:
        return handlers.COMMANDS.handle(self.streams, command_type, payload, **context)

    def _certification_command(self, command_type: type, payload: Any) -> dict[str, Any]:
        return queries.certification_history(self.streams.views,
                                             self._handle(command_type, payload))

    def _brand_of(self, branch_id: str) -> dict[str, Any]:
        branch = self.get_branch(branch_id)
        return {"branch_id": branch_id, "branch_name": branch["name"],
                "county_code": branch["county_code"], "brand": branch["brand"]["name"]}

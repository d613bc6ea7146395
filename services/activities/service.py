"""The activities service: five-theme activities, sign-ups, check-in, completion, wishes.

It learns who may serve from the volunteers service's events (a local directory) and
announces completions (`ActivityCompleted`, `CompletionCorrected`), which the volunteers
service turns into ledger entries.
"""
from __future__ import annotations

from typing import Any

from nameko.timer import timer

from contracts.activities.streams import build_registry
from services.activities import handlers, queries
from services.activities.directory import KnowsVolunteers
from services.activities.domain import commands
from services.activities.views import VIEWS
from yinfa.secrets import MASTER_KEY
from yinfa.service.base import EventSourcedService
from yinfa.service.clock import Clock, ClockProvider
from yinfa.service.dependencies import EventSourcedStreams, EventSourcing
from yinfa.service.rpc import rpc
from yinfa.service.secrets import RequiredSecrets


class ActivitiesService(KnowsVolunteers, EventSourcedService):
    name = "activities"

    streams: EventSourcedStreams = EventSourcing(build_registry(), VIEWS)
    clock: Clock = ClockProvider()
    secrets = RequiredSecrets(MASTER_KEY)  # wishes' descriptions are sealed (dependencies.py)

    # ---- activities -------------------------------------------------------------------

    @rpc
    def publish_activity(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._activity(commands.PublishActivity, payload)

    @rpc
    def cancel_publication(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._activity(commands.CancelPublication, payload)

    @rpc
    def cancel_activity(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._activity(commands.CancelActivity, payload)

    @rpc
    def sign_up(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._activity(commands.SignUp, payload, directory=self._directory())

    @rpc
    def withdraw_sign_up(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._activity(commands.WithdrawSignUp, payload)

    @rpc
    def issue_check_in_code(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._activity(commands.IssueCheckInCode, payload)

    @rpc
    def check_in(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._activity(commands.CheckIn, payload)

    @rpc
    def check_out(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._activity(commands.CheckOut, payload)

    @rpc
    def complete_activity(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._activity(commands.CompleteActivity, payload)

    @rpc
    def correct_completion(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._activity(commands.CorrectCompletion, payload)

    # ---- micro-wishes --------------------------------------------------------------------

    @rpc
    def post_wish(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._wish(commands.PostWish, payload)

    @rpc
    def claim_wish(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._wish(commands.ClaimWish, payload, directory=self._directory())

    @rpc
    def release_wish_claim(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._wish(commands.ReleaseWishClaim, payload)

    @rpc
    def fulfil_wish(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._wish(commands.FulfilWish, payload)

    @rpc
    def confirm_wish(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._wish(commands.ConfirmWish, payload)

    @timer(interval=60)
    def expire_wishes(self) -> int:
        return handlers.expire_wishes(self.streams, self.clock.now())

    @rpc
    def expire_due_wishes(self) -> int:
        """What the timer does, on request (operations, the demo)."""
        return self.expire_wishes()

    # ---- queries -----------------------------------------------------------------------

    @rpc
    def get_activity(self, activity_id: str) -> dict[str, Any]:
        return queries.get_activity(self.streams.views, activity_id)

    @rpc
    def list_activities(self, county_code=None, theme=None, status=None, limit=100, offset=0):
        return queries.list_activities(self.streams.views, county_code, theme, status,
                                       limit, offset)

    @rpc
    def get_wish(self, wish_id: str) -> dict[str, Any]:
        return queries.get_wish(self.streams.views, wish_id)

    @rpc
    def list_wishes(self, county_code=None, status=None, limit=100, offset=0):
        return queries.list_wishes(self.streams.views, county_code, status, limit, offset)

    @rpc
    def directory_size(self) -> int:
        """How many volunteers this service has heard of (the replica's progress)."""
        return self._directory().volunteers.count_documents({"registered": True})

    @rpc
    def county_summary(self) -> dict[str, dict[str, Any]]:
        return queries.county_summary(self.streams.views)

    # ---- helpers ------------------------------------------------------------------------

    def _handle(self, command_type: type, payload: Any, **context: Any) -> Any:
        """Load the payload once as a command of its type, then run the type's handler."""
        return handlers.COMMANDS.handle(self.streams, command_type, payload, **context)

    def _activity(self, command_type: type, payload: Any, **context: Any) -> dict[str, Any]:
        return queries.get_activity(self.streams.views,
                                    self._handle(command_type, payload, **context))

    def _wish(self, command_type: type, payload: Any, **context: Any) -> dict[str, Any]:
        return queries.get_wish(self.streams.views,
                                self._handle(command_type, payload, **context))

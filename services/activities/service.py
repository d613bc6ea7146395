"""The activities service: five-theme activities, sign-ups, check-in, completion, wishes.

It learns who may serve from the volunteers service's events (a local directory) and
announces completions (`ActivityCompleted`, `CompletionCorrected`), which the volunteers
service turns into ledger entries.
"""
from __future__ import annotations

from typing import Any

from nameko.timer import timer

from contracts.activities.streams import build_registry
from services.activities import handlers, insurance, merged_sign_ups, queries, trends
from services.activities.directory import KnowsVolunteers
from services.activities.domain import commands
from services.activities.views import VIEWS
from yinfa.secrets import MASTER_KEY
from yinfa.service.base import EventSourcedService
from yinfa.service.clock import Clock, ClockProvider
from yinfa.service.dependencies import EventSourcedStreams, EventSourcing
from yinfa.service.rpc import rpc
from yinfa.service.secrets import RequiredSecrets


def activity_command(command_type: type, **context: Any) -> Any:
    """The RPC method of a command on an activity: it answers the activity."""
    return handlers.COMMANDS.entrypoint(command_type, lambda service, activity_id:
                                        queries.get_activity(service.streams.views,
                                                             activity_id), **context)


def wish_command(command_type: type, **context: Any) -> Any:
    """The RPC method of a command on a wish: it answers the wish."""
    return handlers.COMMANDS.entrypoint(command_type, lambda service, wish_id:
                                        queries.get_wish(service.streams.views, wish_id),
                                        **context)


class ActivitiesService(KnowsVolunteers, EventSourcedService):
    name = "activities"

    streams: EventSourcedStreams = EventSourcing(build_registry(), VIEWS)
    clock: Clock = ClockProvider()
    secrets = RequiredSecrets(MASTER_KEY)  # wishes' descriptions are sealed (dependencies.py)

    # ---- activities -------------------------------------------------------------------

    publish_activity = activity_command(commands.PublishActivity)
    cancel_publication = activity_command(commands.CancelPublication)
    cancel_activity = activity_command(commands.CancelActivity)
    sign_up = activity_command(commands.SignUp, directory=KnowsVolunteers._directory)
    withdraw_sign_up = activity_command(commands.WithdrawSignUp)
    issue_check_in_code = activity_command(commands.IssueCheckInCode)
    check_in = activity_command(commands.CheckIn)
    check_out = activity_command(commands.CheckOut)
    complete_activity = activity_command(commands.CompleteActivity)
    correct_completion = activity_command(commands.CorrectCompletion)

    # ---- micro-wishes --------------------------------------------------------------------

    post_wish = wish_command(commands.PostWish)
    claim_wish = wish_command(commands.ClaimWish, directory=KnowsVolunteers._directory)
    release_wish_claim = wish_command(commands.ReleaseWishClaim)
    fulfil_wish = wish_command(commands.FulfilWish)
    confirm_wish = wish_command(commands.ConfirmWish)

    @timer(interval=5)
    def keep_one_sign_up_of_merged_records(self) -> int:
        """A sign-up on two records of one person keeps one (merged_sign_ups.py)."""
        return merged_sign_ups.sweep(self.streams, self.inbox.db)

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
    def list_activities(self, county_code=None, theme=None, status=None, limit=100, offset=0,
                        branch_id=None):
        return queries.list_activities(self.streams.views, county_code, theme, status,
                                       limit, offset, branch_id=branch_id)

    @rpc
    def uninsured_sign_ups(self, county_code: str | None = None) -> list[dict[str, Any]]:
        """Uninsured volunteers signed up for activities that take insured ones only."""
        return insurance.uninsured_sign_ups(self.streams.views, self._directory(),
                                            county_code)

    @rpc
    def activity_facts(self, activity_ids: list[str]) -> dict[str, dict[str, str]]:
        """Kind and theme of each of these activities (a transfer package tells them)."""
        return queries.activity_facts(self.streams.views, [str(a) for a in activity_ids])

    @rpc
    def get_wish(self, wish_id: str) -> dict[str, Any]:
        return queries.get_wish(self.streams.views, wish_id)

    @rpc
    def list_wishes(self, county_code=None, status=None, limit=100, offset=0, branch_id=None):
        return queries.list_wishes(self.streams.views, county_code, status, limit, offset,
                                   branch_id=branch_id)

    @rpc
    def directory_size(self) -> int:
        """How many volunteers this service has heard of (the replica's progress)."""
        return self._directory().volunteers.count_documents({"registered": True})

    @rpc
    def county_summary(self) -> dict[str, dict[str, Any]]:
        return queries.county_summary(self.streams.views)

    @rpc
    def county_trends(self, county_code: str, as_of: Any = None) -> dict[str, Any]:
        """Live, or as of an instant: the events recorded by then."""
        return trends.county_trends(self.streams.views, self.streams.store, str(county_code),
                                    trends.parse_as_of(as_of))

    @rpc
    def wish_funnel(self, county_code: str, as_of: Any = None) -> dict[str, Any]:
        return trends.wish_funnel(self.streams.views, self.streams.store, str(county_code),
                                  trends.parse_as_of(as_of))

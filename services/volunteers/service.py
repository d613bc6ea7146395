"""The volunteers service: registration, verification, teams, the hours ledger, stars.

RPC methods take one payload dict (validated by the command schemas) and answer plain
JSON-ready data; errors are the typed errors of yinfa.errors.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nameko.timer import timer

from contracts.volunteers.streams import build_registry
from services.volunteers import (
    handlers,
    merge_queries,
    queries,
    recognition_queries,
    talent_queries,
    transfer_queries,
    transfers,
)
from services.volunteers.activity_facts import ActivityFacts
from services.volunteers.domain import commands, nomination, talent
from services.volunteers.handlers import COMPLETED, CORRECTED
from services.volunteers.views import VIEWS
from yinfa.events.envelope import RecordedEvent
from yinfa.messaging.inbox import Inbox
from yinfa.secrets import ID_SECRET, MASTER_KEY
from yinfa.service.base import EventSourcedService
from yinfa.service.dependencies import EventSourcedStreams, EventSourcing, InboxProvider
from yinfa.service.rpc import rpc
from yinfa.service.secrets import RequiredSecrets
from yinfa.service.subscriptions import every_event_of

# The activities service announces who served how long; the ledger records it.
ACTIVITIES = "activities"
LEDGER_EVENTS = {COMPLETED, CORRECTED}.__contains__  # the ledger's; others move cursors


def answering(field: str, query: Callable[[Any, str], dict[str, Any]]
              ) -> Callable[[type], Any]:
    """RPC methods of commands that answer `query` of the id in the payload's `field`."""
    def entrypoint(command_type: type) -> Any:
        def method(service: VolunteersService, payload: dict[str, Any]) -> dict[str, Any]:
            service._handle(command_type, payload)
            return query(service.streams.views, str(payload[field]))
        return rpc(method)
    return entrypoint


volunteer_command = answering("volunteer_id", queries.get_volunteer)
team_command = answering("team_id", queries.get_team)
certificate_command = answering("code", queries.get_certificate)


def transfer_command(command_type: type) -> Any:
    return handlers.COMMANDS.entrypoint(command_type, lambda service, transfer_id:
                                        transfer_queries.get_transfer(service.streams.views,
                                                                      transfer_id))


class VolunteersService(EventSourcedService):
    name = "volunteers"

    streams: EventSourcedStreams = EventSourcing(build_registry(), VIEWS)
    inbox: Inbox = InboxProvider(source=ACTIVITIES)
    activity_facts = ActivityFacts()  # kinds and themes, for transfer packages
    secrets = RequiredSecrets(ID_SECRET, MASTER_KEY)

    # ---- commands ---------------------------------------------------------------

    @rpc
    def register_volunteer(self, payload: dict[str, Any], within_county: str | None = None
                           ) -> dict[str, Any]:
        """With `within_county`, a person registered in another county is refused as out
        of scope, not answered "already registered" (which would tell that they are)."""
        done = self._handle(commands.RegisterVolunteer, payload, within_county=within_county)
        if done.person is not None and done.events and done.events[0].version == 1:
            return queries.registered(done.events, done.person)  # as read back, unread
        return queries.get_volunteer(self.streams.views, done.volunteer_id)

    @rpc
    def register_volunteers(self, payloads: list[Any], within_county: str | None = None
                            ) -> dict[str, Any]:
        """A roster: each item registered or answered on its own (created, exists,
        invalid with its errors), in order; the store is written once for all. With
        `within_county`, a person registered in another county is answered refused."""
        return self._handle(commands.RegisterVolunteers, {"items": payloads},
                            within_county=within_county)

    verify_volunteer = volunteer_command(commands.VerifyVolunteer)
    suspend_volunteer = volunteer_command(commands.SuspendVolunteer)
    reinstate_volunteer = volunteer_command(commands.ReinstateVolunteer)
    withdraw_volunteer = volunteer_command(commands.WithdrawVolunteer)
    return_volunteer = volunteer_command(commands.ReturnVolunteer)  # after a withdrawal
    erase_volunteer = volunteer_command(commands.EraseVolunteer)
    update_profile = volunteer_command(commands.UpdateProfile)
    correct_record = volunteer_command(commands.CorrectRecord)  # name, gender, birth, ID
    # merging duplicates: the outcome names the merge, which its undo takes (merges.py)
    merge_volunteers = handlers.COMMANDS.entrypoint(commands.MergeVolunteers)
    undo_merge = handlers.COMMANDS.entrypoint(commands.UndoMerge)

    @rpc
    def get_merge(self, merge_id: str) -> dict[str, Any]:
        return merge_queries.get_merge(self.streams.views, str(merge_id))
    record_hours = volunteer_command(commands.RecordHours)
    record_hours_batch = volunteer_command(commands.RecordHoursBatch)  # all or none
    correct_hours = volunteer_command(commands.CorrectHours)
    approve_star_level = volunteer_command(commands.ApproveStarLevel)  # 认定
    return_star_level = volunteer_command(commands.ReturnStarLevel)
    # a new certificate's code is the schema's choice: the handler answers it
    issue_certificate = handlers.COMMANDS.entrypoint(
        commands.IssueCertificate,
        lambda service, code: queries.get_certificate(service.streams.views, code))
    adopt_certificate = certificate_command(commands.AdoptCertificate)  # issued before
    revoke_certificate = certificate_command(commands.RevokeCertificate)
    # a new team's id may be the schema's choice: the handler answers it
    create_team = handlers.COMMANDS.entrypoint(commands.CreateTeam, lambda service, team_id:
                                               queries.get_team(service.streams.views, team_id))
    join_team = team_command(commands.JoinTeam)
    leave_team = team_command(commands.LeaveTeam)
    move_team_member = team_command(commands.MoveTeamMember)  # answers the team left
    # transfers between counties: each handler answers the transfer's id
    request_transfer = transfer_command(commands.RequestTransfer)
    accept_transfer = transfer_command(commands.AcceptTransfer)
    decline_transfer = transfer_command(commands.DeclineTransfer)
    release_transfer = transfer_command(commands.ReleaseTransfer)
    cancel_transfer = transfer_command(commands.CancelTransfer)

    @rpc
    def get_transfer(self, transfer_id: str) -> dict[str, Any]:
        return transfer_queries.get_transfer(self.streams.views, str(transfer_id))

    @rpc
    def list_transfers(self, county_code: str | None = None, side: str | None = None,
                       status: str | None = None, limit: int = 100, offset: int = 0
                       ) -> dict[str, Any]:
        """Each bureau's work: the transfers of a county as sending or receiving side
        (under way unless a status is named)."""
        return transfer_queries.list_transfers(self.streams.views, county_code, side, status,
                                               int(limit), int(offset))
    # moving to another city: the release answers the signed package (issued again on a
    # repeat); the import answers the person registered here (city_transfers.py)
    transfer_out_of_city = handlers.COMMANDS.entrypoint(
        commands.TransferOutOfCity, activity_facts=lambda service: service.activity_facts)
    transfer_in_from_city = handlers.COMMANDS.entrypoint(
        commands.TransferInFromCity,
        lambda service, volunteer_id: queries.get_volunteer(service.streams.views,
                                                            volunteer_id))
    # model volunteers: each answers the nomination, or the campaign, as it stands now
    nominate_volunteer = handlers.COMMANDS.entrypoint(
        nomination.NominateVolunteer, lambda service, nomination_id:
        recognition_queries.get_nomination(service.streams.views, nomination_id))
    review_nomination = handlers.COMMANDS.entrypoint(
        nomination.ReviewNomination, lambda service, nomination_id:
        recognition_queries.get_nomination(service.streams.views, nomination_id))
    announce_titles = handlers.COMMANDS.entrypoint(
        nomination.AnnounceTitles, lambda service, stream_id:
        recognition_queries.get_campaign(service.streams.views, stream_id))
    # the talent pool
    record_talent_profile = handlers.COMMANDS.entrypoint(
        talent.RecordTalentProfile, lambda service, volunteer_id:
        talent_queries.profile_of(service.streams.views, volunteer_id))
    post_talent_need = handlers.COMMANDS.entrypoint(
        talent.PostTalentNeed, lambda service, need_id:
        talent_queries.get_need(service.streams.views, need_id))

    @rpc
    def volunteers_without_personal_data(self) -> list[str]:
        """Registered people whose personal data is missing (reconciliation)."""
        return queries.without_personal_data(self.streams.views)

    # ---- queries ------------------------------------------------------------------

    @rpc
    def get_volunteer(self, volunteer_id: str, reveal: bool = False) -> dict[str, Any]:
        return queries.get_volunteer(self.streams.views, volunteer_id, reveal=reveal)

    @rpc
    def find_volunteer(self, id_number: str, reveal: bool = False) -> dict[str, Any]:
        """By ID number, also one a record was corrected to."""
        return queries.find_by_id_number(self.streams.views, str(id_number), reveal=reveal)

    @rpc
    def list_volunteers(self, county_code=None, status=None, limit=100, offset=0) -> dict:
        return queries.list_volunteers(self.streams.views, county_code, status, limit, offset)

    @rpc
    def pending_star_levels(self, levels: list[int], county_code: str | None = None,
                            limit: int = 100, offset: int = 0) -> dict[str, Any]:
        """Volunteers whose next star level, one of `levels`, waits for approval."""
        return queries.pending_star_levels(self.streams.views, [int(n) for n in levels],
                                           county_code, limit, offset)

    @rpc
    def get_certificate(self, code: str) -> dict[str, Any]:
        return queries.get_certificate(self.streams.views, str(code))

    @rpc
    def names_of(self, volunteer_ids: list[str]) -> dict[str, str]:
        return queries.names_of(self.streams.views, [str(v) for v in volunteer_ids])

    @rpc
    def list_nominations(self, title: str | None = None, year: int | None = None,
                         county_code: str | None = None, status: str | None = None
                         ) -> list[dict[str, Any]]:
        return recognition_queries.list_nominations(self.streams.views, title, year,
                                                    county_code, status)

    @rpc
    def get_nomination(self, nomination_id: str) -> dict[str, Any]:
        return recognition_queries.get_nomination(self.streams.views, str(nomination_id))

    @rpc
    def search_talent(self, limit: int = 100, offset: int = 0, **filters: Any
                      ) -> dict[str, Any]:
        return talent_queries.search(self.streams.views, limit=limit, offset=offset,
                                     **filters)

    @rpc
    def get_talent_need(self, need_id: str) -> dict[str, Any]:
        return talent_queries.get_need(self.streams.views, str(need_id))

    @rpc
    def list_teams(self, county_code: str | None = None) -> list[dict[str, Any]]:
        return queries.list_teams(self.streams.views, county_code)

    @rpc
    def county_summary(self) -> list[dict[str, Any]]:
        return queries.county_summary(self.streams.views)

    # ---- events from other services --------------------------------------------------

    @every_event_of(ACTIVITIES)
    def on_activities_event(self, payloads: list[dict[str, Any]]) -> list[str]:
        return self.inbox.handle(payloads, self._apply_activities_event, LEDGER_EVENTS)

    @timer(interval=60)
    def complete_team_moves(self) -> int:
        return transfers.complete_team_moves(self.streams)

    @timer(interval=5)
    def sweep_parked_events(self) -> None:
        self.inbox.sweep(self._apply_activities_event, LEDGER_EVENTS)

    def _apply_activities_event(self, event: RecordedEvent) -> None:
        # caused by this event: one worker may serve a batch of events
        handlers.record_served(self.streams.caused_by(event), event)

    # ---- helpers -----------------------------------------------------------------------

    def _handle(self, command_type: type, payload: Any, **context: Any) -> Any:
        return handlers.COMMANDS.handle(self.streams, command_type, payload, **context)

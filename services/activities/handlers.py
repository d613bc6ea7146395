"""Command handlers of the activities service: fold the stream → the domain decides → append.
What a handler needs beyond the command (the volunteer directory) comes as keyword context.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from contracts.activities import commands as published
from contracts.activities.catalog import load_activity_catalog
from contracts.activities.streams import activity_stream, wish_stream
from services.activities import dependencies as stores
from services.activities.directory import VolunteerDirectory
from services.activities.domain import activity, commands, ids, wish
from services.activities.domain.activity import replay as fold_activity
from services.activities.domain.wish import replay as fold_wish
from yinfa.errors import AlreadyExists, DomainRuleViolated
from yinfa.service.commands import CommandTable
from yinfa.service.dependencies import EventSourcedStreams

Decision = Callable[..., list]


def _decide(streams: EventSourcedStreams, stream_id: str, fold: Callable, decide: Decision,
            command: Any, **facts: Any) -> None:
    """One decision on one stream; `facts` are what the domain learns from elsewhere."""
    catalog = load_activity_catalog()
    streams.execute(stream_id, fold, lambda state: decide(state, command, catalog, **facts))


def publish(streams: EventSourcedStreams, command: commands.PublishActivity) -> str:
    activity_id = ids.activity_id_for(command.client_request_id)
    _decide(streams, activity_stream(activity_id), fold_activity, activity.publish, command)
    return activity_id


def _on_activity(decide: Decision, streams: EventSourcedStreams,
                 command: commands.ActivityCommand, **facts: Any) -> str:
    _decide(streams, activity_stream(command.activity_id), fold_activity, decide, command,
            **facts)
    return command.activity_id


def sign_up(streams: EventSourcedStreams, command: commands.SignUp,
            directory: VolunteerDirectory) -> str:
    """Whether the volunteer may serve is what the volunteers service's events said."""
    volunteer_id = command.volunteer_id
    return _on_activity(activity.sign_up, streams, command,
                        volunteer_status=directory.status(volunteer_id),
                        team_ids=directory.teams_of(volunteer_id),
                        volunteer_insured=directory.insured(volunteer_id))


def _with_code(decide: Decision, streams: EventSourcedStreams, command: commands.CheckIn
               ) -> str:
    """A check-in or -out, refused after too many wrong codes of this person here."""
    activity_id, volunteer_id = command.activity_id, command.volunteer_id
    stores.refuse_if_locked(streams.views, activity_id, volunteer_id)
    try:
        _on_activity(decide, streams, command)
    except DomainRuleViolated as refused:
        if refused.context.get("reason") == "wrong_code":
            stores.count_wrong_code(streams.views, activity_id, volunteer_id)
        raise
    stores.forget_wrong_codes(streams.views, activity_id, volunteer_id)
    return activity_id


def post_wish(streams: EventSourcedStreams, command: commands.PostWish) -> str:
    wish_id = ids.wish_id_for(command.client_request_id)

    def post(state: wish.Wish | None, command: commands.PostWish, catalog: Any) -> list:
        decided = wish.post(state, command, catalog)
        if state is not None and stores.wish_description(
                streams.views, wish_id) not in (None, command.description):
            raise AlreadyExists("this client request posted another wish already",
                                field="client_request_id")
        stores.keep_wish_text(streams.views, wish_id, command.description)  # before the post
        return decided

    _decide(streams, wish_stream(wish_id), fold_wish, post, command)
    return wish_id


def _on_wish(decide: Decision, streams: EventSourcedStreams, command: commands.WishCommand,
             **facts: Any) -> str:
    _decide(streams, wish_stream(command.wish_id), fold_wish, decide, command, **facts)
    return command.wish_id


def claim_wish(streams: EventSourcedStreams, command: commands.ClaimWish,
               directory: VolunteerDirectory) -> str:
    """A volunteer's standing is the directory's; a branch's claim is taken as given."""
    claimant = command.claimant
    status = directory.status(claimant.id) if claimant.kind == "volunteer" else None
    return _on_wish(wish.claim, streams, command, volunteer_status=status)


def expire_wishes(streams: EventSourcedStreams, now: datetime) -> int:
    """Close every open or claimed wish whose deadline has passed (run by a timer)."""
    due = streams.views["wish_view"].find(
        {"status": {"$in": [wish.OPEN, wish.CLAIMED]}, "expires_at": {"$lte": now.isoformat()}},
        {"wish_id": 1},
    )
    expired = 0
    for doc in list(due):
        recorded = streams.execute(wish_stream(doc["wish_id"]), fold_wish,
                                   lambda state: wish.expired(state, now))
        expired += bool(recorded)
    return expired


COMMANDS = CommandTable(published, {
    commands.PublishActivity: publish,
    commands.CancelPublication: partial(_on_activity, activity.cancel_publication),
    commands.CancelActivity: partial(_on_activity, activity.cancel),
    commands.SignUp: sign_up,
    commands.WithdrawSignUp: partial(_on_activity, activity.withdraw_sign_up),
    commands.IssueCheckInCode: partial(_on_activity, activity.issue_check_in_code),
    commands.CheckIn: partial(_with_code, activity.check_in),
    commands.CheckOut: partial(_with_code, activity.check_out),
    commands.CompleteActivity: partial(_on_activity, activity.complete),
    commands.CorrectCompletion: partial(_on_activity, activity.correct_completion),
    commands.PostWish: post_wish,
    commands.ClaimWish: claim_wish,
    commands.ReleaseWishClaim: partial(_on_wish, wish.release_claim),
    commands.FulfilWish: partial(_on_wish, wish.fulfil),
    commands.ConfirmWish: partial(_on_wish, wish.confirm),
})

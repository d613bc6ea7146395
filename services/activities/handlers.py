"""Command handlers of the activities service: schema → fold → decide → append."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pymongo.database import Database

from contracts.activities import commands
from contracts.activities.catalog import load_activity_catalog
from contracts.activities.streams import activity_stream, wish_stream
from services.activities import code_attempts, wish_texts
from services.activities.directory import VolunteerDirectory
from services.activities.domain import activity, ids, wish
from services.activities.domain.activity import replay as fold_activity
from services.activities.domain.wish import replay as fold_wish
from yinfa.errors import AlreadyExists, DomainRuleViolated
from yinfa.service.dependencies import EventSourcedStreams

_ACTIVITY_COMMANDS: dict[str, tuple[type, Callable[..., list]]] = {
    "cancel_publication": (commands.CancelPublication, activity.cancel_publication),
    "cancel": (commands.CancelActivity, activity.cancel),
    "withdraw_sign_up": (commands.WithdrawSignUp, activity.withdraw_sign_up),
    "issue_check_in_code": (commands.IssueCheckInCode, activity.issue_check_in_code),
    "check_in": (commands.CheckIn, activity.check_in),
    "check_out": (commands.CheckOut, activity.check_out),
    "complete": (commands.CompleteActivity, activity.complete),
    "correct_completion": (commands.CorrectCompletion, activity.correct_completion),
}

_WISH_COMMANDS: dict[str, tuple[type, Callable[..., list]]] = {
    "release_claim": (commands.ReleaseWishClaim, wish.release_claim),
    "fulfil": (commands.FulfilWish, wish.fulfil),
    "confirm": (commands.ConfirmWish, wish.confirm),
}


def publish(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> str:
    command = commands.load_command(commands.PublishActivity, payload)
    activity_id = ids.activity_id_for(command["client_request_id"])
    catalog = load_activity_catalog()
    streams.execute(activity_stream(activity_id), fold_activity,
                    lambda state: activity.publish(state, command, catalog))
    return activity_id


def on_activity(streams: EventSourcedStreams, action: str, payload: Mapping[str, Any]) -> str:
    schema, decide = _ACTIVITY_COMMANDS[action]
    command = commands.load_command(schema, payload)
    catalog = load_activity_catalog()
    if action in ("check_in", "check_out"):
        return _with_code(streams, command, lambda: streams.execute(
            activity_stream(command["activity_id"]), fold_activity,
            lambda state: decide(state, command, catalog)))
    streams.execute(activity_stream(command["activity_id"]), fold_activity,
                    lambda state: decide(state, command, catalog))
    return str(command["activity_id"])


def _with_code(streams: EventSourcedStreams, command: Mapping[str, Any],
               record: Callable[[], Any]) -> str:
    """A check-in or -out, refused after too many wrong codes of this person here."""
    activity_id, volunteer_id = str(command["activity_id"]), str(command["volunteer_id"])
    code_attempts.refuse_if_locked(streams.views, activity_id, volunteer_id)
    try:
        record()
    except DomainRuleViolated as refused:
        if refused.context.get("reason") == "wrong_code":
            code_attempts.count_wrong(streams.views, activity_id, volunteer_id)
        raise
    code_attempts.forget(streams.views, activity_id, volunteer_id)
    return activity_id


def sign_up(streams: EventSourcedStreams, directory: VolunteerDirectory,
            payload: Mapping[str, Any]) -> str:
    """Whether the volunteer may serve is what the volunteers service's events said."""
    command = commands.load_command(commands.SignUp, payload)
    volunteer_id = str(command["volunteer_id"])
    status = directory.status(volunteer_id)
    teams = directory.teams_of(volunteer_id)
    catalog = load_activity_catalog()
    streams.execute(
        activity_stream(command["activity_id"]), fold_activity,
        lambda state: activity.sign_up(state, command, catalog,
                                       volunteer_status=status, team_ids=teams),
    )
    return str(command["activity_id"])


def post_wish(streams: EventSourcedStreams, payload: Mapping[str, Any]) -> str:
    command = commands.load_command(commands.PostWish, payload)
    wish_id = ids.wish_id_for(command["client_request_id"])
    catalog = load_activity_catalog()

    def decide(state: wish.Wish | None) -> list:
        decided = wish.post(state, command, catalog)
        if state is not None and wish_texts.description_of(
                streams.views, wish_id) not in (None, command["description"]):
            raise AlreadyExists("this client request posted another wish already",
                                field="client_request_id")
        wish_texts.keep(streams.views, wish_id, command["description"])  # before the post
        return decided

    streams.execute(wish_stream(wish_id), fold_wish, decide)
    return wish_id


def claim_wish(streams: EventSourcedStreams, directory: VolunteerDirectory,
               payload: Mapping[str, Any]) -> str:
    command = commands.load_command(commands.ClaimWish, payload)
    claimant = command["claimant"]
    status = directory.status(str(claimant["id"])) if claimant["kind"] == "volunteer" else None
    catalog = load_activity_catalog()
    streams.execute(
        wish_stream(command["wish_id"]), fold_wish,
        lambda state: wish.claim(state, command, catalog,
                                 volunteer_status=status),
    )
    return str(command["wish_id"])


def on_wish(streams: EventSourcedStreams, action: str, payload: Mapping[str, Any]) -> str:
    schema, decide = _WISH_COMMANDS[action]
    command = commands.load_command(schema, payload)
    catalog = load_activity_catalog()
    streams.execute(wish_stream(command["wish_id"]), fold_wish,
                    lambda state: decide(state, command, catalog))
    return str(command["wish_id"])


def expire_wishes(streams: EventSourcedStreams, views: Database, now: datetime) -> int:
    """Close every open or claimed wish whose deadline has passed (run by a timer)."""
    due = views["wish_view"].find(
        {"status": {"$in": [wish.OPEN, wish.CLAIMED]}, "expires_at": {"$lte": now.isoformat()}},
        {"wish_id": 1},
    )
    expired = 0
    for doc in list(due):
        recorded = streams.execute(wish_stream(doc["wish_id"]), fold_wish,
                                   lambda state: wish.expired(state, now))
        expired += bool(recorded)
    return expired

"""Events of a volunteer's transfer (转移接续) from one county to another.

All on the volunteer's own stream, so the person keeps one id, ledger, stars, teams and
history. A transfer names where the person goes: a county of this city (`to_county`),
or, for a transfer out of the city, another city (`to_city`, with `to_county` null);
the request, cancellation and release steps are the same for both. Reasons are catalog
codes (`reference/transfers.yaml`), never free text about the person.
"""
from __future__ import annotations

from datetime import datetime

from marshmallow import Schema, ValidationError, fields, validate

from yinfa.events.payloads import Id

TRANSFER_REQUESTED = "VolunteerTransferRequested"
TRANSFER_ACCEPTED = "VolunteerTransferAccepted"
TRANSFER_DECLINED = "VolunteerTransferDeclined"
TRANSFER_CANCELLED = "VolunteerTransferCancelled"
VOLUNTEER_TRANSFERRED = "VolunteerTransferred"
TEAM_MEMBER_MOVED = "VolunteerMovedTeam"  # a team's member to another team: on both
TRANSFER_EVENTS = frozenset({TRANSFER_REQUESTED, TRANSFER_ACCEPTED, TRANSFER_DECLINED,
                             TRANSFER_CANCELLED, VOLUNTEER_TRANSFERRED})

DECIDERS = ("county", "city")  # the county bureau of the deciding side, or the city
CANCELLERS = ("sending", "receiving", "city")


def _iso_instant(value: str) -> None:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError("Not an ISO date and time.") from exc
    if moment.tzinfo is None:
        raise ValidationError("Needs a UTC offset.")


class VolunteerTransferRequestedV1(Schema):
    """The sending county's bureau (or the city) asks to transfer the volunteer."""

    transfer_id = Id(required=True)
    from_county = Id(required=True)
    to_county = Id(required=True, allow_none=True)
    to_city = Id(allow_none=True, load_default=None)
    reason_code = Id(required=True)


class VolunteerTransferAcceptedV1(Schema):
    """The receiving county's bureau (or the city) takes the volunteer."""

    transfer_id = Id(required=True)
    decided_by = fields.String(required=True, validate=validate.OneOf(DECIDERS))


class VolunteerTransferDeclinedV1(VolunteerTransferAcceptedV1):
    """The receiving side refuses, on a catalog reason: the transfer is over."""

    reason_code = Id(required=True)


class VolunteerTransferCancelledV1(Schema):
    """Either side (or the city) withdrew the transfer before its release."""

    transfer_id = Id(required=True)
    cancelled_by = fields.String(required=True, validate=validate.OneOf(CANCELLERS))


class VolunteerTransferredV1(Schema):
    """The sending side released the volunteer: from `effective_at` (an instant, placed
    on the city's calendar by its local day) they belong to `to_county`."""

    transfer_id = Id(required=True)
    from_county = Id(required=True)
    to_county = Id(required=True, allow_none=True)
    to_city = Id(allow_none=True, load_default=None)
    effective_at = fields.String(required=True, validate=_iso_instant)


class VolunteerMovedTeamV1(Schema):
    """A team's member moved to another team, their history kept: the same event on both
    teams' streams, `side` saying which end this stream is (out: left it; in: joined it),
    `move_id` pairing the two ends."""

    move_id = Id(required=True)
    volunteer_id = Id(required=True)
    from_team_id = Id(required=True)
    to_team_id = Id(required=True)
    side = fields.String(required=True, validate=validate.OneOf(["out", "in"]))


TRANSFER_SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    (TRANSFER_REQUESTED, 1): VolunteerTransferRequestedV1,
    (TRANSFER_ACCEPTED, 1): VolunteerTransferAcceptedV1,
    (TRANSFER_DECLINED, 1): VolunteerTransferDeclinedV1,
    (TRANSFER_CANCELLED, 1): VolunteerTransferCancelledV1,
    (VOLUNTEER_TRANSFERRED, 1): VolunteerTransferredV1,
    (TEAM_MEMBER_MOVED, 1): VolunteerMovedTeamV1,
}

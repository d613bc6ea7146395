"""Command schemas of a volunteer's transfer (转移接续) between counties of the city.

Each names the volunteer and the transfer; `acting_county` is the county (or city agency,
市直单位) the caller acts for, None for the city, which the gateway sets from the caller's
account, never from a body. Published through `contracts.volunteers.commands`.
"""
from __future__ import annotations

import uuid
from typing import Any

from marshmallow import ValidationError, fields, validates, validates_schema

from contracts.volunteers.transfer_catalog import load_transfer_catalog
from yinfa.schemas import Command, IdString, unit_in_city


def _one_of(codes: Any, value: str) -> None:
    if value not in codes:
        raise ValidationError(f"Must be one of: {', '.join(codes)}.")


class TransferCommand(Command):
    volunteer_id = IdString(required=True)
    transfer_id = IdString(required=True)
    acting_county = fields.String(load_default=None, allow_none=True, validate=unit_in_city)


class RequestTransfer(TransferCommand):
    transfer_id = IdString(load_default=lambda: str(uuid.uuid4()))
    to_county = fields.String(required=True, validate=unit_in_city)  # or a city agency
    reason_code = fields.String(required=True)

    @validates("reason_code")
    def _known_reason(self, value: str, **kwargs: Any) -> None:
        _one_of(load_transfer_catalog().transfer_reasons, value)


class AcceptTransfer(TransferCommand):
    pass


class DeclineTransfer(TransferCommand):
    reason_code = fields.String(required=True)

    @validates("reason_code")
    def _known_reason(self, value: str, **kwargs: Any) -> None:
        _one_of(load_transfer_catalog().decline_reasons, value)


class ReleaseTransfer(TransferCommand):
    pass


class CancelTransfer(TransferCommand):
    pass


class MoveTeamMember(Command):
    """A member of a team moves to another team (of the volunteer's county)."""

    team_id = IdString(required=True)
    volunteer_id = IdString(required=True)
    to_team_id = IdString(required=True)
    move_id = IdString(load_default=lambda: str(uuid.uuid4()))

    @validates_schema(skip_on_field_errors=True)
    def _another_team(self, data: dict, **kwargs: Any) -> None:
        if data["to_team_id"] == data.get("team_id"):  # the URL names it at the gateway
            raise ValidationError("The member is in this team already.", "to_team_id")

"""Command schemas of moving to another city: releasing a volunteer with a signed
transfer package, and importing one. Published through `contracts.volunteers.commands`.

`released_by` and `acting_county` say whom the caller acts for (the gateway sets them
from the caller's account, never from a body): a county bureau, or the city (None).
"""
from __future__ import annotations

from marshmallow import fields, validate

from contracts.volunteers.city_transfer_record import MAX_PACKAGE_BYTES
from yinfa.schemas import Command, IdString, unit_in_city

CITY_CODE = validate.Regexp(r"^\d{4}$", error="Not a city code (four digits).")


class TransferOutOfCity(Command):
    """Release the volunteer to the city `to_city` (one of the trust list's): the answer
    carries the signed, encrypted package, which a repeat of the command issues again."""

    volunteer_id = IdString(required=True)
    to_city = fields.String(required=True, validate=CITY_CODE)
    acting_county = fields.String(load_default=None, allow_none=True, validate=unit_in_city)


class TransferInFromCity(Command):
    """Register the person a package from another city holds, in `county_code`."""

    package = fields.String(required=True, validate=validate.Length(
        min=1, max=MAX_PACKAGE_BYTES, error="The package is larger than {max} bytes."))
    county_code = fields.String(required=True, validate=unit_in_city)

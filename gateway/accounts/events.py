"""Account event types and their payload schemas (password hashes never enter the log)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields, validate

from yinfa.events.payloads import Id, PayloadCatalog

ACCOUNT_OPENED = "AccountOpened"
PASSWORD_SET = "AccountPasswordSet"
ACCOUNT_CLOSED = "AccountClosed"
API_KEY_ISSUED = "ApiKeyIssued"
API_KEY_REVOKED = "ApiKeyRevoked"


class AccountOpenedV1(Schema):
    role = fields.String(required=True)
    display_name = fields.String(allow_none=True, load_default=None,
                                 validate=validate.Length(max=50))
    county_code = Id(allow_none=True, load_default=None)
    branch_id = Id(allow_none=True, load_default=None)
    volunteer_id = Id(allow_none=True, load_default=None)


class AccountOpenedV2(Schema):
    """Without the display name: a person's name stays out of the log (it is kept beside
    the password hash, in `credentials`, and goes with the account's erasure)."""

    role = fields.String(required=True)
    county_code = Id(allow_none=True, load_default=None)
    branch_id = Id(allow_none=True, load_default=None)
    volunteer_id = Id(allow_none=True, load_default=None)


def opened_v1_to_v2(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "display_name"}


class PasswordSetV1(Schema):
    pass


class AccountClosedV1(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ApiKeyIssuedV1(Schema):
    key_id = fields.String(required=True, validate=validate.Length(equal=16))
    key_digest = fields.String(required=True, validate=validate.Length(equal=64))
    label = fields.String(required=True, validate=validate.Length(min=1, max=60))


class ApiKeyRevokedV1(Schema):
    key_id = fields.String(required=True, validate=validate.Length(equal=16))


CATALOG = PayloadCatalog({
    (ACCOUNT_OPENED, 1): AccountOpenedV1,
    (ACCOUNT_OPENED, 2): AccountOpenedV2,
    (PASSWORD_SET, 1): PasswordSetV1,
    (ACCOUNT_CLOSED, 1): AccountClosedV1,
    (API_KEY_ISSUED, 1): ApiKeyIssuedV1,
    (API_KEY_REVOKED, 1): ApiKeyRevokedV1,
}, {(ACCOUNT_OPENED, 1): opened_v1_to_v2})

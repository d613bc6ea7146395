"""The gateway's own marshmallow schemas: query strings, auth and account bodies, and
the answers it shapes itself (pages, tokens, accounts); a service's answer is documented
by its published reply schema (contracts/<service>/replies.py).

Request bodies of the services' commands reuse the services' own command schemas,
without the ids the path already carries (`body_of`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import cache
from typing import Any

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from contracts.activities.catalog import load_activity_catalog
from contracts.activities.replies import (
    ACTIVITY_STATUSES,
    WISH_STATUSES,
    Activity,
    CountyActivities,
)
from contracts.branches.catalog import load_branch_catalog
from contracts.branches.replies import STATUSES as BRANCH_STATUSES, Coverage
from contracts.scoring.replies import AgencyScore, CountyScore
from contracts.volunteers.replies import (
    STATUSES as VOLUNTEER_STATUSES,
    Certificate,
    CountyVolunteers,
)
from gateway.city_clock import city_zone
from gateway.pagination import DEFAULT_LIMIT, MAX_LIMIT
from gateway.roles import (
    AGENCY_ADMIN,
    COUNTY_ADMIN,
    NEEDS_BRANCH,
    NEEDS_COUNTY,
    NEEDS_VOLUNTEER,
    ROLES,
)
from yinfa.city_time import day_ends_at
from yinfa.reference import load_city
from yinfa.schemas import IdString, label, trimmed, unit_in_city

USERNAME = r"^[a-z0-9_-]{3,40}$"


def body_of(command: type[Schema], *path_fields: str, name: str | None = None
            ) -> type[Schema]:
    """A service command schema minus the fields the URL supplies, named for OpenAPI."""
    meta = type("Meta", (getattr(command, "Meta", object),),
                {"exclude": path_fields, "unknown": RAISE})
    return type(name or f"{command.__name__}Body", (command,), {"Meta": meta})


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Open(Schema):
    class Meta:
        unknown = INCLUDE


class EachOnItsOwn(fields.List):
    """A list documented as a list of its inner schema but loaded as sent: the service
    checks each item on its own, so one bad item does not refuse the others."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, list):
            raise self.make_error("invalid")
        return list(value)


def batch_of(item: type[Schema], max_items: int, name: str) -> type[Schema]:
    """The body of a batch route: {"items": [1..max_items of `item`]}."""
    items = EachOnItsOwn(fields.Nested(item), required=True,
                         validate=validate.Length(min=1, max=max_items))
    return type(name, (Strict,), {"items": items})


# ---- query strings ---------------------------------------------------------------------


class PageQuery(Strict):
    limit = fields.Integer(load_default=DEFAULT_LIMIT,
                           validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.String(load_default=None, validate=validate.Length(max=500))


def county_field() -> fields.String:
    """A filter on the assessed unit: a county's code or a city agency's (市直单位)."""
    return fields.String(load_default=None, validate=unit_in_city)


def one_of(*choices: str) -> fields.String:
    """A filter whose values are known: anything else is a 422, not an empty page."""
    return fields.String(load_default=None, validate=validate.OneOf(choices),
                         metadata={"enum": list(choices)})


def catalog_code(codes: Callable[[], Iterable[str]]) -> fields.String:
    """A filter on a reference catalog's codes, read when the query is loaded."""

    def known(value: str) -> None:
        allowed = list(codes())
        if value not in allowed:
            raise ValidationError(f"Must be one of: {', '.join(allowed)}.")

    return fields.String(load_default=None, validate=known)


class VolunteerQuery(PageQuery):
    county_code = county_field()
    status = one_of(*VOLUNTEER_STATUSES)


class CountyQuery(PageQuery):
    county_code = county_field()


class BranchQuery(PageQuery):
    county_code = county_field()
    level = catalog_code(lambda: load_branch_catalog().structure_levels)
    branch_type = catalog_code(lambda: load_branch_catalog().branch_types)
    status = one_of(*BRANCH_STATUSES)
    certification_level = catalog_code(
        lambda: [level.code for level in load_branch_catalog().certification_levels])
    parent_id = IdString(load_default=None)


class ActivityQuery(PageQuery):
    county_code = county_field()
    theme = catalog_code(lambda: load_activity_catalog().themes)
    status = one_of(*ACTIVITY_STATUSES)
    branch_id = IdString(load_default=None)  # the activities this branch organises


class WishQuery(PageQuery):
    county_code = county_field()
    status = one_of(*WISH_STATUSES)
    branch_id = IdString(load_default=None)  # the wishes this branch has claimed


class AccountQuery(PageQuery):
    role = fields.String(load_default=None, validate=validate.OneOf(ROLES))
    county_code = county_field()


class RevealQuery(Strict):
    reveal = fields.Boolean(load_default=False)


def period_field() -> fields.String:
    return fields.String(load_default=None, validate=validate.Regexp(
        r"^\d{4}$", error="A calendar year, e.g. 2026."))


def rulebook_field(**kwargs: Any) -> fields.String:
    if not kwargs.get("required"):
        kwargs.setdefault("load_default", None)
    return fields.String(validate=validate.Regexp(r"^[0-9A-Za-z._\-]{1,20}$"), **kwargs)


class AsOf(fields.Field):
    """A date (the end of that day, city time) or an ISO date-time; answered as ISO text."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = str(value)
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                return day_ends_at(day, city_zone()).isoformat()
            moment = datetime.fromisoformat(text)
        except ValueError as error:
            raise ValidationError("An ISO date (2026-03-01) or date-time.") from error
        return (moment if moment.tzinfo else moment.replace(tzinfo=city_zone())).isoformat()

    def _jsonschema_type_mapping(self) -> dict[str, Any]:
        return {"type": "string", "format": "date"}


def as_of_field() -> AsOf:
    return AsOf(load_default=None, metadata={"type": "string", "format": "date"})


class RankingQuery(Strict):
    period = period_field()
    rulebook = rulebook_field()
    as_of = as_of_field()


class PagedRankingQuery(RankingQuery, PageQuery):
    pass


class AsOfQuery(Strict):
    as_of = as_of_field()


class EvidenceQuery(PageQuery):
    subject = fields.String(required=True, validate=validate.OneOf(
        ["county", "agency", "branch", "volunteer"]))
    subject_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    indicator = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.\-]{1,40}$"))
    period = period_field()
    as_of = as_of_field()


class WhatIfQuery(Strict):
    rulebook_a = rulebook_field(required=True)
    rulebook_b = rulebook_field(required=True)
    period = period_field()


class CompareQuery(WhatIfQuery):
    as_of = as_of_field()


# ---- auth and account bodies -----------------------------------------------------------


class LoginBody(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=40))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class RefreshBody(Strict):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class OpenAccountBody(Strict):
    username = fields.String(required=True, validate=validate.Regexp(
        USERNAME, error="3-40 lower-case letters, digits, '-' or '_'."))
    password = fields.String(required=True, validate=validate.Length(min=10, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    display_name = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(min=1, max=50))
    # the assessed unit of a unit-bound account: a county, or a city agency (an agency
    # admin's, or the agency of an agency's branch secretary or volunteer)
    county_code = fields.String(load_default=None, allow_none=True, validate=unit_in_city)
    branch_id = IdString(load_default=None, allow_none=True)
    volunteer_id = IdString(load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=True)
    def _unit_matches_role(self, data: dict, **kwargs: Any) -> None:
        code, role = data.get("county_code"), data["role"]
        if role == COUNTY_ADMIN and code and code not in load_city().counties:
            raise ValidationError({"county_code": ["A county admin names a county."]})
        if role == AGENCY_ADMIN and code and code not in load_city().agencies:
            raise ValidationError({"county_code": ["An agency admin names a city agency."]})

    @validates_schema(skip_on_field_errors=True)
    def _scope_matches_role(self, data: dict, **kwargs: Any) -> None:
        needs = {"county_code": NEEDS_COUNTY, "branch_id": NEEDS_BRANCH,
                 "volunteer_id": NEEDS_VOLUNTEER}
        errors = {}
        for name, roles in needs.items():
            if data["role"] in roles and not data.get(name):
                errors[name] = [f"Required for the role {data['role']}."]
            if data["role"] not in roles and data.get(name):
                errors[name] = [f"Not used by the role {data['role']}."]
        if errors:
            raise ValidationError(errors)


class PasswordBody(Strict):
    password = fields.String(required=True, validate=validate.Length(min=10, max=200))


class CloseAccountBody(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ApiKeyBody(Strict):
    label = fields.String(required=True, validate=validate.Length(min=1, max=60))


class AssessmentBody(Strict):
    period = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$"))
    rulebook = rulebook_field()


class RebuildBody(Strict):
    pass


# ---- answers ---------------------------------------------------------------------------


class ProblemSchema(Open):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    code = fields.String(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict()
    instance = fields.String()
    request_id = fields.String()


class Document(Open):
    """An answer no published reply describes (fields may be added over time)."""


class PageSchema(Strict):
    items = fields.List(fields.Dict(), required=True)
    total = fields.Integer(required=True)
    next = fields.String(required=True, allow_none=True)
    limit = fields.Integer(required=True)


@cache  # one class a name: apispec tells schemas apart by class
def page_of(item: type[Schema]) -> type[Schema]:
    """A page of a service's replies, named after them in OpenAPI (VolunteerPage)."""
    items = fields.List(fields.Nested(item), required=True)
    return type(f"{item.__name__}Page", (PageSchema,), {"items": items})


class TokenSchema(Strict):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)
    refresh_token = fields.String(required=True)
    role = fields.String(required=True)


class ApiKeySchema(Strict):
    key_id = fields.String(required=True)
    label = fields.String(required=True)
    api_key = fields.String(required=True)


class ApiKeyRef(Strict):
    key_id = fields.String(required=True)
    label = fields.String(required=True)


class AccountSchema(Strict):
    username = fields.String(required=True)
    role = fields.String(required=True)
    display_name = fields.String(required=True, allow_none=True)
    county_code = fields.String(required=True, allow_none=True)
    branch_id = fields.String(required=True, allow_none=True)
    volunteer_id = fields.String(required=True, allow_none=True)
    active = fields.Boolean(required=True)
    opened_at = fields.String(required=True)
    api_keys = fields.List(fields.Nested(ApiKeyRef), required=True)


class MeSchema(Strict):
    account = fields.String(required=True)
    role = fields.String(required=True)
    county_code = fields.String(required=True, allow_none=True)
    branch_id = fields.String(required=True, allow_none=True)
    volunteer_id = fields.String(required=True, allow_none=True)


class CountyRanking(Strict):
    items = fields.List(fields.Nested(CountyScore), required=True)


class AgencyRanking(Strict):
    items = fields.List(fields.Nested(AgencyScore), required=True)


class EvidencePage(Strict):
    event_ids = fields.List(fields.String(), required=True)
    next = fields.String(required=True, allow_none=True)


class CoverageList(Strict):
    items = fields.List(fields.Nested(Coverage), required=True)


class SignUpOutcome(Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(
        ["signed_up", "waitlisted", "not_signed_up"]))
    volunteer_id = fields.String(required=True)
    position = fields.Integer()  # in the waiting list, from 1


class SignedUp(Activity):
    """The activity, and what the sign-up did for the volunteer."""

    sign_up = fields.Nested(SignUpOutcome, required=True)


class ItemDecision(Strict):
    item = fields.String(required=True, validate=validate.Length(min=1, max=40))
    met = fields.Boolean(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ReviewItemsBody(Strict):
    """Many checklist decisions on one application (the branches service's review_items)."""

    application_id = IdString(required=True)
    reviewer = fields.String(required=True, validate=validate.Length(min=1, max=50))
    items = fields.List(fields.Nested(ItemDecision), required=True,
                        validate=validate.Length(min=1, max=100))


def format_field() -> fields.String:
    return fields.String(load_default="xlsx", validate=validate.OneOf(["csv", "xlsx"]))


class RankingExportQuery(RankingQuery):
    format = format_field()


class ExportQuery(Strict):
    format = format_field()


class BranchExportQuery(ExportQuery):
    county_code = county_field()


class CertificateSchema(Certificate):
    """The volunteers service's certificate, with the holder's name as it has it now
    and the county's name."""

    name = fields.String(required=True)
    county_name = fields.String(required=True)


class VerificationSchema(Strict):
    valid = fields.Boolean(required=True)  # false once revoked
    status = label(required=True)  # 有效 or 已撤销
    code = fields.String(required=True)
    name = fields.String(required=True)
    county_name = fields.String(required=True)
    total_hours = fields.String(required=True, allow_none=True)
    star_level = fields.Integer(required=True, allow_none=True)
    issued_on = fields.String(required=True)
    revoked_on = fields.String(required=True, allow_none=True)


class IssueCertificateBody(Strict):
    pass


class RevokeCertificateBody(Strict):
    reason = trimmed(200, required=True)


# ---- county summaries (the dashboard's) -------------------------------------------------


class CountySummary(Strict):
    """One county at a glance: its volunteers against its baseline, its activities and
    wishes, its certification coverage and demonstration branches by level."""

    county_code = fields.String(required=True)
    county_name = fields.String(required=True)
    volunteers = fields.Nested(CountyVolunteers, required=True)
    activities = fields.Nested(CountyActivities, required=True)
    coverage = fields.Nested(Coverage, required=True)
    demonstration = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class CountySummaryList(Strict):
    items = fields.List(fields.Nested(CountySummary), required=True)

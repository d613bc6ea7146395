"""Command schemas at the boundary (RPC and REST input) of the branches service.

`load_command(EstablishBranch, payload)` returns a clean command dict for the domain, or
raises `ValidationFailed` with marshmallow's messages per field. Unknown fields are refused.
Ids come out as canonical UUID strings, dates as `date` (today when a date may default),
scores as `Decimal` (SelectTopBrands hands on `scores` as branch id -> score). Codes from
the branch catalog (types, levels, roles, certification levels, checklists) may also be
given by their zh-CN label (建制性 → formal, 支部 → branch, 六有一提升 → liuyou_yitisheng).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import (
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from contracts.activities.catalog import load_activity_catalog
from contracts.branches.catalog import load_branch_catalog, load_checklists
from yinfa.errors import ValidationFailed
from yinfa.schemas import (
    CatalogCode,
    Command,
    IdString,
    city_today,
    load_command as load_command,
    not_in_future as _not_in_future,
    trimmed as _trimmed,
    unit_in_city as _unit_in_city,
)

# --- fields -----------------------------------------------------------------------------


def _optional(max_length: int) -> fields.String:
    return _trimmed(max_length, load_default=None, allow_none=True)


def _labels(part: str) -> Callable[[], Mapping[str, str]]:
    return lambda: load_branch_catalog().labels[part]


def _checklists() -> Mapping[str, str]:
    return {code: checklist.name for code, checklist in load_checklists().items()}


def _day(**kwargs: Any) -> fields.Date:
    """A decision date: today unless given, never in the future."""
    return fields.Date(load_default=city_today, validate=_not_in_future, **kwargs)


def _year(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1949, max=2200), **kwargs)


def _role(**kwargs: Any) -> CatalogCode:
    return CatalogCode(_labels("granter_roles"), required=True, **kwargs)


class BranchCommand(Command):
    branch_id = IdString(required=True)


class CountyScoped(BranchCommand):
    """A decision by a granter; a county-scoped one names its county (checked by the domain)."""

    granter_county = fields.String(load_default=None, allow_none=True)


# --- branch commands --------------------------------------------------------------------


class EstablishBranch(Command):
    branch_id = IdString(load_default=lambda: str(uuid.uuid4()))
    name = _trimmed(60, required=True)
    branch_type = CatalogCode(_labels("branch_types"), required=True)
    level = CatalogCode(_labels("structure_levels"), required=True)
    county_code = fields.String(required=True, validate=_unit_in_city)
    parent_id = IdString(load_default=None, allow_none=True)
    former_employer = _optional(100)
    community = _optional(100)
    secretary = _optional(50)
    liaison = _optional(50)
    established_on = _day()


class RenameBranch(BranchCommand):
    name = _trimmed(60, required=True)


class ChangeOfficers(BranchCommand):
    secretary = _trimmed(50, allow_none=True)
    liaison = _trimmed(50, allow_none=True)

    @validates_schema(skip_on_field_errors=True)
    def _changes_something(self, data: dict, **kwargs: Any) -> None:
        if set(data) == {"branch_id"}:
            raise ValidationError("Give a secretary or a liaison (null leaves the post vacant).")


class MoveBranch(BranchCommand):
    parent_id = IdString(required=True, allow_none=True)


class AddMember(BranchCommand):
    volunteer_id = IdString(required=True)


class RemoveMember(BranchCommand):
    volunteer_id = IdString(required=True)
    reason = _optional(200)


class MoveMember(BranchCommand):
    """A member of this branch moves to another (their history kept)."""

    volunteer_id = IdString(required=True)
    to_branch_id = IdString(required=True)
    move_id = IdString(load_default=lambda: str(uuid.uuid4()))

    @validates_schema(skip_on_field_errors=True)
    def _another_branch(self, data: dict, **kwargs: Any) -> None:
        if data["to_branch_id"] == data.get("branch_id"):  # the URL names it at the gateway
            raise ValidationError("The member is in this branch already.", "to_branch_id")


class MergeBranch(BranchCommand):
    into_branch_id = IdString(required=True)
    reason = _trimmed(200, required=True)
    merged_on = _day()


class DissolveBranch(BranchCommand):
    reason = _trimmed(200, required=True)
    dissolved_on = _day()


# --- certification commands -------------------------------------------------------------


class Evidence(Command):
    item = fields.String(required=True, validate=validate.Length(min=1, max=40))
    text = _trimmed(2000, required=True)
    links = fields.List(fields.Url(schemes={"http", "https"}), load_default=list,
                        validate=validate.Length(max=20))


class ApplyForCertification(BranchCommand):
    application_id = IdString(load_default=lambda: str(uuid.uuid4()))
    level = CatalogCode(_labels("certification_levels"), required=True)
    checklist = CatalogCode(_checklists, required=True)
    applicant = _trimmed(50, required=True)
    evidence = fields.List(fields.Nested(Evidence), required=True,
                           validate=validate.Length(min=1, max=200))
    applied_on = _day()


class ReviewItem(BranchCommand):
    application_id = IdString(required=True)
    item = fields.String(required=True, validate=validate.Length(min=1, max=40))
    met = fields.Boolean(required=True)
    note = _optional(500)
    reviewer = _trimmed(50, required=True)

    @validates_schema(skip_on_field_errors=True)
    def _unmet_needs_a_note(self, data: dict, **kwargs: Any) -> None:
        if not data["met"] and not data.get("note"):
            raise ValidationError("Say why the item is not met.", "note")


ITEM_DECISION = frozenset({"item", "met", "note"})
_REVIEW_ITEM = ReviewItem()  # built once: building one costs about a load


class ReviewItems(Command):
    """`review_items`' payload: ReviewItem's fields, but item, met and note come as `items`,
    a list of {item, met, note}. Loads as {"items": [ReviewItem commands]}, each row by the
    published ReviewItem, so a batch keeps its rules."""

    branch_id = fields.Raw(required=True)  # the fields shared by the rows: loaded with each
    application_id = fields.Raw(required=True)
    reviewer = fields.Raw(required=True)
    items = fields.List(fields.Raw(), required=True, validate=validate.Length(
        min=1, error="Give one item decision or more."))

    @post_load
    def _each_a_review_item(self, data: dict, **kwargs: Any) -> dict:
        shared = {key: value for key, value in data.items() if key != "items"}
        reviews: list[dict[str, Any]] = []
        errors: dict[str, Any] = {}
        for index, row in enumerate(data["items"]):
            if not isinstance(row, Mapping) or not set(row) <= ITEM_DECISION:
                errors[f"items.{index}"] = ["Give item, met and note only."]
                continue
            try:
                reviews.append(load_command(_REVIEW_ITEM, {**shared, **row}))
            except ValidationFailed as failed:  # a shared field's error is named once
                errors.update({f"items.{index}.{key}" if key in ITEM_DECISION else key: value
                               for key, value in failed.errors.items()})
        if errors:
            raise ValidationError(errors)
        return {"items": reviews}


class GrantCertification(CountyScoped):
    application_id = IdString(required=True)
    granted_by = _role()
    granted_on = _day()
    external_reference = _optional(200)


class RefuseCertification(CountyScoped):
    application_id = IdString(required=True)
    refused_by = _role()
    reason = _trimmed(500, required=True)


class PassReview(CountyScoped):
    due_on = fields.Date(required=True)
    reviewer = _role()
    note = _optional(500)


class FailReview(CountyScoped):
    due_on = fields.Date(required=True)
    reviewer = _role()
    note = _trimmed(500, required=True)


class RevokeCertification(CountyScoped):
    revoked_by = _role()
    reason = _trimmed(500, required=True)
    revoked_on = _day()


# --- brand commands ---------------------------------------------------------------------


class ApplyForBrand(BranchCommand):
    name = _trimmed(60, required=True)
    description = _trimmed(2000, required=True)
    year = _year(required=True)
    # the programme theme the brand serves (五个聚力), a code or its label; optional
    theme = CatalogCode(lambda: load_activity_catalog().themes, load_default=None,
                        allow_none=True)


class ReviewBrand(BranchCommand):
    year = _year(required=True)
    passed = fields.Boolean(required=True)
    note = _optional(500)
    reviewer = _trimmed(50, required=True)

    @validates_schema(skip_on_field_errors=True)
    def _failure_needs_a_note(self, data: dict, **kwargs: Any) -> None:
        if not data["passed"] and not data.get("note"):
            raise ValidationError("Say why the brand did not pass.", "note")


class BrandScore(Command):
    branch_id = IdString(required=True)
    score = fields.Decimal(required=True, places=2, validate=validate.Range(min=0, max=1000))


class SelectTopBrands(Command):
    year = _year(required=True)
    scores = fields.List(fields.Nested(BrandScore), required=True,
                         validate=validate.Length(min=1, max=1000))

    @validates("scores")
    def _one_score_per_brand(self, value: list[dict], **kwargs: Any) -> None:
        ids = [row["branch_id"] for row in value if "branch_id" in row]  # rows in error lack it
        if len(set(ids)) != len(ids):
            raise ValidationError("Give one score per brand.")

    @post_load
    def _by_branch(self, data: dict, **kwargs: Any) -> dict:
        data["scores"] = {row["branch_id"]: row["score"] for row in data["scores"]}
        return data

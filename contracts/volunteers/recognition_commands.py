"""Command schemas of model-volunteer nominations (典型选树) and the talent pool
(银发人才库): re-exported by `contracts.volunteers.commands`, where the service's command
table finds every schema by its name."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from contracts.volunteers.catalog import load_volunteer_catalog
from contracts.volunteers.recognition import load_recognition_catalog
from contracts.volunteers.talent import load_talent_catalog
from yinfa.schemas import CatalogCode, Command, IdString, trimmed, unit_in_city

STAGES = ("county", "city")
DECISIONS = ("approved", "rejected")
MAX_DEEDS = 2000  # characters of the nominee's deeds (事迹), kept sealed
POSTERS = ("city_admin", "county_admin", "branch_secretary")


def _titles() -> dict[str, str]:
    return {code: t.label for code, t in load_recognition_catalog().titles.items()}


def _rejection_reasons() -> Any:
    return load_recognition_catalog().rejection_reasons


def _a_campaign_year(year: int) -> None:
    if not 2000 <= year <= date.today().year + 1:
        raise ValidationError(f"A year from 2000 to {date.today().year + 1}.")


class Campaign(Command):
    title = CatalogCode(_titles, required=True)
    year = fields.Integer(required=True, strict=True, validate=_a_campaign_year)


class NominateVolunteer(Campaign):
    nomination_id = IdString(load_default=lambda: str(uuid.uuid4()))
    volunteer_id = IdString(required=True)
    county_code = fields.String(required=True, validate=unit_in_city)  # the nominating bureau
    deeds = trimmed(MAX_DEEDS, required=True)  # free text about a person: sealed


class ReviewNomination(Campaign):
    """`stage` and `county_code` are the reviewer's (the gateway sets them from the
    caller's role and scope, never from the body)."""

    nomination_id = IdString(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    county_code = fields.String(load_default=None, allow_none=True)
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    reason_code = CatalogCode(_rejection_reasons, load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=True)
    def _a_rejection_says_why(self, data: dict, **kwargs: Any) -> None:
        if data["decision"] == "rejected" and not data.get("reason_code"):
            raise ValidationError("A rejection names its reason.", "reason_code")
        if data["decision"] == "approved" and data.get("reason_code"):
            raise ValidationError("Only a rejection has a reason.", "reason_code")


class AnnounceTitles(Campaign):
    pass


# --- talent pool ------------------------------------------------------------------------


def _skills() -> Any:
    return load_volunteer_catalog().skills


def _specialities() -> Any:
    return load_talent_catalog().specialities


def _posts() -> Any:
    return load_talent_catalog().former_posts


def _availability() -> Any:
    return load_talent_catalog().availability


def codes(labels: Any, **kwargs: Any) -> fields.List:
    return fields.List(CatalogCode(labels), **kwargs)


class RecordTalentProfile(Command):
    volunteer_id = IdString(required=True)
    specialities = codes(_specialities, load_default=list)
    former_post = CatalogCode(_posts, load_default=None, allow_none=True)
    availability = codes(_availability, load_default=list)


class PostTalentNeed(Command):
    need_id = IdString(load_default=lambda: str(uuid.uuid4()))
    county_code = fields.String(required=True, validate=unit_in_city)
    skills = codes(_skills, load_default=list)
    specialities = codes(_specialities, load_default=list)
    availability = codes(_availability, load_default=list)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    posted_by = fields.String(required=True, validate=validate.OneOf(POSTERS))
    branch_id = fields.String(load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=True)
    def _wants_something_in_order(self, data: dict, **kwargs: Any) -> None:
        if not (data["skills"] or data["specialities"]):
            raise ValidationError("Name at least one skill or speciality.", "skills")
        if data["ends_on"] < data["starts_on"]:
            raise ValidationError("Ends before it starts.", "ends_on")

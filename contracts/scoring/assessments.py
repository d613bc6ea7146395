"""Closing an assessment period: the frozen ranking, published once as an event.

`AssessmentPublished` carries everything the December assessment shows — every county's
(and every city agency's) rank, total and explanation rows, the rulebook version, the
journal position and the instant it was taken at — so a published ranking never changes
when later events arrive, and anyone can recompute it (same journal prefix, same
rulebook) to check it.
A period is closed once: its stream `assessment-<period>` must not exist yet.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from yinfa.events.registry import SchemaRegistry
from yinfa.schemas import Command

ASSESSMENT_PUBLISHED = "AssessmentPublished"
YEAR = validate.Regexp(r"^\d{4}$", error="A calendar year, e.g. 2026.")


class RankedCountyV1(Schema):
    rank = fields.Integer(required=True, strict=True)
    county_code = fields.String(required=True)
    county_name = fields.String(required=True)
    total = fields.String(required=True)
    rows = fields.List(fields.Dict(), required=True)


class RankedAgencyV1(Schema):
    """A city agency (市直单位) in the agencies' ranking, published beside the counties'."""

    rank = fields.Integer(required=True, strict=True)
    agency_code = fields.String(required=True)
    agency_name = fields.String(required=True)
    total = fields.String(required=True)
    rows = fields.List(fields.Dict(), required=True)


class UnitFiguresV1(Schema):
    retired_cadres = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    party_branches = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class BaselinesV1(Schema):
    """The figures a period was ranked by: the year they hold for, and per kind of unit
    ("counties") each unit's figures by code."""

    year = fields.Integer(required=True, strict=True)
    units = fields.Dict(keys=fields.String(), values=fields.Dict(
        keys=fields.String(), values=fields.Nested(UnitFiguresV1)), required=True)


class AssessmentPublishedV1(Schema):
    period = fields.String(required=True, validate=YEAR)
    rulebook = fields.String(required=True)  # file name, e.g. "2026"
    rulebook_version = fields.String(required=True)  # e.g. "2026.1"
    journal_position = fields.Integer(required=True, strict=True)
    taken_at = fields.String(required=True)
    published_by = fields.String(required=True)
    counties = fields.List(fields.Nested(RankedCountyV1), required=True)
    # the baselines it was ranked by; absent in assessments published before baselines
    # were kept by year (an optional field: every V1 payload still loads)
    baselines = fields.Nested(BaselinesV1, load_default=None, allow_none=True)
    # the city agencies' ranking; absent (null) in assessments published before agencies
    # were ranked, or under a rulebook without an agency section (optional, as above)
    agencies = fields.List(fields.Nested(RankedAgencyV1), load_default=None, allow_none=True)


def build_registry() -> SchemaRegistry:
    return SchemaRegistry().register_module({(ASSESSMENT_PUBLISHED, 1): AssessmentPublishedV1})


def stream_of(period: str) -> str:
    return f"assessment-{period}"


class ClosePeriod(Command):
    period = fields.String(required=True, validate=YEAR)
    rulebook = fields.String(load_default=None, validate=validate.Length(min=1, max=40))


def as_answer(data: dict[str, Any], position: int) -> dict[str, Any]:
    return {**data, "event_position": position}

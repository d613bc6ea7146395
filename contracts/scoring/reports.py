"""Reports the assessed units submit for the year's assessment (seed 000, 三、组织实施):
the county's implementation plan (具体实施计划, 启动部署阶段, August) and annual report
(专题报告, 评估检验阶段, December); a city agency's implementation plan and its activity
files and pictures (相关活动文件、图片资料).

A document is kept by the scoring service: its bytes in the service's own store, never in
an event. `ReportSubmitted` (stream `report-<report_id>`) carries what others need: its
hash, kind, unit, year, type, size and whether it came in by the due date the rulebook
names.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from contracts.scoring.documents import EXTENSIONS
from yinfa.events.registry import SchemaRegistry
from yinfa.schemas import Command, IdString

REPORT_SUBMITTED = "ReportSubmitted"

KINDS = ("implementation_plan", "annual_report", "activity_files")
UNIT_KINDS = ("county", "agency")
SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="A SHA-256 hash in lower-case hex.")
UNIT_CODE = validate.Regexp(r"^[0-9A-Za-z_-]{2,16}$")
YEAR = validate.Range(min=2000, max=2100)


class ReportSubmittedV1(Schema):
    report_id = IdString(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    unit_kind = fields.String(required=True, validate=validate.OneOf(UNIT_KINDS))
    unit_code = fields.String(required=True, validate=UNIT_CODE)
    year = fields.Integer(required=True, strict=True, validate=YEAR)
    sha256 = fields.String(required=True, validate=SHA256)
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    content_type = fields.String(required=True, validate=validate.OneOf(sorted(EXTENSIONS)))
    submitted_at = fields.AwareDateTime(required=True)
    due_on = fields.Date(required=True, allow_none=True)  # none: the rulebook names no date
    on_time = fields.Boolean(required=True)


def register(registry: SchemaRegistry) -> SchemaRegistry:
    return registry.register_module({(REPORT_SUBMITTED, 1): ReportSubmittedV1})


def stream_of(report_id: str) -> str:
    return f"report-{report_id}"


class SubmitReport(Command):
    """One document: its bytes base64-encoded and its declared media type (checked
    against the bytes). A file's name is not kept: it may name a person."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    unit_kind = fields.String(load_default="county", validate=validate.OneOf(UNIT_KINDS))
    unit_code = fields.String(required=True, validate=UNIT_CODE)
    year = fields.Integer(required=True, strict=True, validate=YEAR)
    content_type = fields.String(required=True, validate=validate.Length(min=1, max=200))
    content = fields.String(required=True, validate=validate.Length(min=1))  # base64


class ReportQuery(Command):
    unit_kind = fields.String(load_default=None, validate=validate.OneOf(UNIT_KINDS))
    unit_code = fields.String(load_default=None, validate=UNIT_CODE)
    year = fields.Integer(load_default=None, strict=True, validate=YEAR)
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))

"""Reports for the year's assessment (seed 000): a county's implementation plan and annual
report (专题报告), a city agency's plan and its activity files and pictures. Upload one
document as the request body with its Content-Type; list; read; download its bytes.

A county admin submits and sees its own county's, an agency admin its own agency's, the
city every unit's (naming the unit it submits for). Size and types are settings
(YINFA_REPORT_MAX_BYTES, YINFA_REPORT_TYPES): a larger body is a 413 before anything is
read, a type not allowed or bytes that are not what the Content-Type says a 415.
"""
from __future__ import annotations

import base64
from typing import Any

from marshmallow import fields, validate

from contracts.scoring.documents import EXTENSIONS, MEDIA_TYPES, media_type, sniff
from contracts.scoring.replies import Report
from contracts.scoring.reports import KINDS
from gateway.bodies import too_large
from gateway.context import Ctx, Reply
from gateway.problem import Problem, invalid, not_found
from gateway.resources.common import created, whole_page
from gateway.roles import AGENCY_ADMIN, CITY_ADMIN, COUNTY_ADMIN, Principal
from gateway.routing import route
from gateway.schemas import PageQuery, Strict, page_of
from yinfa.config import load_settings
from yinfa.reference import load_city

S = "scoring"
SUBMITTERS = (CITY_ADMIN, COUNTY_ADMIN, AGENCY_ADMIN)
UNIT_CODE = validate.Regexp(r"^[0-9A-Za-z_-]{2,16}$")


class ReportUpload(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS), metadata={
        "description": "implementation_plan (具体实施计划), annual_report (专题报告), "
                       "activity_files (活动文件、图片资料)"})
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    unit_code = fields.String(load_default=None, validate=UNIT_CODE, metadata={
        "description": "the county or agency it is for (the city only; a unit's admin "
                       "submits for its own)"})


class ReportListQuery(PageQuery):
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))
    unit_code = fields.String(load_default=None, validate=UNIT_CODE)


def unit_kind(code: str) -> str:
    return "agency" if code in load_city().agencies else "county"


def own_unit(principal: Principal, requested: str | None) -> str | None:
    """The unit a caller acts for: a unit's admin its own (another is not found)."""
    if principal.role == CITY_ADMIN:
        return requested
    if requested and requested != principal.county_code:
        raise not_found("No such unit in your scope.")
    return principal.county_code


def in_scope(principal: Principal, report: dict[str, Any]) -> dict[str, Any]:
    if principal.role != CITY_ADMIN and report["unit_code"] != principal.county_code:
        raise not_found()
    return report


def allowed_types() -> dict[str, str]:
    settings = load_settings()
    return {MEDIA_TYPES[name]: name for name in settings.report_types if name in MEDIA_TYPES}


def unsupported(detail: str) -> Problem:
    return Problem(415, "unsupported_media_type", detail)


def read_document(ctx: Ctx) -> tuple[bytes, str]:
    """The body and its media type, refused by size (413) and by type (415) first."""
    limit = load_settings().report_max_bytes
    if (ctx.request.content_length or 0) > limit:
        raise too_large(limit)
    allowed = allowed_types()
    declared = media_type(ctx.request.headers.get("Content-Type"))
    if declared not in allowed:
        raise unsupported("Send the document as one of: " + ", ".join(sorted(allowed)) + ".")
    content = ctx.request.stream.read(limit + 1)
    if len(content) > limit:
        raise too_large(limit)
    if not content:
        raise invalid({"content": ["The document is empty."]})
    actual = sniff(content)
    if actual != declared:
        raise unsupported(f"The content is not {declared}: "
                          + (f"it is {actual}." if actual else "not a type one may send."))
    return content, declared


@route("POST", "/reports", roles=SUBMITTERS, query=ReportUpload,
       uploads=tuple(EXTENSIONS), response=Report, status=201, tag="reports",
       errors=(413, 415), summary="Submit a report document (the body, with its "
                                  "Content-Type): kept with its SHA-256 and submission time")
def submit_report(ctx: Ctx) -> Reply:
    unit = own_unit(ctx.principal, ctx.query["unit_code"])
    if unit is None:
        raise invalid({"unit_code": ["Name the county or agency the report is for."]})
    content, declared = read_document(ctx)
    report = ctx.call(S, "submit_report", {
        "kind": ctx.query["kind"], "year": ctx.query["year"], "unit_code": unit,
        "unit_kind": unit_kind(unit), "content_type": declared,
        "content": base64.b64encode(content).decode()})
    return created(report, f"/reports/{report['report_id']}")


@route("GET", "/reports", roles=SUBMITTERS, query=ReportListQuery, response=page_of(Report),
       paged=True, tag="reports", summary="Submitted reports, latest first (a unit's admin: "
                                          "its own)")
def list_reports(ctx: Ctx) -> dict[str, Any]:
    filters = {"kind": ctx.query["kind"], "year": ctx.query["year"],
               "unit_code": own_unit(ctx.principal, ctx.query["unit_code"])}
    return whole_page(ctx, ctx.call(S, "list_reports", filters), filters)


@route("GET", "/reports/<report_id>", roles=SUBMITTERS, response=Report, tag="reports",
       summary="One submitted report: hash, size, type, submission time, on time or not")
def get_report(ctx: Ctx) -> dict[str, Any]:
    return in_scope(ctx.principal, ctx.call(S, "get_report", ctx.params["report_id"]))


@route("GET", "/reports/<report_id>/file", roles=SUBMITTERS, tag="reports",
       produces=tuple(EXTENSIONS), summary="The document's bytes, as submitted (the "
                                           "Digest header holds its SHA-256)")
def report_file(ctx: Ctx) -> Reply:
    in_scope(ctx.principal, ctx.call(S, "get_report", ctx.params["report_id"]))
    document = ctx.call(S, "report_content", ctx.params["report_id"])
    content = base64.b64decode(document["content"])
    name = (f"{document['kind']}-{document['unit_code']}-{document['year']}."
            f"{EXTENSIONS[document['content_type']]}")
    return Reply(content=content, status=200, content_type=document["content_type"],
                 headers={"Content-Disposition": f'attachment; filename="{name}"',
                          "Digest": "sha-256=" + base64.b64encode(
                              bytes.fromhex(document["sha256"])).decode(),
                          "ETag": f'"{document["sha256"]}"'})

"""Exports: the county ranking with its explanation rows, a county's volunteer roster and
the branches' certification list as CSV or XLSX; service-record certificates as PDF with
a verification code that anyone holding the paper can check here."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from gateway.city_clock import city_zone
from gateway.context import Ctx, Reply
from gateway.exports import formats, tables
from gateway.exports.certificate import FontMissing, render_certificate
from gateway.exports.registry import Certificates
from gateway.problem import Problem, not_found
from gateway.resources.common import ADMINS, created, filters_of
from gateway.resources.rankings import ranking_options, scoped_county
from gateway.resources.volunteers import VOLUNTEER_ROLES, scoped_volunteer
from gateway.roles import check_county, check_volunteer
from gateway.routing import route
from gateway.schemas import (
    BranchExportQuery,
    CertificateSchema,
    ExportQuery,
    IssueCertificateBody,
    RankingExportQuery,
    RevokeCertificateBody,
    VerificationSchema,
)
from yinfa.city_time import local_year

SPREADSHEETS = ("text/csv", formats.XLSX)
PDF = "application/pdf"
PAGE = 500  # rows per service call
MAX_ROWS = 20_000  # an export is bounded like any answer


def download(ctx: Ctx, table: tables.Table) -> Reply:
    fmt = ctx.query["format"]
    filename = quote(f"{table.title}.{fmt}")
    return Reply(content=formats.render(table, fmt), content_type=formats.FORMATS[fmt],
                 headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"})


def all_pages(ctx: Ctx, service: str, method: str, **filters: Any) -> Iterator[dict]:
    offset = 0
    while offset < MAX_ROWS:
        answer = ctx.call(service, method, limit=PAGE, offset=offset,
                          **{k: v for k, v in filters.items() if v is not None})
        yield from answer["items"]
        offset += len(answer["items"])
        if not answer["items"] or offset >= answer["total"]:
            return


log = logging.getLogger(__name__)


@route("GET", "/exports/county-ranking", roles=ADMINS, query=RankingExportQuery,
       produces=SPREADSHEETS, tag="exports",
       summary="The county ranking with every indicator's row (CSV or XLSX)")
def export_county_ranking(ctx: Ctx) -> Reply:
    ranking = ctx.call("scoring", "county_ranking", **ranking_options(ctx))
    period = ctx.query.get("period") or local_year(datetime.now(UTC), city_zone())
    title = f"县（市、区）排名_{period}"
    return download(ctx, tables.county_ranking(ranking, title))


@route("GET", "/exports/counties/<county_code>/volunteers", roles=ADMINS, query=ExportQuery,
       produces=SPREADSHEETS, tag="exports",
       summary="A county's volunteer roster, personal data masked (CSV or XLSX)")
def export_roster(ctx: Ctx) -> Reply:
    county_code = scoped_county(ctx, ctx.params["county_code"])
    volunteers = all_pages(ctx, "volunteers", "list_volunteers", county_code=county_code)
    title = f"{tables.county_name(county_code)}志愿者名册"
    return download(ctx, tables.volunteer_roster(volunteers, title))


@route("GET", "/exports/branch-certifications", roles=ADMINS, query=BranchExportQuery,
       produces=SPREADSHEETS, tag="exports",
       summary="Branches with their certification level and validity (CSV or XLSX)")
def export_branch_certifications(ctx: Ctx) -> Reply:
    county_code = filters_of(ctx, ("county_code",))["county_code"]
    branches = all_pages(ctx, "branches", "list_branches", county_code=county_code)
    title = f"{tables.county_name(county_code) if county_code else '全市'}支部认证清单"
    return download(ctx, tables.branch_certifications(branches, title))


# ---- certificates -----------------------------------------------------------------------
# Issued, verified and revoked through the volunteers service's log (a stream per
# certificate, named by its code). Codes issued before are still verified from the
# gateway's former collection (`gateway/exports/registry.py`), read only.

CERTIFICATE_STATUS = {"issued": "有效", "revoked": "已撤销"}


@route("POST", "/volunteers/<volunteer_id>/certificates", roles=VOLUNTEER_ROLES,
       body=IssueCertificateBody, response=CertificateSchema, status=201, tag="exports",
       summary="Issue a service-record certificate (its PDF is at Location)")
def issue_certificate(ctx: Ctx) -> Reply:
    volunteer_id = ctx.params["volunteer_id"]
    scoped_volunteer(ctx, volunteer_id)
    record = ctx.call("volunteers", "issue_certificate", {
        "volunteer_id": volunteer_id, "issued_by": ctx.principal.role})
    return created(shown(ctx, record), f"/certificates/{record['code']}/pdf")


def shown(ctx: Ctx, record: dict[str, Any]) -> dict[str, Any]:
    """The certificate with its county's name and the holder's name as the volunteers
    service has it now (已注销 once their personal data is erased)."""
    names = ctx.call("volunteers", "names_of", [record["volunteer_id"]])
    return {**record, "name": names.get(record["volunteer_id"], "已注销"),
            "county_name": record.get("county_name")
            or tables.county_name(record.get("county_code"))}


def certificate_of(ctx: Ctx, code: str) -> dict[str, Any]:
    try:
        return ctx.call("volunteers", "get_certificate", code)
    except Problem as missing:
        if missing.status != 404:
            raise
    former = Certificates(ctx.gateway.db).find(code)
    if former is None:
        raise not_found("No certificate has this code.")
    return {**former, "status": "issued", "revoked_on": None}


def verification_url(ctx: Ctx, code: str) -> str:
    base = ctx.settings.public_base_url or ctx.request.host_url
    return f"{base.rstrip('/')}/certificates/{code}"


def scoped_certificate(ctx: Ctx, code: str) -> dict[str, Any]:
    """The certificate if the caller may see it; 404 otherwise, like a missing code."""
    record = certificate_of(ctx, code)
    check_volunteer(ctx.principal, record["volunteer_id"])
    check_county(ctx.principal, record["county_code"])
    return record


@route("GET", "/certificates/<code>/pdf", roles=VOLUNTEER_ROLES, produces=(PDF,),
       tag="exports", summary="The certificate as PDF (not once revoked: 410)")
def certificate_pdf(ctx: Ctx) -> Reply:
    record = scoped_certificate(ctx, ctx.params["code"])
    if record["status"] == "revoked":
        raise Problem(410, "certificate_revoked",
                      f"The certificate was revoked on {record['revoked_on']}.")
    try:
        pdf = render_certificate(shown(ctx, record), verification_url(ctx, record["code"]))
    except FontMissing as missing:
        log.error("certificate %s not rendered: %s", record["code"], missing)
        raise Problem(503, "certificate_font_missing",
                      "Certificates cannot be printed here yet: their font is not "
                      "installed.") from None
    return Reply(content=pdf, content_type=PDF, headers={
        "Content-Disposition": f"inline; filename={record['code']}.pdf"})


@route("POST", "/certificates/<code>/revocation", roles=ADMINS, body=RevokeCertificateBody,
       response=CertificateSchema, status=201, tag="exports",
       summary="Revoke a certificate with a reason: its verification answers 已撤销")
def revoke_certificate(ctx: Ctx) -> Reply:
    code = scoped_certificate(ctx, ctx.params["code"])["code"]
    record = ctx.call("volunteers", "revoke_certificate", {"code": code, **ctx.data})
    return created(shown(ctx, record), f"/certificates/{code}")


@route("GET", "/certificates/<code>", public=True, response=VerificationSchema,
       tag="exports",
       summary="Check a certificate's verification code (anyone): 有效, or 已撤销")
def verify_certificate(ctx: Ctx) -> dict[str, Any]:
    record = shown(ctx, certificate_of(ctx, ctx.params["code"]))
    name = record["name"]
    return {"valid": record["status"] == "issued",
            "status": CERTIFICATE_STATUS[record["status"]], "code": record["code"],
            "name": name[:1] + "*" * (len(name) - 1), "county_name": record["county_name"],
            "total_hours": record["total_hours"], "star_level": record["star_level"],
            "issued_on": str(record["issued_on"]), "revoked_on": record["revoked_on"]}

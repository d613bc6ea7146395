"""Imports of partners' files (the feeds service): upload a CSV, XLSX or JSON-lines file
as the request body, follow the job, download its report.

A partner (feed client) imports as itself: its account is the source its external ids
belong to. The city may import for a source it names. The file goes to the feeds service
in pieces as it is read, never whole in the gateway's memory, and no larger than
YINFA_IMPORT_MAX_BYTES (a larger Content-Length is refused before anything is read).
"""
from __future__ import annotations

import base64
import csv
import io
from typing import Any

from marshmallow import fields, validate

from contracts.feeds.imports import KINDS
from contracts.feeds.replies import ImportJob
from gateway.bodies import too_large
from gateway.context import Ctx, Reply
from gateway.pagination import decode_cursor, page
from gateway.problem import invalid
from gateway.resources.common import CITY
from gateway.roles import FEED_CLIENT, OPS
from gateway.routing import route
from gateway.schemas import PageQuery, Strict, page_of
from yinfa.config import load_settings

F = "feeds"
UPLOADERS = (*CITY, FEED_CLIENT)
READERS = (*CITY, FEED_CLIENT, OPS)
PIECE = 512 * 1024  # bytes per call to the feeds service
FILES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "application/x-ndjson", "application/octet-stream")


class ImportQuery(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    file_name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                              metadata={"description": "its type by the ending: .csv, "
                                                       ".xlsx or .jsonl"})
    source = fields.String(load_default=None, validate=validate.Regexp(
        r"^[a-z0-9][a-z0-9_-]{1,39}$"), metadata={
        "description": "whose external ids (the city only; a partner is its own source)"})


class ImportListQuery(PageQuery):
    pass


def _partner(ctx: Ctx) -> str | None:
    """Whose jobs the caller sees: a partner its own, the city and ops every one."""
    return ctx.principal.account if ctx.principal.role == FEED_CLIENT else None


@route("POST", "/imports", roles=UPLOADERS, query=ImportQuery, uploads=FILES,
       response=ImportJob, status=202, tag="imports", errors=(413,),
       summary="Upload a partner's file (the body): an import job, run in the background")
def upload(ctx: Ctx) -> Reply:
    limit = load_settings().import_max_bytes
    if (ctx.request.content_length or 0) > limit:
        raise too_large(limit)
    if ctx.principal.role == FEED_CLIENT:
        source = ctx.principal.account
    elif ctx.query["source"]:
        source = ctx.query["source"]
    else:
        raise invalid({"source": ["Name the source whose external ids these are."]})
    job = ctx.call(F, "create_import", ctx.principal.account, source, ctx.query["kind"],
                   ctx.query["file_name"])
    seq = received = 0
    while piece := ctx.request.stream.read(PIECE):
        received += len(piece)
        if received > limit:
            raise too_large(limit)
        ctx.call(F, "import_chunk", job["job_id"], seq, base64.b64encode(piece).decode())
        seq += 1
    job = ctx.call(F, "start_import", job["job_id"])
    return Reply(body=job, status=202, headers={"Location": f"/imports/{job['job_id']}"})


@route("GET", "/imports", roles=READERS, query=ImportListQuery, response=page_of(ImportJob),
       paged=True, tag="imports", summary="Import jobs, latest first (a partner: its own)")
def list_imports(ctx: Ctx) -> dict[str, Any]:
    filters = {"partner": _partner(ctx)}
    offset = decode_cursor(ctx.settings.cursor_secret, ctx.query.get("cursor"), filters)
    answer = ctx.call(F, "list_imports", filters["partner"], ctx.query["limit"], offset)
    return page(ctx.settings.cursor_secret, answer["items"], answer["total"], offset,
                ctx.query["limit"], filters)


@route("GET", "/imports/<job_id>", roles=READERS, response=ImportJob, tag="imports",
       summary="One import job: its status and counts")
def get_import(ctx: Ctx) -> dict[str, Any]:
    return ctx.call(F, "get_import", ctx.params["job_id"], _partner(ctx))


@route("GET", "/imports/<job_id>/report", roles=READERS, tag="imports",
       produces=("text/csv",), summary="The job's report: each line accepted or rejected, "
                                       "with the reason (CSV, UTF-8 with BOM)")
def import_report(ctx: Ctx) -> Reply:
    job_id, partner = ctx.params["job_id"], _partner(ctx)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["line", "external_id", "outcome", "reason"])
    after = 0
    while lines := ctx.call(F, "import_report", job_id, after, 5000, partner):
        writer.writerows([[r["line"], r["external_id"], r["outcome"], r["reason"]]
                          for r in lines])
        after = lines[-1]["line"]
    return Reply(content=("\ufeff" + text.getvalue()).encode("utf-8"), status=200,
                 content_type="text/csv; charset=utf-8",
                 headers={"Content-Disposition": f'attachment; filename="import-{job_id}.csv"'})

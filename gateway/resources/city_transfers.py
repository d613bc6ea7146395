"""Moving to another city (the volunteers service): a county bureau (or the city) releases
a volunteer to a city of the trust list and downloads the signed, encrypted transfer
package; the receiving platform's county bureau uploads it (docs/records.md).

The package is personal data in transit: it is answered as a file, never logged, and a
repeat of the release issues the same package again (a lost download).
"""
from __future__ import annotations

import json

from contracts.volunteers import commands as cmd
from contracts.volunteers.city_transfer_record import MAX_PACKAGE_BYTES
from contracts.volunteers.replies import Volunteer
from gateway.bodies import too_large
from gateway.context import Ctx, Reply
from gateway.problem import invalid
from gateway.resources.common import ADMINS
from gateway.resources.volunteers import scoped_volunteer
from gateway.routing import route
from gateway.schemas import Strict, body_of, county_field

V = "volunteers"
PACKAGE_TYPES = ("application/json", "application/octet-stream")
RELEASE = body_of(cmd.TransferOutOfCity, "acting_county", name="TransferOutOfCityBody")


@route("POST", "/transfers/outgoing", roles=ADMINS, body=RELEASE, tag="transfers",
       produces=("application/json",), errors=(404, 409, 422),
       summary="Release a volunteer to another city (one of the trust list) and download "
               "the transfer package: their record, signed by this city and encrypted to "
               "that one. The record stays, read-only (已转出); asked again, the same "
               "package is issued again")
def release_to_city(ctx: Ctx) -> Reply:
    volunteer_id = ctx.data["volunteer_id"]
    scoped_volunteer(ctx, volunteer_id)
    acting = ctx.principal.county_code if ctx.principal.county_bound else None
    answer = ctx.call(V, "transfer_out_of_city",
                      {**ctx.payload(), "acting_county": acting})
    return Reply(content=answer["package"].encode("ascii"), status=200,
                 content_type="application/json", headers={
                     "Content-Disposition":
                         f'attachment; filename="transfer-{answer["package_id"]}.json"',
                     "X-Package-Id": answer["package_id"],
                     "X-Package-Expires": answer["expires_at"],
                     "Cache-Control": "no-store"})


class IncomingQuery(Strict):
    county_code = county_field()  # the receiving county: the city names one


@route("POST", "/transfers/incoming", roles=ADMINS, query=IncomingQuery,
       uploads=PACKAGE_TYPES, response=Volunteer, tag="transfers", errors=(409, 413, 422),
       summary="Import a transfer package from another city (the body, as downloaded "
               "there): the person is registered in the receiving county with the history "
               "it carries; the same package twice registers nobody twice. A package "
               "altered, expired, from an untrusted city, for another city or of a person "
               "serving here already is refused, and nothing changes")
def import_from_city(ctx: Ctx) -> dict:
    if (ctx.request.content_length or 0) > MAX_PACKAGE_BYTES:
        raise too_large(MAX_PACKAGE_BYTES)
    data = ctx.request.stream.read(MAX_PACKAGE_BYTES + 1)
    if len(data) > MAX_PACKAGE_BYTES:
        raise too_large(MAX_PACKAGE_BYTES)
    county = (ctx.principal.county_code if ctx.principal.county_bound
              else ctx.query.get("county_code"))
    if county is None:
        raise invalid({"county_code": ["Name the receiving county."]})
    if ctx.principal.county_bound and ctx.query.get("county_code") not in (None, county):
        raise invalid({"county_code": ["Not a county in your scope."]})
    try:
        text = data.decode("utf-8")
        json.loads(text)
    except ValueError:
        raise invalid({"package": ["The package is not JSON text."]}) from None
    return ctx.call(V, "transfer_in_from_city", {"package": text, "county_code": county})


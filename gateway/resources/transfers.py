"""Transfers of volunteers between counties (转移接续): the sending county's bureau asks,
the receiving one accepts or declines, the sender releases; either may cancel before.

A county admin sees the transfers of its county (as either side; others are 404) and
acts only for its side (the other side's step is a 403); the city admin may do any step.
The county a caller acts for goes to the service from the account, never from a body."""
from __future__ import annotations

from typing import Any

from contracts.volunteers import commands as cmd
from contracts.volunteers.replies import TRANSFER_STATUSES, Transfer
from gateway.context import Ctx, Reply
from gateway.problem import forbidden, not_found
from gateway.resources.common import ADMINS, created, filters_of, retry_safe_id, service_page
from gateway.resources.volunteers import scoped_volunteer
from gateway.routing import route
from gateway.schemas import CountyQuery, body_of, one_of, page_of

V = "volunteers"
SENDING, RECEIVING = "sending", "receiving"
NOT_IN_BODY = ("volunteer_id", "transfer_id", "acting_county")


class TransferQuery(CountyQuery):
    side = one_of(SENDING, RECEIVING)
    status = one_of(*TRANSFER_STATUSES)


def _acting_county(ctx: Ctx) -> str | None:
    return ctx.principal.county_code if ctx.principal.county_bound else None


def _sides_of(ctx: Ctx, transfer: dict[str, Any]) -> set[str]:
    """The sides the caller may act for: both for the city."""
    if not ctx.principal.county_bound:
        return {SENDING, RECEIVING}
    county = ctx.principal.county_code
    return ({SENDING} if transfer["from_county"] == county else set()) | (
        {RECEIVING} if transfer["to_county"] == county else set())


def scoped_transfer(ctx: Ctx, transfer_id: str) -> dict[str, Any]:
    """The transfer if it is the caller's county's (either side); 404 otherwise."""
    transfer = ctx.call(V, "get_transfer", transfer_id)
    if not _sides_of(ctx, transfer):
        raise not_found("No such transfer.")
    return transfer


@route("POST", "/volunteers/<volunteer_id>/transfers", roles=ADMINS,
       body=body_of(cmd.RequestTransfer, "volunteer_id", "acting_county",
                    name="TransferRequestBody"),
       response=Transfer, status=201, tag="transfers",
       summary="Ask to transfer a volunteer of the caller's county to another county of the "
               "city (转移接续); the receiving county accepts, then the caller releases")
def request_transfer(ctx: Ctx) -> Reply:
    volunteer_id = ctx.params["volunteer_id"]
    scoped_volunteer(ctx, volunteer_id)  # the sending side: the volunteer's own county
    transfer_id = ctx.body.get("transfer_id") or retry_safe_id(ctx)
    transfer = ctx.call(V, "request_transfer", ctx.payload(
        volunteer_id=volunteer_id, transfer_id=transfer_id, acting_county=_acting_county(ctx)))
    return created(transfer, f"/transfers/{transfer['transfer_id']}")


@route("GET", "/transfers", roles=ADMINS, query=TransferQuery, response=page_of(Transfer),
       paged=True, tag="transfers",
       summary="The caller's work: transfers of its county as sending or receiving side "
               "(under way unless a status is asked for); the city's: every county's")
def list_transfers(ctx: Ctx) -> dict[str, Any]:
    return service_page(ctx, V, "list_transfers",
                        filters_of(ctx, ("county_code", "side", "status")))


@route("GET", "/transfers/<transfer_id>", roles=ADMINS, response=Transfer, tag="transfers",
       summary="One transfer, for the admins of its two counties and the city")
def get_transfer(ctx: Ctx) -> dict[str, Any]:
    return scoped_transfer(ctx, ctx.params["transfer_id"])


STEPS = (  # path, the service's method, its command, the side that takes it, summary
    ("accept", "accept_transfer", cmd.AcceptTransfer, RECEIVING,
     "The receiving county takes the volunteer (then the sender may release)"),
    ("decline", "decline_transfer", cmd.DeclineTransfer, RECEIVING,
     "The receiving county declines, on a reason of the catalog: the transfer is over"),
    ("release", "release_transfer", cmd.ReleaseTransfer, SENDING,
     "The sending county releases an accepted transfer: from this instant the volunteer "
     "belongs to the receiving county, with their hours, stars, teams and history"),
    ("cancel", "cancel_transfer", cmd.CancelTransfer, None,
     "Either county (or the city) withdraws the transfer before its release"),
)

for _path, _method, _schema, _side, _summary in STEPS:
    def _step(ctx: Ctx, method: str = _method, side: str | None = _side) -> dict[str, Any]:
        transfer_id = ctx.params["transfer_id"]
        transfer = scoped_transfer(ctx, transfer_id)
        if side is not None and side not in _sides_of(ctx, transfer):
            raise forbidden(f"Only the {side} county (or the city) takes this step.")
        return ctx.call(V, method, ctx.payload(
            volunteer_id=transfer["volunteer_id"], transfer_id=transfer_id,
            acting_county=_acting_county(ctx)))

    _step.__name__ = _method  # the OpenAPI operation's name
    route("POST", f"/transfers/<transfer_id>/{_path}", roles=ADMINS,
          body=body_of(_schema, *NOT_IN_BODY), response=Transfer, tag="transfers",
          summary=_summary)(_step)


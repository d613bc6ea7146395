"""How the transfer events change a volunteer's state (the fold's side of transfer.py).

A volunteer has at most one transfer under way (`transfer`): requested, then accepted by
the receiving side; declined, cancelled or released, it is over. The release changes the
volunteer's county: everything else (ledger, stars, teams, history) stays with them."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from contracts.volunteers import transfer_events as tev

REQUESTED, ACCEPTED = "requested", "accepted"


@dataclass(frozen=True)
class PendingTransfer:
    transfer_id: str
    from_county: str
    to_county: str | None
    to_city: str | None
    status: str = REQUESTED


def _requested(state: Any, data: Mapping[str, Any]) -> Any:
    return replace(state, transfer=PendingTransfer(
        data["transfer_id"], data["from_county"], data.get("to_county"), data.get("to_city")))


def _accepted(state: Any, data: Mapping[str, Any]) -> Any:
    return replace(state, transfer=replace(state.transfer, status=ACCEPTED))


def _over(state: Any, data: Mapping[str, Any]) -> Any:
    return replace(state, transfer=None)


def _transferred(state: Any, data: Mapping[str, Any]) -> Any:
    county = data.get("to_county") or state.county_code  # out of the city: the last one
    return replace(state, transfer=None, county_code=county)


APPLIERS = {
    tev.TRANSFER_REQUESTED: _requested,
    tev.TRANSFER_ACCEPTED: _accepted,
    tev.TRANSFER_DECLINED: _over,
    tev.TRANSFER_CANCELLED: _over,
    tev.VOLUNTEER_TRANSFERRED: _transferred,
}

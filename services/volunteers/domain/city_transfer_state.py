"""How moving between cities changes a volunteer's state (the fold's side of
city_transfer.py)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from contracts.volunteers import city_transfer_events as cev

TRANSFERRED_OUT = "transferred_out"


def _transferred_out(state: Any, data: Mapping[str, Any]) -> Any:
    return replace(state, status=TRANSFERRED_OUT, transferred_to=data["to_city"],
                   released_with=data["package_id"])


def _transferred_in(state: Any, data: Mapping[str, Any]) -> Any:
    # follows the VolunteerRegistered of the same commit; a VolunteerVerified follows
    # when the sending city had verified the person
    level = data["star_level"]
    return replace(state, carried_hours=Decimal(data["carried_hours"]),
                   transferred_from=data["from_city"], arrived_with=data["package_id"],
                   star_level=level,
                   star_level_reached=level, star_level_floor=level)


APPLIERS = {
    cev.VOLUNTEER_TRANSFERRED_OUT: _transferred_out,
    cev.VOLUNTEER_TRANSFERRED_IN: _transferred_in,
}

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
                   released_with=data["package_id"], released_from=state.status)


def _transferred_in(state: Any, data: Mapping[str, Any]) -> Any:
    # a newcomer: after the VolunteerRegistered of the same commit (a VolunteerVerified
    # follows when the sending city had verified the person); or back on the record they
    # left here with, where it stood, with the hours served elsewhere added
    back = state.status == TRANSFERRED_OUT
    level = max(data["star_level"], state.star_level) if back else data["star_level"]
    return replace(state, carried_hours=state.carried_hours + Decimal(data["carried_hours"]),
                   transferred_from=data["from_city"], arrived_with=data["package_id"],
                   status=state.released_from or state.status if back else state.status,
                   transferred_to=None, released_from=None, star_level=level,
                   star_level_reached=max(level, state.star_level_reached),
                   star_level_floor=max(level, state.star_level_floor))


APPLIERS = {
    cev.VOLUNTEER_TRANSFERRED_OUT: _transferred_out,
    cev.VOLUNTEER_TRANSFERRED_IN: _transferred_in,
}

"""The demo approves star levels as bureaus would: each level in turn, by its authority,
leaving every fourth volunteer's highest level waiting; every command passes its schema."""
from __future__ import annotations

from contracts.volunteers.commands import ApproveStarLevel, load_command
from demo.loader import approve_star_levels


def uuid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


class Sent:
    """An RPC method that records the payloads it is called with."""

    def __init__(self) -> None:
        self.payloads: list[dict] = []

    def call_async(self, payload: dict) -> Sent:
        self.payloads.append(payload)
        return self

    def result(self) -> None:
        return None


class Service:
    def __init__(self) -> None:
        self.approve_star_level = Sent()


def test_levels_go_in_order_to_their_authority_and_some_wait():
    service = Service()
    reached = {uuid(n): top for n, top in enumerate([4, 2, 0, 1, 3])}  # in sorted order

    approved = approve_star_levels(service, reached)

    sent = service.approve_star_level.payloads
    assert approved == len(sent) == 3 + 2 + 0 + 1 + 2  # the 1st and 5th (n % 4 == 0) wait
    for payload in sent:
        load_command(ApproveStarLevel, payload)
    assert [(p["level"], p["approver"]) for p in sent if p["volunteer_id"] == uuid(0)] == [
        (1, "county"), (2, "county"), (3, "county")]
    levels = [p["level"] for p in sent]
    assert levels == sorted(levels)  # a level only after every volunteer's lower one

"""The demo approves star levels as bureaus would: each level in turn, by its authority,
leaving every fourth volunteer's highest level waiting; every command passes its schema."""
from __future__ import annotations

from contracts.volunteers.commands import ApproveStarLevel, load_command
from demo.loader import approve_star_levels


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
    reached = {"a": 4, "b": 2, "c": 0, "d": 1, "e": 3}

    approved = approve_star_levels(service, reached)

    sent = service.approve_star_level.payloads
    assert approved == len(sent) == 3 + 2 + 0 + 1 + 2  # "a" and "e" (n % 4 == 0) wait
    for payload in sent:
        load_command(ApproveStarLevel, payload)
    assert [(p["volunteer_id"], p["level"], p["approver"]) for p in sent
            if p["volunteer_id"] == "a"] == [("a", 1, "county"), ("a", 2, "county"),
                                             ("a", 3, "county")]
    levels = [p["level"] for p in sent]
    assert levels == sorted(levels)  # a level only after every volunteer's lower one

"""Any sequence of transfer steps by any county (or the city), sensible or not, among
hours and withdrawals: each is refused with a typed error or recorded, and what is
recorded keeps the rules — one transfer at a time, the county changes only at a release,
the ledger never moves — and the consumers' readings agree with the service's state."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings, strategies as st
from property_support import PROPERTY_SETTINGS

from contracts.volunteers import events as ev
from contracts.volunteers.catalog import load_volunteer_catalog
from contracts.volunteers.standing import standing_facts
from services.scoring.domain.state import ScoringState, SourceEvent
from services.volunteers.domain import commands as c, transfer as t, volunteer as v
from yinfa.errors import YinfaError
from yinfa.reference import load_city

CATALOG = load_volunteer_catalog()
WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"
COUNTIES = ("320902", "320903", "320904")
T0 = datetime(2026, 1, 5, 2, tzinfo=UTC)

# mostly the side whose step it is, so that transfers get far; now and then the other side,
# the city or any county
actor = st.sampled_from(("right", "right", "right", "city", "sending", "receiving", *COUNTIES))
RIGHT_SIDE = {"request": "sending", "accept": "receiving", "decline": "receiving",
              "release": "sending", "cancel": "receiving"}
which = st.sampled_from(("pending", "pending", "stale"))
decision = st.tuples(st.sampled_from(("accept", "accept", "release", "release", "cancel",
                                      "decline")), actor, which)
step = st.one_of(
    st.tuples(st.just("request"), actor, st.sampled_from(COUNTIES)),
    decision, decision, decision,
    st.tuples(st.just("hours"), st.integers(1, 8), st.integers(0, 300)),
    st.tuples(st.sampled_from(("withdraw", "return")), st.just(None), st.just(None)),
)

# whole transfers now and then (any step may still be refused: a withdrawal in between)
ENDINGS = ((("accept", "right", "pending"), ("release", "right", "pending")),
           (("accept", "right", "pending"), ("cancel", "sending", "pending")),
           (("decline", "right", "pending"),), (("cancel", "city", "pending"),))
flow = st.tuples(st.sampled_from(COUNTIES), st.sampled_from(ENDINGS)).map(
    lambda drawn: [("request", "right", drawn[0]), *drawn[1]])
steps_of = st.lists(st.one_of(flow, st.lists(step, max_size=3)), max_size=8).map(
    lambda chunks: [one for chunk in chunks for one in chunk])


class Recorded:
    """A recorded event as the consumers see it (type, data, its place in the stream)."""

    def __init__(self, version: int, event, at: datetime) -> None:
        self.type, self.data, self.version, self.at = event.type, event.data, version, at


def acting(state, kind, side):
    side = RIGHT_SIDE[kind] if side == "right" else side
    pending = state.transfer
    return {"city": None,
            "sending": pending.from_county if pending else state.county_code,
            "receiving": pending.to_county if pending else state.county_code,
            }.get(side, side)


def decide(state, kind, a, b, n, pending_id):
    transfer_id = pending_id if b == "pending" and pending_id else f"stale-{n}"
    a = acting(state, kind, a) if kind in RIGHT_SIDE else a
    released_at = (T0 + timedelta(days=n)).isoformat()
    if kind == "request":
        return t.request(state, c.RequestTransfer(WANG, f"t-{n}", b, "moved_home", a))
    if kind == "accept":
        return t.accept(state, c.AcceptTransfer(WANG, transfer_id, a))
    if kind == "decline":
        return t.decline(state, c.DeclineTransfer(WANG, transfer_id, "other", a))
    if kind == "release":
        return t.release(state, c.ReleaseTransfer(WANG, transfer_id, a, released_at))
    if kind == "cancel":
        return t.cancel(state, c.CancelTransfer(WANG, transfer_id, a))
    if kind == "hours":
        served = (T0 + timedelta(days=b)).date()
        return v.record_hours(state, c.LedgerEntry(entry_id=f"e-{n}", hours=Decimal(a),
                                                   served_on=served, source="bureau"),
                              CATALOG)
    if kind == "withdraw":
        return v.withdraw(state, c.WithdrawVolunteer(WANG, "health"), CATALOG)
    return v.return_after_withdrawal(state, c.ReturnVolunteer(WANG, "回来了"), CATALOG)


@settings(PROPERTY_SETTINGS, max_examples=150)
@given(steps=steps_of)
def test_transfers_keep_their_rules_and_every_reading_agrees(steps) -> None:
    registered = v.register(None, c.RegisterVolunteer(
        "王建国", "male", 1956, "x", "13812345678", COUNTIES[0], "tuixiu"), CATALOG)
    state = v.replay(registered)
    history = [Recorded(1, registered[0], T0)]
    expected_county, ledger = COUNTIES[0], {}
    for n, (kind, a, b) in enumerate(steps):
        pending_id = state.transfer.transfer_id if state.transfer else None
        try:
            events = decide(state, kind, a, b, n, pending_id)
        except YinfaError:
            continue
        for event in events:
            schema = ev.SCHEMAS[(event.type, event.schema_version)]()
            assert schema.load(event.data) == event.data  # valid on the wire
            history.append(Recorded(len(history) + 1, event, T0 + timedelta(days=n)))
            if event.type == "VolunteerTransferred":
                assert event.data["from_county"] == expected_county != event.data["to_county"]
                expected_county = event.data["to_county"]
            if event.type == "HoursRecorded":
                ledger[event.data["entry_id"]] = Decimal(event.data["hours"])
        state = v.replay(events, state)

        assert state.county_code == expected_county
        assert dict(state.ledger) == ledger  # a transfer never touches the ledger
        requested = [e for e in history if e.type == "VolunteerTransferRequested"]
        over = [e for e in history if e.type in (
            "VolunteerTransferred", "VolunteerTransferCancelled", "VolunteerTransferDeclined")]
        assert (state.transfer is None) == (len(requested) == len(over))

    replica: dict = {}
    for recorded in history:
        replica.update(standing_facts(recorded))  # type: ignore[arg-type]
    assert replica["county_code"] == state.county_code

    scoring = ScoringState(load_city().zone).apply_all(
        SourceEvent(f"e{e.version}", e.type, f"volunteer-{WANG}", e.version, e.data, e.at)
        for e in reversed(history))  # any order
    assert scoring.county_of_volunteer_on(WANG, date(2099, 1, 1)) == state.county_code
    for entry, amount in ledger.items():
        served = next(e.data["served_on"] for e in history if e.data.get("entry_id") == entry)
        county = scoring.county_of_volunteer_on(WANG, served)
        assert scoring.facts[county].hour_entries[entry][1] == amount

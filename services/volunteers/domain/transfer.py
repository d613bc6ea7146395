"""Transfer (转移接续) of a volunteer from one county of the city to another, as pure
decisions on the volunteer's state.

The sending county's bureau (or the city) requests it, naming the receiving county; the
receiving bureau accepts, or declines on a reason; the sending bureau releases, and at
that instant the volunteer belongs to the receiving county. Either side (or the city)
may cancel before the release. One transfer at a time; each decision names the transfer
it decides, so a decision on a transfer that is over (or another one) is refused, and of
two bureaus deciding at once the second finds the transfer decided: a clear conflict.

`acting_county` is the county the caller acts for, None for the city, which may act for
either side.
"""
from __future__ import annotations

from contracts.volunteers import events as ev, transfer_events as tev
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.events.envelope import NewEvent

from . import commands as c
from .transfer_state import ACCEPTED, REQUESTED, PendingTransfer
from .volunteer import Volunteer, _existing

SENDING, RECEIVING, CITY = "sending", "receiving", "city"


def request(state: Volunteer | None, command: c.RequestTransfer) -> list[NewEvent]:
    current = _existing(state, "transfer")
    _acts_for(command.acting_county, current.county_code, "the sending county")
    if current.transfer is not None:
        raise AlreadyExists("a transfer of this volunteer is under way",
                            field="volunteer_id", transfer_id=current.transfer.transfer_id)
    if command.to_county == current.county_code:
        raise DomainRuleViolated("the volunteer already belongs to this county",
                                 field="to_county")
    return [_event(tev.TRANSFER_REQUESTED, {
        "transfer_id": command.transfer_id, "from_county": current.county_code,
        "to_county": command.to_county, "to_city": None,
        "reason_code": command.reason_code})]


def accept(state: Volunteer | None, command: c.AcceptTransfer) -> list[NewEvent]:
    pending = _pending(_existing(state, "accept the transfer of"), command.transfer_id,
                       REQUESTED, "accepted")
    decided_by = _receiving(command.acting_county, pending)
    return [_event(tev.TRANSFER_ACCEPTED, {"transfer_id": pending.transfer_id,
                                           "decided_by": decided_by})]


def decline(state: Volunteer | None, command: c.DeclineTransfer) -> list[NewEvent]:
    pending = _pending(_found(state), command.transfer_id, REQUESTED, "declined")
    decided_by = _receiving(command.acting_county, pending)
    return [_event(tev.TRANSFER_DECLINED, {"transfer_id": pending.transfer_id,
                                           "decided_by": decided_by,
                                           "reason_code": command.reason_code})]


def release(state: Volunteer | None, command: c.ReleaseTransfer) -> list[NewEvent]:
    """The handler has dated the release (`released_at`, now)."""
    current = _existing(state, "release")
    pending = _pending(current, command.transfer_id, ACCEPTED, "released")
    _acts_for(command.acting_county, pending.from_county, "the sending county")
    assert command.released_at is not None
    return [_event(tev.VOLUNTEER_TRANSFERRED, {
        "transfer_id": pending.transfer_id, "from_county": pending.from_county,
        "to_county": pending.to_county, "to_city": pending.to_city,
        "effective_at": command.released_at})]


def cancel(state: Volunteer | None, command: c.CancelTransfer) -> list[NewEvent]:
    pending = _pending(_found(state), command.transfer_id, None, "cancelled")
    acting = command.acting_county
    if acting is None:
        side = CITY
    elif acting == pending.from_county:
        side = SENDING
    elif acting == pending.to_county:
        side = RECEIVING
    else:
        raise DomainRuleViolated("only the two counties of a transfer (or the city) may "
                                 "cancel it", field="acting_county")
    return [_event(tev.TRANSFER_CANCELLED, {"transfer_id": pending.transfer_id,
                                            "cancelled_by": side})]


# --- helpers ----------------------------------------------------------------------------


def _event(event_type: str, data: dict) -> NewEvent:
    return ev.new_event(event_type, data)


def _found(state: Volunteer | None) -> Volunteer:
    if state is None:
        raise NotFound("no such volunteer", field="volunteer_id")
    return state


def _pending(state: Volunteer, transfer_id: str, status: str | None, action: str
             ) -> PendingTransfer:
    """The transfer under way if it is `transfer_id` (and in `status`, if named)."""
    pending = state.transfer
    if pending is None or pending.transfer_id != transfer_id:
        raise DomainRuleViolated("this transfer is not under way (decided, cancelled or "
                                 "released already)", field="transfer_id")
    if status is not None and pending.status != status:
        needed = "accepted by the receiving county" if status == ACCEPTED else "requested"
        raise DomainRuleViolated(f"only a transfer {needed} can be {action}",
                                 field="transfer_id", status=pending.status)
    return pending


def _receiving(acting_county: str | None, pending: PendingTransfer) -> str:
    _acts_for(acting_county, pending.to_county, "the receiving county")
    return "city" if acting_county is None else "county"


def _acts_for(acting_county: str | None, county: str | None, side: str) -> None:
    if acting_county is not None and acting_county != county:
        raise DomainRuleViolated(f"only {side}'s bureau (or the city) may do this",
                                 field="acting_county", county=county)

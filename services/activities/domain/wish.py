"""The micro-wish aggregate (微心愿, seed 003): a person in need wishes for something small,
a volunteer or a branch claims it, fulfils it, and whoever posted it confirms.

Posted on the person's behalf (by a bureau, branch or community), with as little personal
data as possible: a pseudonymous label such as 王奶奶, the county and a category. Numbers
that could be an ID or phone number are refused in the label and the description by the
boundary schema, which also knows the categories and the kinds of party that may post,
claim and confirm.

Lifecycle: open → claimed → fulfilled → confirmed; a claim can be released (back to open);
an open or claimed wish expires at its deadline (`expired(state, now)`), a fulfilled one
waits for its confirmation.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from contracts.activities import events as ev
from contracts.activities.catalog import ActivityCatalog
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.events import fold
from yinfa.events.envelope import NewEvent

from .commands import ClaimWish, ConfirmWish, FulfilWish, PostWish, ReleaseWishClaim
from .instants import instant, iso
from .party import VERIFIED_VOLUNTEER_STATUSES, Party

OPEN, CLAIMED, FULFILLED = "open", "claimed", "fulfilled"
CONFIRMED, EXPIRED = "confirmed", "expired"


@dataclass(frozen=True)
class Wish:
    client_request_id: str
    label: str
    county_code: str
    category: str
    posted_by: Party
    posted_at: datetime
    expires_at: datetime
    status: str = OPEN
    claimant: Party | None = None
    claimed_at: datetime | None = None
    fulfilled_at: datetime | None = None
    evidence: tuple[str, ...] = ()
    confirmed_at: datetime | None = None
    seconds_to_fulfil: int | None = None


# --- commands ---------------------------------------------------------------------------


def post(state: Wish | None, command: PostWish, catalog: ActivityCatalog
         ) -> list[NewEvent]:
    """Like publishing an activity: the stream id derives from `client_request_id`, a retry
    records nothing and another wish under the same request id is refused."""
    data = _posting(command, catalog)
    if state is not None:
        if _same_request(data, state):
            return []
        raise AlreadyExists("this client request posted another wish already",
                            field="client_request_id")
    return [ev.new_event(ev.WISH_POSTED, data)]


def claim(state: Wish | None, command: ClaimWish, catalog: ActivityCatalog,
          volunteer_status: str | None = None) -> list[NewEvent]:
    """`volunteer_status`: when a volunteer claims, their status in the volunteers service
    (None: no such volunteer). A branch's claim is taken as given."""
    wish = _existing(state)
    at = _before_expiry(wish, command)
    if wish.status == CLAIMED:
        raise AlreadyExists("the wish is claimed already", field="wish_id",
                            claimant_kind=wish.claimant.kind if wish.claimant else None)
    _check_status(wish, OPEN, "claim")
    claimant = command.claimant
    if claimant.kind == "volunteer":
        _check_volunteer(volunteer_status)
    return [ev.new_event(ev.WISH_CLAIMED, {"claimant": claimant.as_data(), "claimed_at": iso(at)})]


def release_claim(state: Wish | None, command: ReleaseWishClaim, catalog: ActivityCatalog
                  ) -> list[NewEvent]:
    wish = _existing(state)
    _check_status(wish, CLAIMED, "release")
    assert wish.claimant is not None
    return [ev.new_event(ev.WISH_CLAIM_RELEASED, {
        "claimant": wish.claimant.as_data(), "reason": command.reason,
    })]


def fulfil(state: Wish | None, command: FulfilWish, catalog: ActivityCatalog
           ) -> list[NewEvent]:
    """Only the claimant fulfils, with evidence (photo or document links)."""
    wish = _existing(state)
    at = _before_expiry(wish, command)
    _check_status(wish, CLAIMED, "fulfil")
    assert wish.claimant is not None and wish.claimed_at is not None
    if command.fulfilled_by != wish.claimant:
        raise DomainRuleViolated("only the claimant can fulfil the wish", field="fulfilled_by")
    if at < wish.claimed_at:
        raise DomainRuleViolated("a wish is fulfilled after it is claimed", field="at")
    return [ev.new_event(ev.WISH_FULFILLED, {
        "claimant": wish.claimant.as_data(), "evidence": list(command.evidence),
        "note": command.note, "fulfilled_at": iso(at),
    })]


def confirm(state: Wish | None, command: ConfirmWish, catalog: ActivityCatalog
            ) -> list[NewEvent]:
    """Whoever posted the wish confirms it came true; the event says how long it took."""
    wish = _existing(state)
    if wish.status == CONFIRMED:
        raise AlreadyExists("the wish is confirmed already", field="wish_id")
    _check_status(wish, FULFILLED, "confirm")
    assert wish.claimant is not None and wish.fulfilled_at is not None
    confirmer = command.confirmed_by
    if confirmer != wish.posted_by:
        raise DomainRuleViolated("only whoever posted the wish can confirm it",
                                 field="confirmed_by")
    at = command.at
    if at < wish.fulfilled_at:
        raise DomainRuleViolated("a wish is confirmed after it is fulfilled", field="at")
    return [ev.new_event(ev.WISH_CONFIRMED, {
        "confirmed_by": confirmer.as_data(),
        "claimant": wish.claimant.as_data(),
        "confirmed_at": iso(at),
        "seconds_to_fulfil": int((at - wish.posted_at).total_seconds()),
    })]


def expired(state: Wish | None, now: datetime) -> list[NewEvent]:
    """WishExpired once the deadline has passed for an open or claimed wish; else nothing
    (so a periodic sweep may ask again and again)."""
    if state is None or state.status not in (OPEN, CLAIMED):
        return []
    if instant(now, "now") < state.expires_at:
        return []
    claimant = None if state.claimant is None else state.claimant.as_data()
    return [ev.new_event(ev.WISH_EXPIRED, {
        "expires_at": iso(state.expires_at), "was_claimed_by": claimant,
    })]


# --- state ------------------------------------------------------------------------------


_FOLD = fold.Fold("wish", ev.WISH_POSTED, {
    ev.WISH_POSTED: lambda _state, data: _posted(data),
    ev.WISH_CLAIMED: lambda state, data: replace(
        state, status=CLAIMED, claimant=Party.of(data["claimant"]),
        claimed_at=instant(data["claimed_at"], "claimed_at")),
    ev.WISH_CLAIM_RELEASED: lambda state, _data: replace(
        state, status=OPEN, claimant=None, claimed_at=None),
    ev.WISH_FULFILLED: lambda state, data: replace(
        state, status=FULFILLED, evidence=tuple(data["evidence"]),
        fulfilled_at=instant(data["fulfilled_at"], "fulfilled_at")),
    ev.WISH_CONFIRMED: lambda state, data: replace(
        state, status=CONFIRMED, confirmed_at=instant(data["confirmed_at"], "confirmed_at"),
        seconds_to_fulfil=data["seconds_to_fulfil"]),
    ev.WISH_EXPIRED: lambda state, _data: replace(state, status=EXPIRED),
})
evolve, replay = _FOLD.evolve, _FOLD.replay


def _posted(data: Mapping[str, Any]) -> Wish:
    return Wish(
        client_request_id=data["client_request_id"],
        label=data["label"],
        county_code=data["county_code"],
        category=data["category"],
        posted_by=Party.of(data["posted_by"]),
        posted_at=instant(data["posted_at"], "posted_at"),
        expires_at=instant(data["expires_at"], "expires_at"),
    )


def _same_request(data: Mapping[str, Any], state: Wish) -> bool:
    """Whether a post repeats the one that made `state`; the time of a retry differs."""
    again = _posted(data)
    return all(getattr(again, name) == getattr(state, name) for name in _REQUEST_FIELDS)


# the description is sealed apart: the service compares a retry's with the one it kept
_REQUEST_FIELDS = ("client_request_id", "label", "county_code", "category", "posted_by")


# --- helpers ----------------------------------------------------------------------------


def _posting(command: PostWish, catalog: ActivityCatalog) -> dict[str, Any]:
    posted_at = command.at
    expires_at = posted_at + timedelta(days=catalog.rules.wish_expiry_days)
    return {
        "client_request_id": command.client_request_id,
        "label": command.label,
        "county_code": command.county_code,
        "category": command.category,
        "posted_by": command.posted_by.as_data(),
        "posted_at": iso(posted_at),
        "expires_at": iso(expires_at),
    }


def _existing(state: Wish | None) -> Wish:
    if state is None:
        raise NotFound("no such wish", field="wish_id")
    return state


def _check_status(wish: Wish, expected: str, action: str) -> None:
    if wish.status != expected:
        raise DomainRuleViolated(f"cannot {action} a wish that is {wish.status}",
                                 field="wish_id", status=wish.status)


def _before_expiry(wish: Wish, command: ClaimWish | FulfilWish) -> datetime:
    at = command.at
    if wish.status == EXPIRED or (wish.status in (OPEN, CLAIMED) and at >= wish.expires_at):
        raise DomainRuleViolated("the wish has expired", field="wish_id",
                                 expires_at=iso(wish.expires_at))
    return at


def _check_volunteer(volunteer_status: str | None) -> None:
    if volunteer_status is None:
        raise NotFound("no such volunteer", field="claimant")
    if volunteer_status not in VERIFIED_VOLUNTEER_STATUSES:
        raise DomainRuleViolated(f"only a verified volunteer can claim; this one is "
                                 f"{volunteer_status}", field="claimant", status=volunteer_status)

"""The Certificate aggregate (服务证明): a service-record certificate on a stream of its
own, named by its verification code. It says what the holder's record said when it was
issued, and holds until revoked; anyone with the paper checks it by its code.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from contracts.volunteers import events as ev
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.events import fold
from yinfa.events.envelope import NewEvent

from .commands import AdoptCertificate, IssueCertificate, RevokeCertificate
from .volunteer import ERASED, MERGED, Volunteer

ISSUED, REVOKED = "issued", "revoked"


@dataclass(frozen=True)
class Certificate:
    volunteer_id: str
    county_code: str
    total_hours: str
    verified_hours: str
    star_level: int
    issued_on: str
    issued_by: str
    revoked_on: str | None = None
    titles: tuple[Mapping[str, Any], ...] = ()  # model-volunteer titles: {title, year}

    @property
    def status(self) -> str:
        return REVOKED if self.revoked_on else ISSUED


def issue(state: Certificate | None, command: IssueCertificate, holder: Volunteer | None,
          today: date, titles: Sequence[Mapping[str, Any]] = ()) -> list[NewEvent]:
    """What the holder's record says now: hours, the star level approved, and the
    model-volunteer titles announced for them (`titles`: {title, year})."""
    if state is not None:
        raise AlreadyExists("this certificate code is taken", field="code")
    if holder is None:
        raise NotFound("no such volunteer", field="volunteer_id")
    if holder.status == ERASED:
        raise DomainRuleViolated("an erased person's service is not certified",
                                 field="volunteer_id")
    if holder.status == MERGED:  # its hours count on the survivor's record
        raise DomainRuleViolated("the record is merged into another: certify that one",
                                 field="volunteer_id", merged_into=holder.merged_into)
    return [ev.new_event(ev.CERTIFICATE_ISSUED, {
        "volunteer_id": command.volunteer_id, "county_code": holder.county_code,
        "total_hours": str(holder.total_hours), "verified_hours": str(holder.verified_hours),
        "star_level": holder.star_level, "issued_on": today.isoformat(),
        "issued_by": command.issued_by,
        "titles": [{"title": t["title"], "year": t["year"]} for t in titles]})]


def adopt(state: Certificate | None, command: AdoptCertificate) -> list[NewEvent]:
    """A certificate issued before certificates were events, as it said then."""
    if state is not None:
        raise AlreadyExists("this certificate code is taken", field="code")
    return [ev.new_event(ev.CERTIFICATE_ISSUED, {
        "volunteer_id": command.volunteer_id, "county_code": command.county_code,
        "total_hours": str(command.total_hours),
        "verified_hours": str(command.verified_hours), "star_level": command.star_level,
        "issued_on": command.issued_on.isoformat(), "issued_by": command.issued_by,
        "titles": []})]


def revoke(state: Certificate | None, command: RevokeCertificate, today: date
           ) -> list[NewEvent]:
    if state is None:
        raise NotFound("no such certificate", field="code")
    if state.status == REVOKED:
        raise DomainRuleViolated("the certificate is already revoked", field="code",
                                 revoked_on=state.revoked_on)
    return [ev.new_event(ev.CERTIFICATE_REVOKED, {
        "reason": command.reason, "revoked_on": today.isoformat()})]


def _issued(data: Mapping[str, Any]) -> Certificate:
    return Certificate(**{name: data[name] for name in (
        "volunteer_id", "county_code", "total_hours", "verified_hours", "star_level",
        "issued_on", "issued_by")}, titles=tuple(data["titles"]))


_FOLD = fold.Fold("certificate", ev.CERTIFICATE_ISSUED, {
    ev.CERTIFICATE_ISSUED: lambda _state, data: _issued(data),
    ev.CERTIFICATE_REVOKED: lambda state, data: replace(state, revoked_on=data["revoked_on"]),
})
evolve, replay = _FOLD.evolve, _FOLD.replay

"""The Activity aggregate: publication, sign-ups with a waitlist, check-in, completion.
Times ("at") are given by the caller.

Lifecycle: published → completed (then corrected by compensating events), or
published → publication cancelled (nobody signed up) / cancelled (sign-ups are told).

Hours: the organiser reports who served and how long; a participant's hours count only
when check-in → check-out covered the configured share of the scheduled time.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from contracts.activities import events as ev
from contracts.activities.catalog import ActivityCatalog
from yinfa.city_time import local_day
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.events import fold
from yinfa.events.envelope import NewEvent

from . import commands as cmd
from .check_in_code import code_salt, hash_code, verify_code
from .ids import served_entry_id
from .instants import as_hours, instant, iso, ratio
from .party import VERIFIED_VOLUNTEER_STATUSES, Party

PUBLISHED, PUBLICATION_CANCELLED = "published", "publication_cancelled"
CANCELLED, COMPLETED = "cancelled", "completed"
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Details:
    """What was published; a retry of the same request must describe the same activity."""

    client_request_id: str
    theme: str
    kind: str
    title: str
    description: str | None
    organiser: Party
    county_code: str
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    team_only: bool
    team_id: str | None
    insurance_required: bool = False

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at


@dataclass(frozen=True)
class CheckInCode:
    code_hash: str
    valid_from: datetime
    valid_until: datetime


@dataclass(frozen=True)
class Attendance:
    checked_in_at: datetime
    checked_out_at: datetime | None = None


@dataclass(frozen=True)
class Activity:
    details: Details
    status: str = PUBLISHED
    participants: tuple[str, ...] = ()  # confirmed sign-ups, in order
    waitlist: tuple[str, ...] = ()  # first in line first
    check_in_code: CheckInCode | None = None
    attendance: Mapping[str, Attendance] = field(default_factory=dict)
    credited: Mapping[str, Decimal] = field(default_factory=dict)  # ledger entries, by volunteer
    audience_reached: int = 0
    beneficiaries: int = 0
    endorsed: bool = False

    @property
    def signed_up(self) -> tuple[str, ...]:
        return self.participants + self.waitlist

    @property
    def total_hours(self) -> Decimal:
        return sum(self.credited.values(), Decimal(0))


# --- publication ------------------------------------------------------------------------


def publish(state: Activity | None, command: cmd.PublishActivity, catalog: ActivityCatalog
            ) -> list[NewEvent]:
    """The stream id derives from `client_request_id`: a retry of the same request finds
    its activity and records nothing; another activity under the same request id is refused."""
    data = _publication(command, catalog)
    if state is not None:
        if _details(data) == state.details:
            return []
        raise AlreadyExists("this client request published another activity already",
                            field="client_request_id")
    return [ev.new_event(ev.ACTIVITY_PUBLISHED, data)]


def cancel_publication(state: Activity | None, command: cmd.CancelPublication,
                       catalog: ActivityCatalog) -> list[NewEvent]:
    """Withdraw an activity nobody has signed up for."""
    current = _open(state, "cancel")
    if current.signed_up:
        raise DomainRuleViolated("volunteers have signed up: cancel the activity so they are told",
                                 field="activity_id", signed_up=len(current.signed_up))
    return [ev.new_event(ev.ACTIVITY_PUBLICATION_CANCELLED, {"reason": command.reason})]


def cancel(state: Activity | None, command: cmd.CancelActivity, catalog: ActivityCatalog
           ) -> list[NewEvent]:
    """Call off an activity with sign-ups; the event names everyone to notify."""
    current = _open(state, "cancel")
    if not current.signed_up:
        raise DomainRuleViolated("nobody has signed up: cancel the publication instead",
                                 field="activity_id")
    return [ev.new_event(ev.ACTIVITY_CANCELLED, {
        "reason": command.reason,
        "signed_up": list(current.participants),
        "waitlisted": list(current.waitlist),
    })]


# --- sign-ups ---------------------------------------------------------------------------


def sign_up(state: Activity | None, command: cmd.SignUp, catalog: ActivityCatalog,
            volunteer_status: str | None, team_ids: Collection[str] = (),
            volunteer_insured: bool = False) -> list[NewEvent]:
    """`volunteer_status`, `team_ids` and `volunteer_insured` are the volunteer's current
    status, team memberships and accident insurance as the volunteers service knows them
    (status None: no such volunteer)."""
    current = _open(state, "sign up for")
    volunteer_id = command.volunteer_id
    if command.at >= current.details.starts_at:
        raise DomainRuleViolated("sign-up has closed: the activity has started",
                                 field="activity_id")
    _check_eligible(volunteer_status, "sign up")
    if current.details.team_only and current.details.team_id not in team_ids:
        raise DomainRuleViolated("this activity is for members of its team only",
                                 field="volunteer_id", team_id=current.details.team_id)
    if current.details.insurance_required and not volunteer_insured:
        raise DomainRuleViolated(
            "this activity takes only volunteers with accident insurance in place, and the "
            "volunteer's record has none", field="volunteer_id", reason="uninsured")
    if volunteer_id in current.signed_up:
        raise AlreadyExists("the volunteer has signed up already", field="volunteer_id")
    if len(current.participants) < current.details.capacity:
        return [ev.new_event(ev.VOLUNTEER_SIGNED_UP, {"volunteer_id": volunteer_id})]
    return [ev.new_event(ev.VOLUNTEER_WAITLISTED, {
        "volunteer_id": volunteer_id, "position": len(current.waitlist) + 1,
    })]


def withdraw_sign_up(state: Activity | None, command: cmd.WithdrawSignUp,
                     catalog: ActivityCatalog) -> list[NewEvent]:
    """A participant who leaves frees a place: the first on the waitlist takes it."""
    current = _open(state, "withdraw from")
    volunteer_id = command.volunteer_id
    if volunteer_id not in current.signed_up:
        raise NotFound("the volunteer has not signed up", field="volunteer_id")
    if volunteer_id in current.attendance:
        raise DomainRuleViolated("the volunteer has checked in already", field="volunteer_id")
    waitlisted = volunteer_id in current.waitlist
    withdrawn = ev.new_event(ev.SIGN_UP_WITHDRAWN, {
        "volunteer_id": volunteer_id, "was_waitlisted": waitlisted,
        "reason": command.reason,
    })
    if waitlisted or not current.waitlist:
        return [withdrawn]
    return [withdrawn, ev.new_event(ev.WAITLIST_PROMOTED, {"volunteer_id": current.waitlist[0]})]


# --- check-in ---------------------------------------------------------------------------


def issue_check_in_code(state: Activity | None, command: cmd.IssueCheckInCode,
                        catalog: ActivityCatalog) -> list[NewEvent]:
    """The caller supplies the code (and shows it on site); only its hash is recorded.
    It works from before the start until after the end, as the rules say. A second code
    replaces the first only when `replace` is asked for."""
    current = _open(state, "issue a code for")
    at = command.at
    valid_from, valid_until = check_in_window(current.details, catalog)
    if at > valid_until:
        raise DomainRuleViolated("check-in has closed for this activity", field="at")
    replacing = current.check_in_code is not None
    if replacing and not command.replace:
        raise AlreadyExists("a check-in code is issued already; ask to replace it",
                            field="code")
    salt = code_salt(command.activity_id, iso(at))
    return [ev.new_event(ev.CHECK_IN_CODE_ISSUED, {
        "code_hash": hash_code(command.code, salt),
        "valid_from": iso(valid_from),
        "valid_until": iso(valid_until),
        "replaces_previous": replacing,
    })]


def check_in_window(details: Details, catalog: ActivityCatalog) -> tuple[datetime, datetime]:
    rules = catalog.rules
    return (details.starts_at - timedelta(minutes=rules.check_in_opens_minutes_before_start),
            details.ends_at + timedelta(minutes=rules.check_in_closes_minutes_after_end))


def check_in(state: Activity | None, command: cmd.CheckIn, catalog: ActivityCatalog
             ) -> list[NewEvent]:
    current = _open(state, "check in to")
    volunteer_id = _participant(current, command)
    at = _accepted_code(current, command)
    if volunteer_id in current.attendance:
        raise AlreadyExists("the volunteer has checked in already", field="volunteer_id")
    return [ev.new_event(ev.VOLUNTEER_CHECKED_IN, {"volunteer_id": volunteer_id, "at": iso(at)})]


def check_out(state: Activity | None, command: cmd.CheckOut, catalog: ActivityCatalog
              ) -> list[NewEvent]:
    current = _open(state, "check out of")
    volunteer_id = _participant(current, command)
    at = _accepted_code(current, command)
    attended = current.attendance.get(volunteer_id)
    if attended is None:
        raise DomainRuleViolated("the volunteer has not checked in", field="volunteer_id")
    if attended.checked_out_at is not None:
        raise AlreadyExists("the volunteer has checked out already", field="volunteer_id")
    if at <= attended.checked_in_at:
        raise DomainRuleViolated("check-out must come after check-in", field="at")
    return [ev.new_event(ev.VOLUNTEER_CHECKED_OUT, {"volunteer_id": volunteer_id, "at": iso(at)})]


def attendance_share(details: Details, attended: Attendance | None) -> Decimal:
    """The share of the scheduled time that check-in → check-out covered (0 to 1)."""
    if attended is None or attended.checked_out_at is None:
        return Decimal(0)
    start = max(details.starts_at, attended.checked_in_at)
    end = min(details.ends_at, attended.checked_out_at)
    return ratio(max(end - start, timedelta(0)), details.duration)


# --- completion -------------------------------------------------------------------------


def complete(state: Activity | None, command: cmd.CompleteActivity, catalog: ActivityCatalog
             ) -> list[NewEvent]:
    """The organiser's report. `served` lists {volunteer_id, hours}; hours reach the
    volunteers' ledgers only for participants whose attendance met the rules' share, the
    others are listed as uncredited with the reason."""
    current = _existing(state)
    if current.status == COMPLETED:
        raise AlreadyExists("the activity is completed already: correct it instead",
                            field="activity_id")
    _check_open(current, "complete")
    if command.at < current.details.ends_at:
        raise DomainRuleViolated("the activity has not ended yet", field="at")
    _check_endorsement(current, command, catalog)
    activity_id, served_on = command.activity_id, served_date(current.details, catalog)
    served, uncredited = [], []
    for volunteer_id, hours in _reported_hours(current, command.served, "served"):
        reason = uncredited_reason(current, volunteer_id, catalog)
        if hours == 0:
            raise DomainRuleViolated("leave out a volunteer who served no hours",
                                     field="served", volunteer_id=volunteer_id)
        if reason:
            uncredited.append({"volunteer_id": volunteer_id, "claimed_hours": str(hours),
                               "reason": reason})
        else:
            served.append(_served_line(activity_id, volunteer_id, hours, served_on))
    return [ev.new_event(ev.ACTIVITY_COMPLETED, {
        "served": served,
        "uncredited": uncredited,
        "volunteers_credited": len(served),
        "total_hours": str(sum((Decimal(line["hours"]) for line in served), Decimal(0))
                           .quantize(TENTH)),
        "audience_reached": command.audience_reached,
        "beneficiaries": command.beneficiaries,
        "evidence": list(command.evidence),
        "outcome": command.outcome,
        "endorsed": command.endorsed,
        "endorsement_note": command.endorsement_note,
    })]


def correct_completion(state: Activity | None, command: cmd.CorrectCompletion,
                       catalog: ActivityCatalog) -> list[NewEvent]:
    """A compensating event: new hours per volunteer (0 takes the hours back), and
    optionally new audience, beneficiaries or endorsement. The same rules as completion
    apply: a correction cannot credit a participant whose attendance fell short."""
    current = _existing(state)
    if current.status != COMPLETED:
        raise DomainRuleViolated("only a completed activity can be corrected",
                                 field="activity_id", status=current.status)
    _check_endorsement(current, command, catalog)
    activity_id, served_on = command.activity_id, served_date(current.details, catalog)
    corrections = []
    for volunteer_id, hours in _reported_hours(current, command.corrections,
                                               "corrections"):
        previous = current.credited.get(volunteer_id, Decimal("0.0"))
        if hours > 0 and uncredited_reason(current, volunteer_id, catalog):
            raise DomainRuleViolated("the volunteer's attendance does not earn hours",
                                     field="corrections", volunteer_id=volunteer_id)
        if hours != previous:
            corrections.append({
                **_served_line(activity_id, volunteer_id, hours, served_on),
                "previous_hours": str(previous),
                "new_entry": volunteer_id not in current.credited,
            })
    given = {name: getattr(command, name) for name in ("audience_reached", "beneficiaries",
                                                        "endorsed")}
    changes = {name: value for name, value in given.items()
               if value is not None and value != getattr(current, name)}
    if not corrections and not changes:
        raise DomainRuleViolated("the correction changes nothing", field="corrections")
    total = current.total_hours + sum(
        (Decimal(line["hours"]) - Decimal(line["previous_hours"]) for line in corrections),
        Decimal(0))
    return [ev.new_event(ev.COMPLETION_CORRECTED, {
        "corrections": corrections,
        "audience_reached": changes.get("audience_reached"),
        "beneficiaries": changes.get("beneficiaries"),
        "endorsed": changes.get("endorsed"),
        "endorsement_note": command.endorsement_note if "endorsed" in changes else None,
        "total_hours": str(total.quantize(TENTH)),
        "reason": command.reason,
    })]


def uncredited_reason(state: Activity, volunteer_id: str, catalog: ActivityCatalog
                      ) -> str | None:
    """Why a participant's hours do not count (None: they do)."""
    attended = state.attendance.get(volunteer_id)
    if attended is None:
        return "not_checked_in"
    if attended.checked_out_at is None:
        return "not_checked_out"
    if attendance_share(state.details, attended) < catalog.rules.attendance_share:
        return "attendance_below_share"
    return None


def served_date(details: Details, catalog: ActivityCatalog) -> date:
    """The day of service on the ledger: the local date the activity started."""
    return local_day(details.starts_at, catalog.zone)


# --- state ------------------------------------------------------------------------------


def _details(data: Mapping[str, Any]) -> Details:
    return Details(
        client_request_id=data["client_request_id"],
        theme=data["theme"],
        kind=data["kind"],
        title=data["title"],
        description=data.get("description"),
        organiser=Party.of(data["organiser"]),
        county_code=data["county_code"],
        place=data["place"],
        starts_at=instant(data["starts_at"], "starts_at"),
        ends_at=instant(data["ends_at"], "ends_at"),
        capacity=data["capacity"],
        team_only=data["team_only"],
        team_id=data.get("team_id"),
        insurance_required=data["insurance_required"],
    )


def _publication_cancelled(state: Activity, data: Mapping[str, Any]) -> Activity:
    return replace(state, status=PUBLICATION_CANCELLED)


def _cancelled(state: Activity, data: Mapping[str, Any]) -> Activity:
    return replace(state, status=CANCELLED)


def _signed_up(state: Activity, data: Mapping[str, Any]) -> Activity:
    return replace(state, participants=(*state.participants, data["volunteer_id"]))


def _waitlisted(state: Activity, data: Mapping[str, Any]) -> Activity:
    return replace(state, waitlist=(*state.waitlist, data["volunteer_id"]))


def _code_issued(state: Activity, data: Mapping[str, Any]) -> Activity:
    code = CheckInCode(code_hash=data["code_hash"],
                       valid_from=instant(data["valid_from"], "valid_from"),
                       valid_until=instant(data["valid_until"], "valid_until"))
    return replace(state, check_in_code=code)


def _checked_in(state: Activity, data: Mapping[str, Any]) -> Activity:
    attended = Attendance(checked_in_at=instant(data["at"], "at"))
    return replace(state, attendance={**state.attendance, data["volunteer_id"]: attended})


def _checked_out(state: Activity, data: Mapping[str, Any]) -> Activity:
    volunteer_id = data["volunteer_id"]
    attended = replace(state.attendance[volunteer_id], checked_out_at=instant(data["at"], "at"))
    return replace(state, attendance={**state.attendance, volunteer_id: attended})


def _withdrawn(state: Activity, data: Mapping[str, Any]) -> Activity:
    leaving = data["volunteer_id"]
    return replace(state, participants=tuple(v for v in state.participants if v != leaving),
                   waitlist=tuple(v for v in state.waitlist if v != leaving))


def _promoted(state: Activity, data: Mapping[str, Any]) -> Activity:
    promoted = data["volunteer_id"]
    return replace(state, participants=(*state.participants, promoted),
                   waitlist=tuple(v for v in state.waitlist if v != promoted))


def _completed(state: Activity, data: Mapping[str, Any]) -> Activity:
    credited = {line["volunteer_id"]: Decimal(line["hours"]) for line in data["served"]}
    return replace(state, status=COMPLETED, credited=credited,
                   audience_reached=data["audience_reached"],
                   beneficiaries=data["beneficiaries"], endorsed=data["endorsed"])


def _corrected(state: Activity, data: Mapping[str, Any]) -> Activity:
    credited = {**state.credited,
                **{line["volunteer_id"]: Decimal(line["hours"]) for line in data["corrections"]}}
    changed = {name: data[name] for name in ("audience_reached", "beneficiaries", "endorsed")
               if data.get(name) is not None}
    return replace(state, credited=credited, **changed)


_APPLIERS: dict[str, Callable[[Any, Mapping[str, Any]], Activity]] = {
    ev.ACTIVITY_PUBLISHED: lambda _state, data: Activity(details=_details(data)),
    ev.ACTIVITY_PUBLICATION_CANCELLED: _publication_cancelled,
    ev.ACTIVITY_CANCELLED: _cancelled,
    ev.VOLUNTEER_SIGNED_UP: _signed_up,
    ev.VOLUNTEER_WAITLISTED: _waitlisted,
    ev.SIGN_UP_WITHDRAWN: _withdrawn,
    ev.WAITLIST_PROMOTED: _promoted,
    ev.CHECK_IN_CODE_ISSUED: _code_issued,
    ev.VOLUNTEER_CHECKED_IN: _checked_in,
    ev.VOLUNTEER_CHECKED_OUT: _checked_out,
    ev.ACTIVITY_COMPLETED: _completed,
    ev.COMPLETION_CORRECTED: _corrected,
}
_FOLD = fold.Fold("activity", ev.ACTIVITY_PUBLISHED, _APPLIERS)
evolve, replay = _FOLD.evolve, _FOLD.replay


# --- helpers ----------------------------------------------------------------------------


def _publication(command: cmd.PublishActivity, catalog: ActivityCatalog) -> dict[str, Any]:
    """The event's data: the command's fields (the organiser as data), times in UTC, and
    whether it takes insured volunteers only (the activity's word, else the catalog's,
    fixed now: a later edit of the catalog changes no published activity)."""
    team_id, organiser = command.team_id, command.organiser
    if command.team_only and team_id is None and organiser.kind == "team":
        team_id = organiser.id  # a team's own activity is for its own members
    insured_only = command.insurance_required
    if insured_only is None:
        insured_only = catalog.insurance.requires(command.theme, command.kind)
    return {**asdict(command), "starts_at": iso(command.starts_at),
            "ends_at": iso(command.ends_at), "team_id": team_id,
            "insurance_required": insured_only}


def _existing(state: Activity | None) -> Activity:
    if state is None:
        raise NotFound("no such activity", field="activity_id")
    return state


def _open(state: Activity | None, action: str) -> Activity:
    current = _existing(state)
    _check_open(current, action)
    return current


def _check_open(current: Activity, action: str) -> None:
    if current.status != PUBLISHED:
        raise DomainRuleViolated(f"cannot {action} an activity that is "
                                 f"{current.status.replace('_', ' ')}",
                                 field="activity_id", status=current.status)


def _check_eligible(volunteer_status: str | None, action: str) -> None:
    if volunteer_status is None:
        raise NotFound("no such volunteer", field="volunteer_id")
    if volunteer_status not in VERIFIED_VOLUNTEER_STATUSES:
        raise DomainRuleViolated(f"only a verified volunteer can {action}; this one is "
                                 f"{volunteer_status}", field="volunteer_id",
                                 status=volunteer_status)


def _participant(current: Activity, command: cmd.CheckIn) -> str:
    volunteer_id = command.volunteer_id
    if volunteer_id in current.waitlist:
        raise DomainRuleViolated("a waitlisted volunteer has no place yet", field="volunteer_id")
    if volunteer_id not in current.participants:
        raise NotFound("the volunteer has not signed up", field="volunteer_id")
    return volunteer_id


def _accepted_code(current: Activity, command: cmd.CheckIn) -> datetime:
    """The time of a check-in or check-out whose code is right and still valid."""
    code = current.check_in_code
    at = command.at
    if code is None:
        raise DomainRuleViolated("no check-in code has been issued", field="code",
                                 reason="no_code")
    if not verify_code(command.code, code.code_hash):
        raise DomainRuleViolated("wrong check-in code", field="code", reason="wrong_code")
    if at < code.valid_from:
        raise DomainRuleViolated("the check-in code is not valid yet", field="code",
                                 reason="code_not_yet_valid")
    if at > code.valid_until:
        raise DomainRuleViolated("the check-in code has expired", field="code",
                                 reason="code_expired")
    return at


def _check_endorsement(current: Activity, command: cmd.CompleteActivity | cmd.CorrectCompletion,
                       catalog: ActivityCatalog) -> None:
    if command.endorsed and not catalog.kinds[current.details.kind].endorsable:
        raise DomainRuleViolated("only a policy suggestion can carry an endorsement (批示)",
                                 field="endorsed", kind=current.details.kind)


def _reported_hours(current: Activity, lines: Iterable[cmd.ServedLine], name: str
                    ) -> list[tuple[str, Decimal]]:
    """(volunteer, hours) per line (the schema lists each volunteer once): each a
    participant, for no longer than the activity lasted."""
    limit = as_hours(current.details.duration)
    reported = [(line.volunteer_id, line.hours) for line in lines]
    for volunteer_id, hours in reported:
        if volunteer_id not in current.participants:
            raise DomainRuleViolated("the volunteer had no place in this activity", field=name,
                                     volunteer_id=volunteer_id)
        if hours > limit:
            raise DomainRuleViolated(f"hours must be between 0 and the activity's "
                                     f"{limit.quantize(Decimal('0.01'))} hours", field=name,
                                     volunteer_id=volunteer_id, hours=str(hours))
    return reported


def _served_line(activity_id: str, volunteer_id: str, hours: Decimal, served_on: date
                 ) -> dict[str, Any]:
    return {"volunteer_id": volunteer_id, "entry_id": served_entry_id(activity_id, volunteer_id),
            "hours": str(hours), "served_on": served_on.isoformat()}

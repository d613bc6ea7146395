"""Certification of a branch (达标 → 县级示范 → 市级示范 → 省级示范), as pure functions.

One stream per branch, `certification-<branch_id>`, holds the branch's whole ladder:
applications with their evidence and item reviews, grants, annual re-reviews (复核),
revocations and expiries. The ladder rule ("only the next level above the one held") is
then a rule inside one aggregate. The branch itself lives on its own stream: commands that
need it receive its folded state (`branch`, None if unknown) from the caller.

A branch holds at most one certification at a time. A grant of the next level replaces
(supersedes) the one held; applying for the level already held renews it. A holding ends
when it is revoked, fails a re-review or expires; the branch then holds nothing and
climbs again from the first level. It is valid from `granted_on` through `valid_until`
(inclusive); re-reviews fall due every `review_interval_months` after the grant, while
it is valid.

Time enters only through the dates on commands and through `now` given to `reviews_due`
and `expiry_due`, which a daily timer calls; both are idempotent.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from contracts.branches import events as ev
from contracts.branches.catalog import BranchCatalog, Checklist
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.events import fold
from yinfa.events.envelope import NewEvent, derived_event_id

from . import commands as cmd
from .branch import Branch
from .dates import add_months, local_date

OPEN, GRANTED, REFUSED = "open", "granted", "refused"
HELD, SUPERSEDED, REVOKED, FAILED, EXPIRED = "held", "superseded", "revoked", "failed", "expired"


@dataclass(frozen=True)
class ItemDecision:
    met: bool
    note: str | None
    reviewer_ref: str | None  # a reference to the reviewer's sealed name

    def same_as(self, other: ItemDecision | None) -> bool:
        return other is not None and (self.met, self.note) == (other.met, other.note)


@dataclass(frozen=True)
class Application:
    application_id: str
    level: str
    checklist: str
    checklist_version: int
    items: tuple[str, ...]
    mandatory: frozenset[str]
    evidence: Mapping[str, Mapping[str, Any]]  # item -> {text, links}
    applicant_ref: str | None  # a reference to the applicant's sealed name
    applied_on: date
    decisions: Mapping[str, ItemDecision] = field(default_factory=dict)
    status: str = OPEN

    @property
    def unmet_mandatory(self) -> tuple[str, ...]:
        """Mandatory items not (yet) reviewed as met, in checklist order."""
        return tuple(item for item in self.items if item in self.mandatory
                     and not (item in self.decisions and self.decisions[item].met))


@dataclass(frozen=True)
class Holding:
    application_id: str
    level: str
    granted_by: str
    granted_on: date
    valid_until: date
    external_reference: str | None = None
    status: str = HELD
    fallen_due: tuple[date, ...] = ()
    reviewed: tuple[date, ...] = ()

    def valid_on(self, day: date) -> bool:
        return self.status == HELD and self.granted_on <= day <= self.valid_until

    @property
    def pending_reviews(self) -> tuple[date, ...]:
        return tuple(due for due in self.fallen_due if due not in self.reviewed)


@dataclass(frozen=True)
class Certification:
    applications: Mapping[str, Application] = field(default_factory=dict)
    holding: Holding | None = None
    past: tuple[Holding, ...] = ()  # ended holdings, oldest first

    @property
    def open_application(self) -> Application | None:
        return next((a for a in self.applications.values() if a.status == OPEN), None)


def current_level(state: Certification | None, on: date) -> str | None:
    """The level validly held on `on`, None if none."""
    holding = state.holding if state else None
    return holding.level if holding and holding.valid_on(on) else None


def next_levels(state: Certification | None, on: date, catalog: BranchCatalog) -> tuple[str, ...]:
    """Levels that may be applied for or granted on `on`: the held one (renewal) and the one
    above it; the first level when nothing is held."""
    codes = [level.code for level in catalog.certification_levels]
    held = current_level(state, on)
    if held is None:
        return (codes[0],)
    return tuple(codes[codes.index(held):codes.index(held) + 2])


# --- commands ---------------------------------------------------------------------------


def apply_for(state: Certification | None, command: cmd.ApplyForCertification,
              branch: Branch | None, checklists: Mapping[str, Checklist],
              catalog: BranchCatalog) -> list[NewEvent]:
    current = state or Certification()
    _certifiable(branch, "apply for certification", catalog)
    application_id = command.application_id
    if application_id in current.applications:
        raise AlreadyExists("this application already exists", field="application_id")
    if current.open_application is not None:
        raise DomainRuleViolated("the branch already has an open application",
                                 field="application_id",
                                 open_application=current.open_application.application_id)
    applied_on = command.applied_on
    _check_ladder(current, command.level, applied_on, catalog)
    checklist = checklists[command.checklist]
    evidence = _evidence(command.evidence, checklist)
    return [ev.new_event(ev.CERTIFICATION_APPLIED, {
        "application_id": application_id,
        "level": command.level,
        "checklist": checklist.code,
        "checklist_version": checklist.version,
        "items": [{"code": item.code, "mandatory": item.mandatory} for item in checklist.items],
        "evidence": evidence,
        "applicant_ref": command.applicant_ref,
        "applied_on": applied_on.isoformat(),
    })]


def review_item(state: Certification | None, command: cmd.ReviewItem) -> list[NewEvent]:
    """A reviewer's decision on one item; a later decision on the same item replaces it."""
    application = _open_application(state, command.application_id)
    item = command.item
    if item not in application.items:
        raise NotFound("the checklist has no such item", field="item")
    decision = ItemDecision(command.met, command.note, command.reviewer_ref)
    if decision.same_as(application.decisions.get(item)):
        return []
    return [ev.new_event(ev.ITEM_REVIEWED, {
        "application_id": application.application_id,
        "item": item,
        "met": decision.met,
        "note": decision.note,
        "reviewer_ref": decision.reviewer_ref,
    })]


def grant(state: Certification | None, command: cmd.GrantCertification, branch: Branch | None,
          catalog: BranchCatalog) -> list[NewEvent]:
    """Grant the level applied for: every mandatory item met, the next rung of the ladder,
    by a role allowed to grant that level (of the branch's own county if county-scoped)."""
    certified = _certifiable(branch, "be certified", catalog)
    application = _open_application(state, command.application_id)
    assert state is not None  # an open application was found on it
    level = catalog.certification_level(application.level)
    role = command.granted_by
    _check_authority(role, level.code, command.granter_county, certified, catalog,
                     field_name="granted_by")
    granted_on = command.granted_on
    if granted_on < application.applied_on:
        raise DomainRuleViolated("a grant cannot precede its application", field="granted_on")
    _check_ladder(state, level.code, granted_on, catalog)
    if application.unmet_mandatory:
        raise DomainRuleViolated("mandatory items are not met", field="items",
                                 unmet=list(application.unmet_mandatory))
    reference = command.external_reference
    if level.external and not reference:
        raise DomainRuleViolated(f"{level.label} is decided outside the city: give the "
                                 "reference of that decision", field="external_reference")
    return [ev.new_event(ev.CERTIFICATION_GRANTED, {
        "application_id": application.application_id,
        "level": level.code,
        "previous_level": current_level(state, granted_on),
        "granted_by": role,
        "granter_county": command.granter_county,
        "granted_on": granted_on.isoformat(),
        "valid_until": valid_until(granted_on, level.valid_months).isoformat(),
        "external_reference": reference,
    })]


def valid_until(granted_on: date, months: int) -> date:
    """The last valid day: the day before the same date `months` later (a grant of
    29 February 2020 for 36 months holds through 28 February 2023)."""
    return add_months(granted_on - timedelta(days=1), months)


def refuse(state: Certification | None, command: cmd.RefuseCertification, branch: Branch | None,
           catalog: BranchCatalog) -> list[NewEvent]:
    application = _open_application(state, command.application_id)
    role = command.refused_by
    _check_authority(role, application.level, command.granter_county, branch, catalog,
                     field_name="refused_by")
    return [ev.new_event(ev.CERTIFICATION_REFUSED, {
        "application_id": application.application_id,
        "level": application.level,
        "refused_by": role,
        "reason": command.reason,
        "unmet_items": list(application.unmet_mandatory),
    })]


def reviews_due(state: Certification | None, now: date | datetime, catalog: BranchCatalog
                ) -> list[NewEvent]:
    """`ReviewFallenDue` for every re-review date of the held certification that has come
    by `now` and has not fallen due before. Asking again (same `now` or later) repeats
    nothing; each event id derives from the grant and the date, so two timers racing on
    the same stream append it once."""
    holding = state.holding if state else None
    if holding is None or holding.status != HELD:
        return []
    today = local_date(now)
    return [
        ev.new_event(ev.REVIEW_FALLEN_DUE, {
            "application_id": holding.application_id,
            "level": holding.level,
            "due_on": due.isoformat(),
        }, event_id=derived_event_id("branches.review-due", f"{holding.application_id}:{due}"))
        for due in review_dates(holding, catalog)
        if due <= today and due not in holding.fallen_due
    ]


def expiry_due(state: Certification | None, now: date | datetime) -> list[NewEvent]:
    """`CertificationExpired` once the held certification's `valid_until` has passed."""
    holding = state.holding if state else None
    if holding is None or holding.status != HELD or local_date(now) <= holding.valid_until:
        return []
    return [ev.new_event(ev.CERTIFICATION_EXPIRED, {
        "level": holding.level, "valid_until": holding.valid_until.isoformat(),
    }, event_id=derived_event_id("branches.expired", holding.application_id))]


def due(state: Certification | None, now: date | datetime, catalog: BranchCatalog,
        branch: Branch | None = None) -> list[NewEvent]:
    """What the daily timer appends: reviews fallen due, then expiry, in date order.
    Nothing for a branch known to be merged or dissolved: its history stays as it was."""
    if branch is not None and not branch.is_active:
        return []
    return [*reviews_due(state, now, catalog), *expiry_due(state, now)]


def review_dates(holding: Holding, catalog: BranchCatalog) -> tuple[date, ...]:
    """Every re-review date of a holding: each interval after the grant, before its last
    valid day (an anniversary that coincides with the expiry calls for renewal instead)."""
    interval = catalog.review_interval_months
    dates = []
    step = 1
    while (due_on := add_months(holding.granted_on, step * interval)) < holding.valid_until:
        dates.append(due_on)
        step += 1
    return tuple(dates)


def pass_review(state: Certification | None, command: cmd.PassReview, branch: Branch | None,
                catalog: BranchCatalog) -> list[NewEvent]:
    _, due_on = _pending_review(state, command, branch, catalog)
    return [ev.new_event(ev.REVIEW_PASSED, {
        "due_on": due_on.isoformat(), "reviewer": command.reviewer, "note": command.note,
    })]


def fail_review(state: Certification | None, command: cmd.FailReview, branch: Branch | None,
                catalog: BranchCatalog) -> list[NewEvent]:
    """A failed re-review ends the certification (取消称号); the branch climbs again."""
    _, due_on = _pending_review(state, command, branch, catalog)
    return [ev.new_event(ev.REVIEW_FAILED, {
        "due_on": due_on.isoformat(), "reviewer": command.reviewer, "note": command.note,
    })]


def revoke(state: Certification | None, command: cmd.RevokeCertification, branch: Branch | None,
           catalog: BranchCatalog) -> list[NewEvent]:
    """Withdraw a valid certification, by a role that may grant its level (of the branch's
    county if county-scoped) or by any city-scoped role."""
    revoked_on = command.revoked_on
    holding = state.holding if state else None
    if holding is None or not holding.valid_on(revoked_on):
        raise DomainRuleViolated("the branch holds no valid certification to revoke",
                                 field="branch_id")
    role = command.revoked_by
    if catalog.granter_roles[role].scope != "city":
        _check_authority(role, holding.level, command.granter_county, branch, catalog,
                         field_name="revoked_by")
    return [ev.new_event(ev.CERTIFICATION_REVOKED, {
        "level": holding.level, "revoked_by": role, "reason": command.reason,
        "revoked_on": revoked_on.isoformat(),
    })]


# --- state ------------------------------------------------------------------------------


def _applied(state: Certification, data: Mapping[str, Any]) -> Certification:
    application = Application(
        application_id=data["application_id"],
        level=data["level"],
        checklist=data["checklist"],
        checklist_version=data["checklist_version"],
        items=tuple(item["code"] for item in data["items"]),
        mandatory=frozenset(item["code"] for item in data["items"] if item["mandatory"]),
        evidence={row["item"]: {"text": row["text"], "links": tuple(row.get("links", ()))}
                  for row in data["evidence"]},
        applicant_ref=data.get("applicant_ref"),
        applied_on=date.fromisoformat(data["applied_on"]),
    )
    return _with_application(state, application)


def _item_reviewed(state: Certification, data: Mapping[str, Any]) -> Certification:
    application = state.applications[data["application_id"]]
    decision = ItemDecision(data["met"], data.get("note"), data.get("reviewer_ref"))
    return _with_application(state, replace(
        application, decisions={**application.decisions, data["item"]: decision}))


def _granted(state: Certification, data: Mapping[str, Any]) -> Certification:
    application = replace(state.applications[data["application_id"]], status=GRANTED)
    holding = Holding(
        application_id=data["application_id"],
        level=data["level"],
        granted_by=data["granted_by"],
        granted_on=date.fromisoformat(data["granted_on"]),
        valid_until=date.fromisoformat(data["valid_until"]),
        external_reference=data.get("external_reference"),
    )
    ended = _ended(state, SUPERSEDED) if state.holding else state
    return replace(_with_application(ended, application), holding=holding)


def _refused(state: Certification, data: Mapping[str, Any]) -> Certification:
    application = replace(state.applications[data["application_id"]], status=REFUSED)
    return _with_application(state, application)


def _fallen_due(state: Certification, data: Mapping[str, Any]) -> Certification:
    holding = _held(state)
    due_on = date.fromisoformat(data["due_on"])
    return replace(state, holding=replace(holding, fallen_due=(*holding.fallen_due, due_on)))


def _review_passed(state: Certification, data: Mapping[str, Any]) -> Certification:
    holding = _held(state)
    due_on = date.fromisoformat(data["due_on"])
    return replace(state, holding=replace(holding, reviewed=(*holding.reviewed, due_on)))


def _review_failed(state: Certification, data: Mapping[str, Any]) -> Certification:
    return _ended(state, FAILED)


def _revoked(state: Certification, data: Mapping[str, Any]) -> Certification:
    return _ended(state, REVOKED)


def _expired(state: Certification, data: Mapping[str, Any]) -> Certification:
    return _ended(state, EXPIRED)


_APPLIERS = {
    # a stream holds every application: a new one starts from an empty record
    ev.CERTIFICATION_APPLIED: lambda state, data: _applied(state or Certification(), data),
    ev.ITEM_REVIEWED: _item_reviewed,
    ev.CERTIFICATION_GRANTED: _granted,
    ev.CERTIFICATION_REFUSED: _refused,
    ev.REVIEW_FALLEN_DUE: _fallen_due,
    ev.REVIEW_PASSED: _review_passed,
    ev.REVIEW_FAILED: _review_failed,
    ev.CERTIFICATION_REVOKED: _revoked,
    ev.CERTIFICATION_EXPIRED: _expired,
}
_FOLD = fold.Fold("certification", ev.CERTIFICATION_APPLIED, _APPLIERS)
evolve, replay = _FOLD.evolve, _FOLD.replay


def _with_application(state: Certification, application: Application) -> Certification:
    return replace(state, applications={**state.applications,
                                        application.application_id: application})


def _held(state: Certification) -> Holding:
    if state.holding is None:
        raise ValueError("no certification is held")
    return state.holding


def _ended(state: Certification, status: str) -> Certification:
    holding = replace(_held(state), status=status)
    return replace(state, holding=None, past=(*state.past, holding))


# --- rules ------------------------------------------------------------------------------


def _certifiable(branch: Branch | None, action: str, catalog: BranchCatalog) -> Branch:
    if branch is None:
        raise NotFound("no such branch", field="branch_id")
    if not branch.is_active:
        raise DomainRuleViolated(f"a {branch.status} branch cannot {action}", field="branch_id")
    if not catalog.structure_levels[branch.level].certifiable:
        raise DomainRuleViolated(
            f"a {catalog.structure_levels[branch.level].label} is not certified",
            field="branch_id")
    return branch


def _check_ladder(state: Certification, level: str, on: date, catalog: BranchCatalog) -> None:
    allowed = next_levels(state, on, catalog)
    if level not in allowed:
        raise DomainRuleViolated(
            "levels are climbed in order: only the level held or the next one above it",
            field="level", held=current_level(state, on), allowed=list(allowed),
        )


# levels that count in the city's ranking above the county's reach: never a county's call,
# whatever the catalog lists
CITY_DECIDED_LEVELS = frozenset({"city_demo", "province_demo"})


def _check_authority(role: str, level: str, granter_county: str | None, branch: Branch | None,
                     catalog: BranchCatalog, field_name: str) -> None:
    rules = catalog.certification_level(level)
    if role not in rules.granted_by:
        raise DomainRuleViolated(
            f"{catalog.granter_roles[role].label} has no authority over {rules.label}",
            field=field_name, level=level, allowed=list(rules.granted_by),
        )
    scope = catalog.granter_roles[role].scope
    if granter_county is not None and scope != "county":
        raise DomainRuleViolated(f"a county decides as its own bureau, not as "
                                 f"{catalog.granter_roles[role].label}", field=field_name)
    if level in CITY_DECIDED_LEVELS and scope != "city":
        raise DomainRuleViolated(f"{rules.label} is decided by the city bureau",
                                 field=field_name, level=level)
    county = branch.county_code if branch else None
    if scope == "county" and granter_county != county:
        raise DomainRuleViolated("only the branch's own county may decide",
                                 field="granter_county", branch_county=county)


def _open_application(state: Certification | None, application_id: str) -> Application:
    application = state.applications.get(application_id) if state else None
    if application is None:
        raise NotFound("no such application", field="application_id")
    if application.status != OPEN:
        raise DomainRuleViolated(f"the application is already {application.status}",
                                 field="application_id")
    return application


def _pending_review(state: Certification | None, command: cmd.PassReview | cmd.FailReview,
                    branch: Branch | None, catalog: BranchCatalog) -> tuple[Holding, date]:
    holding = state.holding if state else None
    due_on = command.due_on
    if holding is None or due_on not in holding.pending_reviews:
        raise NotFound("no re-review has fallen due on that date", field="due_on")
    _check_authority(command.reviewer, holding.level, command.granter_county,
                     branch, catalog, field_name="reviewer")
    return holding, due_on


def _evidence(rows: Sequence[cmd.Evidence], checklist: Checklist) -> list[dict[str, Any]]:
    items = [row.item for row in rows]
    unknown = sorted(set(items) - {item.code for item in checklist.items})
    if unknown:
        raise DomainRuleViolated(f"not items of {checklist.name}: {', '.join(unknown)}",
                                 field="evidence")
    if len(set(items)) != len(items):
        raise DomainRuleViolated("give one evidence entry per item", field="evidence")
    missing = [code for code in checklist.mandatory_items if code not in items]
    if missing:
        raise DomainRuleViolated("every mandatory item needs evidence", field="evidence",
                                 missing=missing)
    return [{"item": row.item, "text": row.text, "links": list(row.links)} for row in rows]

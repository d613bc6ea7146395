"""Model volunteers (典型选树): a campaign is one title's nominations of one year, on a
stream of its own, so that each county's quota holds however many bureaus nominate at
once. A nomination goes nominated → approved by the county → approved by the city →
announced with the campaign; a reviewer may reject it at either stage, with a reason code.
A rejected nomination frees its place in the quota.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from contracts.volunteers import events as ev
from contracts.volunteers.recognition import Title
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.events import fold
from yinfa.events.envelope import NewEvent

from .volunteer import ERASED, SUSPENDED, WITHDRAWN, Volunteer

NOMINATED, COUNTY_APPROVED, CITY_APPROVED = "nominated", "county_approved", "city_approved"
ANNOUNCED, REJECTED = "announced", "rejected"
AWAITING = {"county": NOMINATED, "city": COUNTY_APPROVED}  # the status a stage reviews
APPROVED_AT = {"county": COUNTY_APPROVED, "city": CITY_APPROVED}
OUT_OF_SERVICE = (SUSPENDED, WITHDRAWN, ERASED)


@dataclass(frozen=True)
class NominateVolunteer:
    nomination_id: str
    volunteer_id: str
    title: str
    year: int
    county_code: str
    deeds: str


@dataclass(frozen=True)
class ReviewNomination:
    nomination_id: str
    title: str
    year: int
    stage: str
    decision: str
    county_code: str | None = None
    reason_code: str | None = None


@dataclass(frozen=True)
class AnnounceTitles:
    title: str
    year: int


@dataclass(frozen=True)
class Nomination:
    volunteer_id: str
    county_code: str
    verified_hours: str
    star_level: int
    nominated_on: str
    status: str = NOMINATED
    rejected_at: str | None = None  # the stage
    reason_code: str | None = None

    @property
    def holds_a_place(self) -> bool:
        return self.status != REJECTED


@dataclass(frozen=True)
class Campaign:
    nominations: Mapping[str, Nomination] = field(default_factory=dict)
    announced_on: str | None = None

    def places_taken(self, county_code: str) -> int:
        return sum(n.county_code == county_code and n.holds_a_place
                   for n in self.nominations.values())

    def nomination_of(self, volunteer_id: str) -> str | None:
        return next((nid for nid, n in self.nominations.items()
                     if n.volunteer_id == volunteer_id and n.holds_a_place), None)


# --- decisions --------------------------------------------------------------------------


def nominate(state: Campaign | None, command: NominateVolunteer, nominee: Volunteer | None,
             title: Title, today: date) -> list[NewEvent]:
    campaign = state or Campaign()
    _not_announced(campaign)
    if command.nomination_id in campaign.nominations:
        raise AlreadyExists("this nomination is recorded already", field="nomination_id")
    _eligible(nominee, command, title)
    assert nominee is not None
    if campaign.nomination_of(command.volunteer_id):
        raise AlreadyExists("the volunteer is nominated for this title this year already",
                            field="volunteer_id")
    quota = title.quota_of(command.county_code)
    taken = campaign.places_taken(command.county_code)
    if taken >= quota:
        raise DomainRuleViolated(
            f"the county's quota of {title.label} for {command.year} is used: "
            f"{taken} of {quota}", field="title", quota=quota, taken=taken)
    return [ev.new_event(ev.VOLUNTEER_NOMINATED, {
        "nomination_id": command.nomination_id, "volunteer_id": command.volunteer_id,
        "county_code": command.county_code, "verified_hours": str(nominee.verified_hours),
        "star_level": nominee.star_level, "nominated_on": today.isoformat()})]


def _eligible(nominee: Volunteer | None, command: NominateVolunteer, title: Title) -> None:
    if nominee is None:
        raise NotFound("no such volunteer", field="volunteer_id")
    if nominee.county_code != command.county_code:
        raise DomainRuleViolated("a county bureau nominates its own county's volunteers",
                                 field="volunteer_id")
    if nominee.status in OUT_OF_SERVICE:
        raise DomainRuleViolated(f"a {nominee.status} volunteer cannot be nominated",
                                 field="volunteer_id", status=nominee.status)
    if not nominee.verified:
        raise DomainRuleViolated("only a verified volunteer can be nominated",
                                 field="volunteer_id", status=nominee.status)
    if nominee.star_level < title.min_star_level:
        raise DomainRuleViolated(
            f"{title.label} needs an approved star level of {title.min_star_level} or more",
            field="volunteer_id", star_level=nominee.star_level)


def review(state: Campaign | None, command: ReviewNomination) -> list[NewEvent]:
    nomination = (state.nominations if state else {}).get(command.nomination_id)
    if state is None or nomination is None:
        raise NotFound("no such nomination", field="nomination_id")
    _not_announced(state)
    if command.stage == "county" and command.county_code != nomination.county_code:
        raise DomainRuleViolated("only the nominee's county bureau reviews at county stage",
                                 field="county_code")
    if nomination.status != AWAITING[command.stage]:
        raise DomainRuleViolated(
            f"the nomination is {nomination.status}: not awaiting the {command.stage} review",
            field="nomination_id", status=nomination.status)
    return [ev.new_event(ev.NOMINATION_REVIEWED, {
        "nomination_id": command.nomination_id, "stage": command.stage,
        "decision": command.decision, "reason_code": command.reason_code})]


def announce(state: Campaign | None, command: AnnounceTitles, today: date) -> list[NewEvent]:
    if state is None:
        raise NotFound("nobody is nominated for this title this year", field="title")
    _not_announced(state)
    waiting = [nid for nid, n in state.nominations.items()
               if n.status in (NOMINATED, COUNTY_APPROVED)]
    if waiting:
        raise DomainRuleViolated(f"{len(waiting)} nominations still await review",
                                 field="title", waiting=waiting)
    approved = [nid for nid, n in state.nominations.items() if n.status == CITY_APPROVED]
    if not approved:
        raise DomainRuleViolated("the city approved no nomination to announce", field="title")
    return [ev.new_event(ev.TITLES_ANNOUNCED, {"announced_on": today.isoformat(),
                                               "nomination_ids": approved})]


def _not_announced(campaign: Campaign) -> None:
    if campaign.announced_on:
        raise DomainRuleViolated("this title's nominees for the year are announced",
                                 field="year", announced_on=campaign.announced_on)


# --- fold -------------------------------------------------------------------------------


def _nominated(state: Campaign | None, data: Mapping[str, Any]) -> Campaign:
    campaign = state or Campaign()
    added = Nomination(data["volunteer_id"], data["county_code"], data["verified_hours"],
                       data["star_level"], data["nominated_on"])
    return replace(campaign, nominations=dict(
        {**campaign.nominations, data["nomination_id"]: added}))


def _reviewed(state: Campaign, data: Mapping[str, Any]) -> Campaign:
    before = state.nominations[data["nomination_id"]]
    if data["decision"] == "approved":
        after = replace(before, status=APPROVED_AT[data["stage"]])
    else:
        after = replace(before, status=REJECTED, rejected_at=data["stage"],
                        reason_code=data["reason_code"])
    return replace(state, nominations=dict(
        {**state.nominations, data["nomination_id"]: after}))


def _announced(state: Campaign, data: Mapping[str, Any]) -> Campaign:
    awarded = set(data["nomination_ids"])
    return replace(state, announced_on=data["announced_on"], nominations=dict({
        nid: replace(n, status=ANNOUNCED) if nid in awarded else n
        for nid, n in state.nominations.items()}))


_FOLD = fold.Fold("campaign", ev.VOLUNTEER_NOMINATED, {
    ev.VOLUNTEER_NOMINATED: _nominated,
    ev.NOMINATION_REVIEWED: _reviewed,
    ev.TITLES_ANNOUNCED: _announced,
})
evolve, replay = _FOLD.evolve, _FOLD.replay

"""The silver talent pool (银发人才库): a volunteer's talent profile (specialities, the kind
of post held, when they can serve) on a stream of its own beside their record, and the
needs a branch or a county bureau posts, each on its own stream. Matching is a read."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from contracts.volunteers import events as ev
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.events import fold
from yinfa.events.envelope import NewEvent

from .volunteer import ERASED, Volunteer


@dataclass(frozen=True)
class RecordTalentProfile:
    volunteer_id: str
    specialities: tuple[str, ...] = ()
    former_post: str | None = None
    availability: tuple[str, ...] = ()


@dataclass(frozen=True)
class PostTalentNeed:
    need_id: str
    county_code: str
    starts_on: date
    ends_on: date
    posted_by: str
    skills: tuple[str, ...] = ()
    specialities: tuple[str, ...] = ()
    availability: tuple[str, ...] = ()
    branch_id: str | None = None


@dataclass(frozen=True)
class TalentProfile:
    specialities: tuple[str, ...]
    former_post: str | None
    availability: tuple[str, ...]


@dataclass(frozen=True)
class Need:
    county_code: str
    skills: tuple[str, ...]
    specialities: tuple[str, ...]
    availability: tuple[str, ...]
    starts_on: str
    ends_on: str
    posted_by: str


def record_profile(state: TalentProfile | None, command: RecordTalentProfile,
                   holder: Volunteer | None) -> list[NewEvent]:
    if holder is None:
        raise NotFound("no such volunteer", field="volunteer_id")
    if holder.status == ERASED:
        raise DomainRuleViolated("an erased person is not in the talent pool",
                                 field="volunteer_id")
    profile = TalentProfile(tuple(dict.fromkeys(command.specialities)), command.former_post,
                            tuple(dict.fromkeys(command.availability)))
    if profile == state:
        return []  # as recorded: a repeat changes nothing
    return [ev.new_event(ev.TALENT_PROFILE_RECORDED, {
        "volunteer_id": command.volunteer_id, "specialities": list(profile.specialities),
        "former_post": profile.former_post, "availability": list(profile.availability)})]


def post_need(state: Need | None, command: PostTalentNeed) -> list[NewEvent]:
    if state is not None:
        raise AlreadyExists("this need is posted already", field="need_id")
    poster = (f"branch_secretary:{command.branch_id}" if command.branch_id
              else command.posted_by)
    return [ev.new_event(ev.TALENT_NEED_POSTED, {
        "county_code": command.county_code, "skills": list(dict.fromkeys(command.skills)),
        "specialities": list(dict.fromkeys(command.specialities)),
        "availability": list(dict.fromkeys(command.availability)),
        "starts_on": command.starts_on.isoformat(), "ends_on": command.ends_on.isoformat(),
        "posted_by": poster})]


def _profile(_state: Any, data: Mapping[str, Any]) -> TalentProfile:
    return TalentProfile(tuple(data["specialities"]), data["former_post"],
                         tuple(data["availability"]))


def _need(_state: Any, data: Mapping[str, Any]) -> Need:
    return Need(data["county_code"], tuple(data["skills"]), tuple(data["specialities"]),
                tuple(data["availability"]), data["starts_on"], data["ends_on"],
                data["posted_by"])


_PROFILE = fold.Fold("talent profile", ev.TALENT_PROFILE_RECORDED,
                     {ev.TALENT_PROFILE_RECORDED: _profile})
_NEED = fold.Fold("need", ev.TALENT_NEED_POSTED, {ev.TALENT_NEED_POSTED: _need})
replay_profile, replay_need = _PROFILE.replay, _NEED.replay

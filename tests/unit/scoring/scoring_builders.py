"""Event builders for the scoring unit tests: JSON-shaped payloads as the other services
publish them (only the fields the fold reads are filled in realistically)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import count
from typing import Any

from services.scoring.domain.state import ScoringState, SourceEvent
from yinfa.reference import load_city

CITY_CLOCK = load_city().zone  # Asia/Shanghai: periods are the city's calendar years

_ids = count(1)


_versions: dict[str, int] = defaultdict(int)


def eid() -> str:
    return f"e{next(_ids):06d}"


def event(event_type: str, stream_id: str, data: dict[str, Any],
          event_id: str | None = None) -> SourceEvent:
    """The next event of a stream: versions count up per stream, as a source's do."""
    _versions[stream_id] += 1
    return SourceEvent(event_id or eid(), event_type, stream_id, _versions[stream_id], data)


@dataclass(frozen=True)
class Baseline:
    retired_cadres: int
    branches: int


def registered(vid: str, county: str) -> SourceEvent:
    return event("VolunteerRegistered", f"volunteer-{vid}",
                 {"name": "张三", "county_code": county, "skills": []})


def withdrawn(vid: str) -> SourceEvent:
    return event("VolunteerWithdrawn", f"volunteer-{vid}", {"reason_code": "health"})


def hours(vid: str, entry: str, amount: str, served_on: str = "2026-05-04") -> SourceEvent:
    return event("HoursRecorded", f"volunteer-{vid}",
                 {"entry_id": entry, "hours": amount, "served_on": served_on,
                  "source": "manual", "activity_id": None})


def hours_corrected(vid: str, entry: str, amount: str, previous: str) -> SourceEvent:
    return event("HoursCorrected", f"volunteer-{vid}",
                 {"entry_id": entry, "hours": amount, "previous_hours": previous,
                  "reason": "打卡遗漏"})


def established(bid: str, county: str, branch_type: str = "formal") -> SourceEvent:
    return event("BranchEstablished", f"branch-{bid}",
                 {"name": "财政局离退休干部党支部", "branch_type": branch_type,
                  "level": "branch", "county_code": county, "established_on": "2021-03-01"})


def granted(bid: str, level: str) -> SourceEvent:
    return event("CertificationGranted", f"certification-{bid}",
                 {"application_id": "a1", "level": level, "granted_by": "county_bureau",
                  "granted_on": "2026-03-01", "valid_until": "2029-03-01"})


def revoked(bid: str, level: str) -> SourceEvent:
    return event("CertificationRevoked", f"certification-{bid}",
                 {"level": level, "revoked_by": "county_bureau", "reason": "复核不合格",
                  "revoked_on": "2026-06-01"})


def published(aid: str, county: str, theme: str, starts_at: str = "2026-04-10T01:00:00+00:00"
              ) -> SourceEvent:
    return event("ActivityPublished", f"activity-{aid}",
                 {"theme": theme, "kind": "lecture", "county_code": county,
                  "starts_at": starts_at, "ends_at": starts_at, "capacity": 30})


def completed(aid: str, audience: int, endorsed: bool = False) -> SourceEvent:
    data: dict[str, Any] = {"served": [], "uncredited": [], "volunteers_credited": 0,
                            "total_hours": "0", "audience_reached": audience,
                            "beneficiaries": 0, "evidence": [], "endorsed": endorsed}
    return event("ActivityCompleted", f"activity-{aid}", data)


def wish_posted(wid: str, county: str) -> SourceEvent:
    return event("WishPosted", f"wish-{wid}",
                 {"label": "助老", "county_code": county, "category": "care"})


def wish_confirmed(wid: str, days: float, confirmed_at: str = "2026-05-20T02:00:00+00:00"
                   ) -> SourceEvent:
    return event("WishConfirmed", f"wish-{wid}",
                 {"confirmed_by": {"kind": "community", "id": "c1"},
                  "claimant": {"kind": "volunteer", "id": "v1"},
                  "confirmed_at": confirmed_at, "seconds_to_fulfil": int(days * 86400)})


def fold_all(events: list[SourceEvent]):  # noqa: ANN201 - a test helper
    from services.scoring.domain.facts import fold

    return fold(events, CITY_CLOCK)


def fresh_state() -> ScoringState:
    return ScoringState(CITY_CLOCK)

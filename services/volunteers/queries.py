"""Reads of the volunteers service, from its views (never from another service's data)."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from pymongo.database import Database

from contracts.volunteers.id_number import check_id_number, mask_id_number, mask_phone
from services.volunteers import dependencies as personal
from services.volunteers.domain.volunteer import volunteer_id_for
from services.volunteers.merge_queries import survivor_document
from services.volunteers.recognition_queries import titles_of
from services.volunteers.views import VolunteerView
from yinfa.errors import NotFound, ValidationFailed
from yinfa.events.envelope import RecordedEvent
from yinfa.reference import load_city

MAX_PAGE = 500
_HIDDEN = {"_id": 0}
# bookkeeping of member moves in the team view, for the sweep only
_TEAM_HIDDEN = {"_id": 0, "moves_out": 0, "moves_in": 0, "has_moves_out": 0}


ERASED = "已注销"  # shown in place of the name of a person whose data was erased


def with_personal_data(db: Database, documents: list[dict[str, Any]], reveal: bool = False
                       ) -> list[dict[str, Any]]:
    """The documents with each person's name and masked ID number and phone (in full only
    with `reveal`, for callers whose role may see them: decided by the gateway)."""
    people = personal.people(db, (doc["volunteer_id"] for doc in documents))
    return [_with_person(doc, people.get(doc["volunteer_id"]), reveal) for doc in documents]


def _with_person(doc: dict[str, Any], person: Mapping[str, Any] | None, reveal: bool
                 ) -> dict[str, Any]:
    if person is None:
        doc.update({"name": ERASED, "id_number_masked": None, "phone_masked": None})
        return doc
    doc.update({"name": person["name"], "id_number_masked": mask_id_number(person["id_number"]),
                "phone_masked": mask_phone(person["phone"])})
    if reveal:
        doc.update({"id_number": person["id_number"], "phone": person["phone"]})
    return doc


def registered(events: Sequence[RecordedEvent], person: Mapping[str, Any]) -> dict[str, Any]:
    """A new volunteer as `get_volunteer` would read them back, from the whole stream just
    recorded and the personal data just kept: a registration's answer costs no read."""
    doc = VolunteerView().document(events)
    assert doc is not None  # a registration's events fold into a volunteer
    return _with_person({**doc, "version": events[-1].version, "teams": [], "titles": []},
                        person, False)


def get_volunteer(db: Database, volunteer_id: str, reveal: bool = False) -> dict[str, Any]:
    doc = db["volunteer_view"].find_one({"_id": f"volunteer-{volunteer_id}"}, _HIDDEN)
    doc = survivor_document(db, doc, _HIDDEN)  # a merged record's id leads to its survivor
    if doc is None:
        raise NotFound("no such volunteer", field="volunteer_id")
    volunteer_id = doc["volunteer_id"]
    doc["teams"] = [
        # a team's members are in its view; matching an array element needs no join table
        t["team_id"] for t in db["team_view"].find({"members": volunteer_id}, {"team_id": 1})
    ]
    doc["titles"] = titles_of(db, volunteer_id)  # model-volunteer titles announced
    return with_personal_data(db, [doc], reveal)[0]


def find_by_id_number(db: Database, id_number: str, reveal: bool = False
                      ) -> dict[str, Any]:
    """The record of the person with this ID number: registered with it, or corrected
    to it (or from it) since."""
    reasons = check_id_number(id_number)
    if reasons:
        raise ValidationFailed({"id_number": reasons})
    derived = volunteer_id_for(id_number, personal.id_secret())
    return get_volunteer(db, personal.record_of(db, derived), reveal)


def without_personal_data(db: Database) -> list[str]:
    """Volunteers, other than erased ones, that have no personal data kept."""
    ids = [doc["volunteer_id"] for doc in db["volunteer_view"].find(
        {"status": {"$ne": "erased"}}, {"volunteer_id": 1})]
    return personal.without_personal_data(db, ids)


def names_of(db: Database, volunteer_ids: list[str]) -> dict[str, str]:
    """Names of these volunteers, for other services' answers (erased: 已注销)."""
    people = personal.people(db, volunteer_ids[:MAX_PAGE])
    return {vid: people[vid]["name"] if vid in people else ERASED
            for vid in volunteer_ids[:MAX_PAGE]}


def list_volunteers(
    db: Database,
    county_code: str | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    # a merged record is its survivor's duplicate: listed only when asked for by status
    query: dict[str, Any] = {"status": status or {"$ne": "merged"}}
    if county_code:
        query["county_code"] = county_code
    return _page(db, query, limit, offset)


def _page(db: Database, query: dict[str, Any], limit: int, offset: int) -> dict[str, Any]:
    limit = max(1, min(int(limit), MAX_PAGE))
    cursor = (
        db["volunteer_view"].find(query, _HIDDEN).sort("volunteer_id", 1).skip(int(offset))
        .limit(limit)
    )
    return {"total": db["volunteer_view"].count_documents(query),
            "items": with_personal_data(db, list(cursor))}


def pending_star_levels(db: Database, levels: list[int], county_code: str | None = None,
                        limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """Volunteers (not withdrawn or erased) whose pending star level is one of these."""
    query: dict[str, Any] = {"star_level_pending": {"$in": levels},
                             "status": {"$nin": ["withdrawn", "erased", "merged"]}}
    if county_code:
        query["county_code"] = county_code
    return _page(db, query, limit, offset)


def list_teams(db: Database, county_code: str | None = None) -> list[dict[str, Any]]:
    query = {"county_code": county_code} if county_code else {}
    return list(db["team_view"].find(query, _TEAM_HIDDEN).sort("team_id", 1))


def get_team(db: Database, team_id: str) -> dict[str, Any]:
    doc = db["team_view"].find_one({"_id": f"team-{team_id}"}, _TEAM_HIDDEN)
    if doc is None:
        raise NotFound("no such team", field="team_id")
    return doc


def get_certificate(db: Database, code: str) -> dict[str, Any]:
    doc = db["certificate_view"].find_one({"_id": f"certificate-{code.strip().upper()}"},
                                          _HIDDEN)
    if doc is None:
        raise NotFound("no such certificate", field="code")
    return doc


def county_summary(db: Database) -> list[dict[str, Any]]:
    """Per county: volunteers by status and by star level, with the county's baseline."""
    statuses: dict[str, Counter] = defaultdict(Counter)
    stars: dict[str, Counter] = defaultdict(Counter)
    hours: dict[str, Decimal] = defaultdict(Decimal)
    activity_hours: dict[str, Decimal] = defaultdict(Decimal)
    projection = {"county_code": 1, "status": 1, "star_level": 1, "total_hours": 1,
                  "activity_hours": 1}
    # a merged pair is one volunteer: the survivor, which counts the hours handed to it
    for doc in db["volunteer_view"].find({"status": {"$ne": "merged"}}, projection):
        code = doc["county_code"]
        statuses[code][doc["status"]] += 1
        stars[code][int(doc["star_level"])] += 1
        hours[code] += Decimal(doc["total_hours"])
        activity_hours[code] += Decimal(doc.get("activity_hours", "0"))
    teams = Counter(doc["county_code"] for doc in db["team_view"].find({}, {"county_code": 1}))
    rows = []
    for code, county in load_city().counties.items():
        by_status = statuses.get(code, Counter())
        registered = sum(by_status.values())
        rows.append(
            {
                "county_code": code,
                "county_name": county.name,
                "retired_cadres": county.retired_cadres,
                "volunteers": registered,
                "per_100_retired": round(100 * registered / county.retired_cadres, 2)
                if county.retired_cadres
                else None,
                "by_status": dict(by_status),
                "by_star_level": {str(k): v for k, v in sorted(stars.get(code, {}).items())},
                "teams": teams.get(code, 0),
                "hours": str(hours[code]),
                "activity_hours": str(activity_hours[code]),
            }
        )
    return rows

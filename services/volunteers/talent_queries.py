"""Reads of the talent pool: volunteers who can serve (verified or active), found by their
record (skills, county, star level, former employer) and their talent profile
(specialities, kind of former post, availability); a posted need with its matches."""
from __future__ import annotations

from typing import Any

from pymongo.database import Database

from services.volunteers.queries import MAX_PAGE, with_personal_data
from yinfa.errors import NotFound

SERVING = ["verified", "active"]
MAX_MATCHES = 50
_HIDDEN = {"_id": 0}
PROFILE_FIELDS = ("specialities", "former_post", "availability")


def search(db: Database, skill: str | None = None, speciality: str | None = None,
           former_post: str | None = None, availability: str | None = None,
           county_code: str | None = None, min_star_level: int | None = None,
           former_employer: str | None = None, limit: int = 100, offset: int = 0
           ) -> dict[str, Any]:
    """Serving volunteers matching every filter given, by star level then hours."""
    query: dict[str, Any] = {"status": {"$in": SERVING}}
    if skill:
        query["skills"] = skill
    if county_code:
        query["county_code"] = county_code
    if min_star_level:
        query["star_level"] = {"$gte": int(min_star_level)}
    profile_query = {name: value for name, value in (
        ("specialities", speciality), ("former_post", former_post),
        ("availability", availability)) if value}
    found = list(db["volunteer_view"].find(query, _HIDDEN))
    if former_employer:
        wanted = former_employer.strip()
        found = [doc for doc in found if wanted in (doc.get("former_employer") or "")]
    profiles = _profiles(db, [doc["volunteer_id"] for doc in found], profile_query)
    if profile_query:
        found = [doc for doc in found if doc["volunteer_id"] in profiles]
    found.sort(key=_rank)
    limit = max(1, min(int(limit), MAX_PAGE))
    chosen = found[int(offset):int(offset) + limit]
    return {"total": len(found), "items": _cards(db, chosen, profiles)}


def _profiles(db: Database, volunteer_ids: list[str], query: dict[str, Any]
              ) -> dict[str, dict[str, Any]]:
    if not volunteer_ids:
        return {}
    return {doc["volunteer_id"]: doc for doc in db["talent_view"].find(
        {**query, "volunteer_id": {"$in": volunteer_ids}}, _HIDDEN)}


def _rank(doc: dict[str, Any]) -> tuple:
    return (-int(doc["star_level"]), -float(doc["verified_hours"]), doc["volunteer_id"])


def _cards(db: Database, docs: list[dict[str, Any]], profiles: dict[str, dict[str, Any]]
           ) -> list[dict[str, Any]]:
    for doc in docs:
        profile = profiles.get(doc["volunteer_id"], {})
        doc.update({name: profile.get(name, None if name == "former_post" else [])
                    for name in PROFILE_FIELDS})
    return with_personal_data(db, docs)


def get_need(db: Database, need_id: str) -> dict[str, Any]:
    need = db["need_view"].find_one({"_id": f"need-{need_id}"}, _HIDDEN)
    if need is None:
        raise NotFound("no such need", field="need_id")
    return {**need, "matches": matches(db, need)}


def matches(db: Database, need: dict[str, Any]) -> list[dict[str, Any]]:
    """Serving volunteers of the need's county with a skill or speciality it asks for (and,
    if it names any, a time they can serve), the best matched first."""
    candidates = list(db["volunteer_view"].find(
        {"status": {"$in": SERVING}, "county_code": need["county_code"]}, _HIDDEN))
    profiles = _profiles(db, [doc["volunteer_id"] for doc in candidates], {})
    scored = []
    for doc in candidates:
        profile = profiles.get(doc["volunteer_id"], {})
        matched = (set(need["skills"]) & set(doc["skills"])) | (
            set(need["specialities"]) & set(profile.get("specialities", [])))
        free = not need["availability"] or set(need["availability"]) & set(
            profile.get("availability", []))
        if matched and free:
            doc["matched"] = sorted(matched)
            scored.append(doc)
    scored.sort(key=lambda doc: (-len(doc["matched"]), *_rank(doc)))
    return _cards(db, scored[:MAX_MATCHES], profiles)


def profile_of(db: Database, volunteer_id: str) -> dict[str, Any]:
    doc = db["talent_view"].find_one({"_id": f"talent-{volunteer_id}"}, _HIDDEN)
    if doc is None:
        raise NotFound("no talent profile recorded", field="volunteer_id")
    return doc

"""Reads of model-volunteer campaigns: nominations (with the nominee's name, and their
deeds for one nomination read alone) and the titles announced for a volunteer."""
from __future__ import annotations

from typing import Any

from pymongo.database import Database

from contracts.volunteers.recognition import load_recognition_catalog
from services.volunteers import deeds, dependencies as personal
from yinfa.errors import NotFound

ERASED = "已注销"


def titles_of(db: Database, volunteer_id: str) -> list[dict[str, Any]]:
    """Titles announced for the volunteer, oldest first: {title, label, year, announced_on}."""
    titles = load_recognition_catalog().titles
    found = db["campaign_view"].find({"awarded": volunteer_id},
                                     {"title": 1, "year": 1, "announced_on": 1})
    return sorted(({"title": doc["title"], "year": doc["year"],
                    "label": titles[doc["title"]].label if doc["title"] in titles
                    else doc["title"], "announced_on": doc["announced_on"]}
                   for doc in found), key=lambda t: (t["year"], t["title"]))


def list_nominations(db: Database, title: str | None = None, year: int | None = None,
                     county_code: str | None = None, status: str | None = None
                     ) -> list[dict[str, Any]]:
    query: dict[str, Any] = {}
    if title:
        query["title"] = title
    if year:
        query["year"] = int(year)
    rows = [n for doc in db["campaign_view"].find(query, {"nominations": 1})
            for n in doc["nominations"]
            if (not county_code or n["county_code"] == county_code)
            and (not status or n["status"] == status)]
    rows.sort(key=lambda n: (-n["year"], n["title"], n["county_code"], n["nominated_on"],
                             n["nomination_id"]))
    return _named(db, rows)


def get_nomination(db: Database, nomination_id: str) -> dict[str, Any]:
    doc = db["campaign_view"].find_one({"nomination_ids": nomination_id}, {"nominations": 1})
    found = next((n for n in (doc or {}).get("nominations", [])
                  if n["nomination_id"] == nomination_id), None)
    if found is None:
        raise NotFound("no such nomination", field="nomination_id")
    named = _named(db, [found])[0]
    # erased: the deeds went with the person's data
    named["deeds"] = deeds.deeds_of(db, [nomination_id]).get(nomination_id)
    return named


def _named(db: Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    titles = load_recognition_catalog().titles
    people = personal.people(db, (n["volunteer_id"] for n in rows))
    return [{**n, "title_label": titles[n["title"]].label if n["title"] in titles
             else n["title"],
             "name": people[n["volunteer_id"]]["name"] if n["volunteer_id"] in people
             else ERASED} for n in rows]


def get_campaign(db: Database, stream_id: str) -> dict[str, Any]:
    """A campaign (as its stream names it) with its nominations, named."""
    doc = db["campaign_view"].find_one({"_id": stream_id}, {"_id": 0, "nomination_ids": 0})
    if doc is None:
        raise NotFound("nobody is nominated for this title this year", field="title")
    return {**doc, "nominations": _named(db, doc["nominations"])}

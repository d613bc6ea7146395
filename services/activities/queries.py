"""Reads of the activities service, from its own views."""
from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from pymongo.database import Database

from services.activities.dependencies import with_descriptions
from yinfa.errors import NotFound

MAX_PAGE = 500
_HIDDEN = {"_id": 0}


def get_activity(db: Database, activity_id: str) -> dict[str, Any]:
    doc = db["activity_view"].find_one({"_id": f"activity-{activity_id}"}, _HIDDEN)
    if doc is None:
        raise NotFound("no such activity", field="activity_id")
    return doc


def activity_facts(db: Database, activity_ids: list[str]) -> dict[str, dict[str, str]]:
    """{activity id: {kind, theme}} of those of these activities that exist, in one read."""
    ids = list(dict.fromkeys(activity_ids))[:MAX_FACTS]
    return {doc["activity_id"]: {"kind": doc["kind"], "theme": doc["theme"]}
            for doc in db["activity_view"].find(
                {"_id": {"$in": [f"activity-{a}" for a in ids]}},
                {"activity_id": 1, "kind": 1, "theme": 1})} if ids else {}


MAX_FACTS = 10_000  # a record of decades of weekly activities


def get_wish(db: Database, wish_id: str) -> dict[str, Any]:
    doc = db["wish_view"].find_one({"_id": f"wish-{wish_id}"}, _HIDDEN)
    if doc is None:
        raise NotFound("no such wish", field="wish_id")
    return with_descriptions(db, [doc])[0]


def _page(db: Database, collection: str, query: dict, order: str, limit: int, offset: int):
    limit = max(1, min(int(limit), MAX_PAGE))
    cursor = db[collection].find(query, _HIDDEN).sort(order, 1).skip(int(offset)).limit(limit)
    return {"total": db[collection].count_documents(query), "items": list(cursor)}


def _of_branch(party: str, branch_id: str | None) -> dict[str, Any]:
    """A branch's own: the activities it organises, the wishes it has claimed."""
    return {f"{party}.kind": "branch", f"{party}.id": branch_id} if branch_id else {}


def list_activities(db: Database, county_code=None, theme=None, status=None,
                    limit: int = 100, offset: int = 0, branch_id: str | None = None
                    ) -> dict[str, Any]:
    query = {k: v for k, v in
             {"county_code": county_code, "theme": theme, "status": status}.items() if v}
    query.update(_of_branch("organiser", branch_id))
    return _page(db, "activity_view", query, "starts_at", limit, offset)


def list_wishes(db: Database, county_code=None, status=None,
                limit: int = 100, offset: int = 0, branch_id: str | None = None
                ) -> dict[str, Any]:
    query = {k: v for k, v in {"county_code": county_code, "status": status}.items() if v}
    query.update(_of_branch("claimant", branch_id))
    page = _page(db, "wish_view", query, "posted_at", limit, offset)
    page["items"] = with_descriptions(db, page["items"])
    return page


def county_summary(db: Database) -> dict[str, dict[str, Any]]:
    """Per county: activities by status and theme, hours credited, audience, wishes."""
    summary: dict[str, dict[str, Any]] = defaultdict(lambda: {
        "activities": Counter(), "themes": Counter(), "hours": Decimal(0), "audience": 0,
        "wishes": Counter(),
    })
    for doc in db["activity_view"].find({}, {"county_code": 1, "status": 1, "theme": 1,
                                             "total_hours": 1, "audience_reached": 1}):
        row = summary[doc["county_code"]]
        row["activities"][doc["status"]] += 1
        if doc["status"] == "completed":
            row["themes"][doc["theme"]] += 1
        row["hours"] += Decimal(doc["total_hours"])
        row["audience"] += doc["audience_reached"]
    for doc in db["wish_view"].find({}, {"county_code": 1, "status": 1}):
        summary[doc["county_code"]]["wishes"][doc["status"]] += 1
    return {
        code: {"activities": dict(row["activities"]), "themes": dict(row["themes"]),
               "hours": str(row["hours"]), "audience": row["audience"],
               "wishes": dict(row["wishes"])}
        for code, row in summary.items()
    }

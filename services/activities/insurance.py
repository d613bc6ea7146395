"""The uninsured report: volunteers signed up (or waitlisted) for activities that take
insured volunteers only, whose accident insurance the directory says is not in place (it
lapsed after they signed up, or they signed up before the activity asked for it)."""
from __future__ import annotations

from typing import Any

from pymongo.database import Database

from services.activities.directory import VolunteerDirectory
from services.activities.domain.activity import CANCELLED, PUBLICATION_CANCELLED


def uninsured_sign_ups(db: Database, directory: VolunteerDirectory,
                       county_code: str | None = None) -> list[dict[str, Any]]:
    """One row a volunteer and activity, soonest activity first."""
    query: dict[str, Any] = {"insurance_required": True,
                             "status": {"$nin": [CANCELLED, PUBLICATION_CANCELLED]}}
    if county_code:
        query["county_code"] = county_code
    activities = list(db["activity_view"].find(query, {"_id": 0}).sort("starts_at", 1))
    signed = sorted({v for a in activities for v in a["participants"] + a["waitlist"]})
    uninsured = directory.uninsured_among(signed) if signed else set()
    return [{"activity_id": a["activity_id"], "title": a["title"], "theme": a["theme"],
             "kind": a["kind"], "county_code": a["county_code"], "starts_at": a["starts_at"],
             "status": a["status"], "volunteer_id": volunteer_id,
             "waitlisted": volunteer_id in a["waitlist"]}
            for a in activities for volunteer_id in a["participants"] + a["waitlist"]
            if volunteer_id in uninsured]

"""Reads of the branches service, from its own views.

A certification counts on a day only if it is held and valid that day (`today`, the
bureau's calendar day from the service clock), exactly as the domain's `current_level`:
one that has run out but whose expiry the timer has not recorded yet is not shown.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from pymongo.database import Database

from contracts.branches.catalog import BranchCatalog, load_branch_catalog
from services.branches import brand_queries, dependencies as people
from services.branches.domain.branch import OFFICERS
from services.branches.domain.coverage import CountyCoverage
from yinfa.errors import NotFound
from yinfa.reference import load_city

MAX_PAGE = 500
_HIDDEN = {"_id": 0, "version": 0}
# bookkeeping of member moves in the branch view, for the sweep only
_BRANCH_HIDDEN = {**_HIDDEN, "moves_out": 0, "moves_in": 0, "has_moves_out": 0,
                  "member_merges": 0, "has_member_merges": 0}
TARGET_SHARE = "1.0000"  # seed 002: every formal branch at 达标 or above


def _valid_level(doc: dict[str, Any], today: str) -> str | None:
    level = doc.get("certification_level")
    if level and doc["certified_on"] <= today <= doc["certified_until"]:
        return level
    return None


def _present(doc: dict[str, Any], today: str, catalog: BranchCatalog) -> dict[str, Any]:
    level = _valid_level(doc, today)
    return {
        **doc,
        "branch_type_label": catalog.branch_types[doc["branch_type"]].label,
        "level_label": catalog.structure_levels[doc["level"]].label,
        "certification_level": level,
        "certification_label": catalog.certification_level(level).label if level else None,
        "certified_on": doc["certified_on"] if level else None,
        "certified_until": doc["certified_until"] if level else None,
    }


def get_branch(db: Database, branch_id: str, today: str) -> dict[str, Any]:
    doc = db["branch_view"].find_one({"_id": f"branch-{branch_id}"}, _BRANCH_HIDDEN)
    if doc is None:
        raise NotFound("no such branch", field="branch_id")
    shown = _present(doc, today, load_branch_catalog())
    shown["brand"] = brand_queries.shown(
        db["brand_view"].find_one({"_id": f"brand-{branch_id}"}, _HIDDEN))
    return people.with_names(db, [shown], OFFICERS)[0]


def list_branches(db: Database, today: str, county_code: str | None = None,
                  level: str | None = None, branch_type: str | None = None,
                  status: str | None = None, certification_level: str | None = None,
                  parent_id: str | None = None, limit: int = 100, offset: int = 0
                  ) -> dict[str, Any]:
    given = {"county_code": county_code, "level": level, "branch_type": branch_type,
             "status": status, "parent_id": parent_id}
    query: dict[str, Any] = {key: value for key, value in given.items() if value}
    if certification_level:
        query.update({"certification_level": certification_level,
                      "certified_on": {"$lte": today}, "certified_until": {"$gte": today}})
    limit = max(1, min(int(limit), MAX_PAGE))
    cursor = (db["branch_view"].find(query, _BRANCH_HIDDEN).sort("branch_id", 1).skip(int(offset))
              .limit(limit))
    catalog = load_branch_catalog()
    items = [_present(doc, today, catalog) for doc in cursor]
    return {"total": db["branch_view"].count_documents(query),
            "items": people.with_names(db, items, OFFICERS)}


_COUNTING = {"county_code": 1, "branch_type": 1, "level": 1, "certification_level": 1,
             "certified_on": 1, "certified_until": 1, "branch_id": 1, "name": 1}


def _active(db: Database) -> list[dict[str, Any]]:
    return list(db["branch_view"].find({"status": "active"}, _COUNTING))


def coverage(db: Database, today: str) -> list[dict[str, Any]]:
    """Per county: formal branches that count, how many hold 达标 or above, the share."""
    catalog = load_branch_catalog()
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for doc in _active(db):
        if not (catalog.branch_types[doc["branch_type"]].formal
                and catalog.structure_levels[doc["level"]].certifiable):
            continue
        tally[doc["county_code"]][0] += 1
        tally[doc["county_code"]][1] += _valid_level(doc, today) is not None
    rows = []
    for code, county in load_city().counties.items():
        figures = CountyCoverage(code, *tally.get(code, [0, 0]))
        share = figures.share
        rows.append({
            "county_code": code,
            "county_name": county.name,
            "reference_branches": county.branches,
            "formal_branches": figures.formal_branches,
            "certified": figures.certified,
            "share": None if share is None else str(share),
            "target_share": TARGET_SHARE,
            "meets_target": share is not None and str(share) == TARGET_SHARE,
        })
    return rows


def demonstration_branches(db: Database, today: str) -> dict[str, Any]:
    """Active branches validly holding each demonstration level (above 达标), and the
    count per county and level."""
    catalog = load_branch_catalog()
    demo_levels = catalog.certification_levels[1:]
    by_level: dict[str, list[dict[str, Any]]] = {level.code: [] for level in demo_levels}
    by_county: dict[str, dict[str, int]] = {}
    for doc in sorted(_active(db), key=lambda d: (d["county_code"], d["name"])):
        level = _valid_level(doc, today)
        if level not in by_level:
            continue
        by_level[level].append({key: doc[key] for key in
                                ("branch_id", "name", "county_code", "certified_on",
                                 "certified_until")})
        counts = by_county.setdefault(doc["county_code"],
                                      dict.fromkeys(by_level, 0))
        counts[level] += 1
    return {
        "levels": [{"level": level.code, "label": level.label, "count": len(by_level[level.code]),
                    "branches": by_level[level.code]} for level in reversed(demo_levels)],
        "by_county": dict(sorted(by_county.items())),
    }


def certification_history(db: Database, branch_id: str) -> dict[str, Any]:
    doc = db["certification_view"].find_one({"_id": f"certification-{branch_id}"}, _HIDDEN)
    if doc is None:
        if db["branch_view"].count_documents({"_id": f"branch-{branch_id}"}) == 0:
            raise NotFound("no such branch", field="branch_id")
        doc = {"branch_id": branch_id, "holding": None, "past": [], "applications": [],
               "open_application": None, "next_due_on": None}
    labels = load_branch_catalog().labels["certification_levels"]
    for entry in [doc["holding"], *doc["past"], *doc["applications"]]:
        if entry is not None:
            entry["level_label"] = labels.get(entry["level"])
    return people.with_names(db, [doc], ("applicant", "reviewer"))[0]

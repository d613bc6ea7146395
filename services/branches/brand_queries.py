"""Reads of party-building brands (党建品牌): the city's list with filters, one brand, and
a year's top ten (十佳) as the city selected it.

Brands are few (at most one a branch), so a list reads every brand document once and
filters and pages in memory; each is shown with its branch's name and county, read from
the branch view at the same time (a brand follows its branch, never the other way).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo.database import Database

from contracts.activities.catalog import load_activity_catalog
from contracts.branches.catalog import load_branch_catalog
from contracts.branches.replies import BRAND_STATUS_LABELS
from services.branches.domain.brand import LIVE
from yinfa.errors import NotFound
from yinfa.reference import load_city

MAX_PAGE = 500
_HIDDEN = {"_id": 0, "version": 0}
_BRANCH_PART = {"_id": 0, "branch_id": 1, "name": 1, "county_code": 1}


def _county_name(code: str | None) -> str | None:
    county = load_city().counties.get(code) if code else None
    return county.name if county else None


def shown(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    """A brand view document as answered: one written before brands had a theme has
    none (it gains the field when its brand next changes, or at a rebuild)."""
    return None if doc is None else {"theme": None, **doc}


def _listed(brands: Iterable[dict[str, Any]], db: Database) -> list[dict[str, Any]]:
    docs = [shown(doc) or {} for doc in brands]
    themes = load_activity_catalog().themes
    branches = {b["branch_id"]: b for b in db["branch_view"].find(
        {"branch_id": {"$in": [d["branch_id"] for d in docs]}}, _BRANCH_PART)}
    listed = []
    for doc in docs:
        branch = branches.get(doc["branch_id"], {})
        listed.append({
            **doc,
            "status_label": BRAND_STATUS_LABELS[doc["status"]],
            "theme_label": themes.get(doc["theme"]) if doc["theme"] else None,
            "branch_name": branch.get("name"),
            "county_code": branch.get("county_code"),
            "county_name": _county_name(branch.get("county_code")),
        })
    return listed


def in_year(brand: dict[str, Any], year: int) -> bool:
    """In the programme that year: applied for by then, and reviewed for it (a brand
    still live is also in it for the year its next review is due)."""
    last = brand["next_review_year"] - (0 if brand["status"] in LIVE else 1)
    return brand["first_year"] <= year <= last


def _matches(brand: dict[str, Any], words: str | None) -> bool:
    if not words:
        return True
    text = f"{brand['name']} {brand['description']}".casefold()
    return all(word in text for word in words.casefold().split())


def list_brands(db: Database, county_code: str | None = None, year: int | None = None,
                status: str | None = None, q: str | None = None, limit: int = 100,
                offset: int = 0, theme: str | None = None) -> dict[str, Any]:
    """Filtered by county, year (see `in_year`), status, theme and words of the name or
    description; ordered by county, branch name and branch id."""
    query = {"status": status} if status else {}
    brands = _listed(db["brand_view"].find(query, _HIDDEN), db)
    chosen = [b for b in brands
              if (county_code is None or b["county_code"] == county_code)
              and (theme is None or b["theme"] == theme)
              and (year is None or in_year(b, year)) and _matches(b, q)]
    chosen.sort(key=lambda b: (b["county_code"] or "", b["branch_name"] or "", b["branch_id"]))
    limit = max(1, min(int(limit), MAX_PAGE))
    return {"total": len(chosen), "items": chosen[int(offset):int(offset) + limit]}


def get_brand(db: Database, branch_id: str) -> dict[str, Any]:
    doc = db["brand_view"].find_one({"_id": f"brand-{branch_id}"}, _HIDDEN)
    if doc is None:
        raise NotFound("the branch has no brand", field="branch_id")
    return _listed([doc], db)[0]


def top_brands(db: Database, year: int) -> dict[str, Any]:
    """The year's 十佳 as selected (`select_top_brands`), best first; shared ranks stay
    shared. No selection for the year: not found."""
    chosen = []
    for brand in _listed(db["brand_view"].find({}, _HIDDEN), db):
        rank = next((s["rank"] for s in brand["selected"] if s["year"] == year), None)
        if rank is not None:
            chosen.append({"rank": rank, "branch_id": brand["branch_id"],
                           "branch_name": brand["branch_name"],
                           "county_code": brand["county_code"],
                           "county_name": brand["county_name"], "name": brand["name"],
                           "description": brand["description"],
                           "theme": brand["theme"], "theme_label": brand["theme_label"],
                           "status": brand["status"], "status_label": brand["status_label"]})
    if not chosen:
        raise NotFound("no top brands were selected for that year", field="year")
    chosen.sort(key=lambda b: (b["rank"], b["branch_name"] or "", b["branch_id"]))
    return {"year": year, "top_n": load_branch_catalog().brand_top_per_year, "items": chosen}

"""Read models of the branches service.

- `branch_view`: one document per branch, joined with what its certification stream says
  it holds, so lists and coverage need no second query. It folds both streams again on an
  event of either; its version is the sum of the two stream versions, which only grows,
  and is highest only for the latest state of both: the live view equals a rebuild.
- `certification_view`: the whole ladder of one branch (applications with item decisions,
  the holding, past holdings) and `next_due_on`, the first day the timer has work on it.
- `brand_view`: one document per brand.

Views hold codes, not labels: queries add labels from the catalog.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pymongo.database import Database

from contracts.branches.catalog import load_branch_catalog
from contracts.branches.streams import (
    BRANCH_PREFIX,
    BRAND_PREFIX,
    CERTIFICATION_PREFIX,
    branch_stream,
    certification_stream,
)
from services.branches.domain import branch as branches, brand as brands, certification as cert
from services.branches.domain.branch import replay as fold_branch
from services.branches.domain.brand import replay as fold_brand
from services.branches.domain.certification import replay as fold_certification
from yinfa.events.envelope import RecordedEvent
from yinfa.projections import StreamView, write_if_newer
from yinfa.store.event_store import EventStore


def _iso(day: Any) -> str | None:
    return None if day is None else day.isoformat()


def branch_document(branch_id: str, state: branches.Branch,
                    certification: cert.Certification | None) -> dict[str, Any]:
    holding = certification.holding if certification else None
    held = holding is not None and holding.status == cert.HELD
    return {
        "branch_id": branch_id,
        "name": state.name,
        "branch_type": state.branch_type,
        "level": state.level,
        "county_code": state.county_code,
        "parent_id": state.parent_id,
        "former_employer": state.former_employer,
        "community": state.community,
        "secretary_ref": state.secretary_ref,  # names are put back when read (dependencies.py)
        "liaison_ref": state.liaison_ref,
        "status": state.status,
        "established_on": _iso(state.established_on),
        "closed_on": _iso(state.closed_on),
        "merged_into": state.merged_into,
        "absorbed_from": sorted(state.absorbed_from),
        "members": sorted(state.members),
        "member_count": len(state.members),
        # for the sweep that completes a move cut short (not shown: queries hide them)
        "moves_out": [[move, *to] for move, to in sorted(state.moves_out.items())],
        "moves_in": sorted(state.moves_in),
        "has_moves_out": bool(state.moves_out),
        # merges of two volunteer records in force here, for the sweep of their undo
        "member_merges": [[merge_id, merge.duplicate_id]
                          for merge_id, merge in sorted(state.member_merges.items())],
        "has_member_merges": bool(state.member_merges),
        "certification_level": holding.level if held and holding else None,
        "certified_on": _iso(holding.granted_on) if held and holding else None,
        "certified_until": _iso(holding.valid_until) if held and holding else None,
    }


class BranchView(StreamView):
    collection = "branch_view"
    stream_prefix = BRANCH_PREFIX

    def handles(self, stream_id: str) -> bool:
        return stream_id.startswith((BRANCH_PREFIX, CERTIFICATION_PREFIX))

    def refresh(self, db: Database, store: EventStore, stream_id: str) -> None:
        branch_id = stream_id.split("-", 1)[1]
        branch_events = store.read_stream(branch_stream(branch_id))
        state = fold_branch(branch_events)
        if state is None:
            return
        certification_events = store.read_stream(certification_stream(branch_id))
        doc = branch_document(branch_id, state, fold_certification(certification_events))
        version = branch_events[-1].version + len(certification_events)
        write_if_newer(db[self.collection], branch_stream(branch_id), doc, version)


def holding_document(holding: cert.Holding) -> dict[str, Any]:
    return {
        "application_id": holding.application_id,
        "level": holding.level,
        "granted_by": holding.granted_by,
        "granted_on": _iso(holding.granted_on),
        "valid_until": _iso(holding.valid_until),
        "external_reference": holding.external_reference,
        "status": holding.status,
        "fallen_due": [_iso(day) for day in holding.fallen_due],
        "reviewed": [_iso(day) for day in holding.reviewed],
        "pending_reviews": [_iso(day) for day in holding.pending_reviews],
    }


def application_document(application: cert.Application) -> dict[str, Any]:
    items = []
    for code in application.items:
        decision = application.decisions.get(code)
        evidence = application.evidence.get(code)
        items.append({
            "item": code,
            "mandatory": code in application.mandatory,
            "evidence": None if evidence is None else
            {"text": evidence["text"], "links": list(evidence["links"])},
            "met": None if decision is None else decision.met,
            "note": None if decision is None else decision.note,
            "reviewer_ref": None if decision is None else decision.reviewer_ref,
        })
    return {
        "application_id": application.application_id,
        "level": application.level,
        "checklist": application.checklist,
        "checklist_version": application.checklist_version,
        "applicant_ref": application.applicant_ref,
        "applied_on": _iso(application.applied_on),
        "status": application.status,
        "unmet_mandatory": list(application.unmet_mandatory),
        "items": items,
    }


def next_due_on(holding: cert.Holding | None) -> str | None:
    """The first day on which `certification.due` has something to append."""
    if holding is None or holding.status != cert.HELD:
        return None
    dates = [day for day in cert.review_dates(holding, load_branch_catalog())
             if day not in holding.fallen_due]
    dates.append(holding.valid_until + timedelta(days=1))
    return min(dates).isoformat()


class CertificationView(StreamView):
    collection = "certification_view"
    stream_prefix = CERTIFICATION_PREFIX

    def document(self, events: Sequence[RecordedEvent]) -> dict[str, Any] | None:
        state = fold_certification(events)
        if state is None:
            return None
        applications = sorted(state.applications.values(),
                              key=lambda a: (a.applied_on, a.application_id))
        return {
            "branch_id": events[0].aggregate_id,
            "holding": None if state.holding is None else holding_document(state.holding),
            "past": [holding_document(h) for h in state.past],
            "applications": [application_document(a) for a in applications],
            "open_application": None if state.open_application is None
            else state.open_application.application_id,
            "next_due_on": next_due_on(state.holding),
        }


class BrandView(StreamView):
    collection = "brand_view"
    stream_prefix = BRAND_PREFIX

    def document(self, events: Sequence[RecordedEvent]) -> dict[str, Any] | None:
        state = fold_brand(events)
        if state is None:
            return None
        return {
            "branch_id": events[0].aggregate_id,
            "name": state.name,
            "description": state.description,
            "first_year": state.first_year,
            "cultivation_years": state.cultivation_years,
            "theme": state.theme,
            "status": state.status,
            "live": state.status in brands.LIVE,
            "next_review_year": state.next_review_year,
            "reviews": [{"year": y, "passed": p} for y, p in sorted(state.reviews.items())],
            "selected": [{"year": y, "rank": r} for y, r in sorted(state.selected.items())],
        }


VIEWS = (BranchView(), CertificationView(), BrandView())

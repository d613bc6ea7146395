"""Read models of the volunteers service: one document per volunteer and per team.

Documents hold no personal data: names, phones and ID numbers are kept encrypted
(`dependencies.py`) and joined in by the queries when a list or a record is read, so an
erased person's documents keep only the anonymous facts.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from contracts.volunteers.streams import CERTIFICATE_PREFIX, TEAM_PREFIX, VOLUNTEER_PREFIX
from services.volunteers.domain.certificate import replay as fold_certificate
from services.volunteers.domain.team import replay as fold_team
from services.volunteers.domain.volunteer import replay as fold_volunteer
from services.volunteers.recognition_views import RECOGNITION_VIEWS
from services.volunteers.transfer_view import TransferView
from yinfa.events.envelope import RecordedEvent
from yinfa.projections import StreamView


class VolunteerView(StreamView):
    collection = "volunteer_view"
    stream_prefix = VOLUNTEER_PREFIX

    def document(self, events: Sequence[RecordedEvent]) -> dict[str, Any] | None:
        state = fold_volunteer(events)
        if state is None:
            return None
        return {
            "volunteer_id": events[0].aggregate_id,
            "gender": state.gender,
            "birth_year": state.birth_year,
            "county_code": state.county_code,
            "former_employer": state.former_employer,
            "retirement_status": state.retirement_status,
            "party_member": state.party_member,
            "branch_id": state.branch_id,
            "skills": list(state.skills),
            "insurance": state.insurance,
            "status": state.status,
            "verified": state.verified,
            "total_hours": str(state.total_hours),
            "verified_hours": str(state.verified_hours),
            "star_level": state.star_level,
            "star_level_reached": state.star_level_reached,
            "star_level_pending": state.star_level_pending,
            "activity_hours": str(_activity_hours(events, state.ledger)
                                  + _adopted_activity_hours(state.adopted)),
            "registered_at": events[0].occurred_at.isoformat(),
            "carried_hours": str(state.carried_hours),  # moving between cities
            "transferred_from": state.transferred_from,
            "transferred_to": state.transferred_to,
            # merging duplicates: where a merged record went, what a survivor holds
            "merged_into": state.merged_into,
            "merge_id": state.merge_id,
            "merged_at": state.merged_at,
            "merges_held": sorted(state.merged_from),
            "merged_from": dict(state.merged_from),
        }


def _activity_hours(events: Sequence[RecordedEvent], ledger: Any) -> Decimal:
    """Hours on the ledger that came from completed activities (as corrected since)."""
    from_activities = {
        e.data["entry_id"] for e in events
        if e.type == "HoursRecorded" and e.data.get("source") == "activity"
    }
    return sum((ledger[entry] for entry in from_activities if entry in ledger), Decimal(0))


def _adopted_activity_hours(adopted: Any) -> Decimal:
    """Hours of activities the merges in force handed over (kept on the duplicates'
    ledgers, counted on the survivor's)."""
    return sum((hours for entries in adopted.values() for hours, activity in entries.values()
                if activity), Decimal(0))


class TeamView(StreamView):
    collection = "team_view"
    stream_prefix = TEAM_PREFIX

    def document(self, events: Sequence[RecordedEvent]) -> dict[str, Any] | None:
        state = fold_team(events)
        if state is None:
            return None
        return {
            "team_id": events[0].aggregate_id,
            "name": state.name,
            "category": state.category,
            "county_code": state.county_code,
            "leader_id": state.leader_id,
            "description": state.description,
            "members": sorted(state.members),
            "member_count": len(state.members),
            # for the sweep that completes a move cut short (not shown: queries hide them)
            "moves_out": [[move, *to] for move, to in sorted(state.moves_out.items())],
            "moves_in": sorted(state.moves_in),
            "has_moves_out": bool(state.moves_out),
        }


class CertificateView(StreamView):
    """One document per certificate, keyed by its stream (the code): the verification."""

    collection = "certificate_view"
    stream_prefix = CERTIFICATE_PREFIX

    def document(self, events: Sequence[RecordedEvent]) -> dict[str, Any] | None:
        state = fold_certificate(events)
        if state is None:
            return None
        return {
            "code": events[0].aggregate_id,
            "volunteer_id": state.volunteer_id,
            "county_code": state.county_code,
            "total_hours": state.total_hours,
            "verified_hours": state.verified_hours,
            "star_level": state.star_level,
            "issued_on": state.issued_on,
            "issued_at": events[0].occurred_at.isoformat(),
            "issued_by": state.issued_by,
            "status": state.status,
            "revoked_on": state.revoked_on,
            "titles": [dict(t) for t in state.titles],
        }


VIEWS = (VolunteerView(), TeamView(), CertificateView(), TransferView(),
         *RECOGNITION_VIEWS)

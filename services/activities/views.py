"""Read models of the activities service: one document per activity and per wish."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contracts.activities.streams import ACTIVITY_PREFIX, WISH_PREFIX
from services.activities.domain.activity import replay as fold_activity
from services.activities.domain.wish import replay as fold_wish
from yinfa.events.envelope import RecordedEvent
from yinfa.projections import StreamView


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat()


class ActivityView(StreamView):
    collection = "activity_view"
    stream_prefix = ACTIVITY_PREFIX

    def document(self, events: Sequence[RecordedEvent]) -> dict[str, Any] | None:
        state = fold_activity(events)
        if state is None:
            return None
        details = state.details
        return {
            "activity_id": events[0].aggregate_id,
            "title": details.title,
            "theme": details.theme,
            "kind": details.kind,
            "organiser": details.organiser.as_data(),
            "county_code": details.county_code,
            "place": details.place,
            "starts_at": _iso(details.starts_at),
            "ends_at": _iso(details.ends_at),
            "capacity": details.capacity,
            "team_only": details.team_only,
            "team_id": details.team_id,
            "insurance_required": details.insurance_required,
            "status": state.status,
            "participants": list(state.participants),
            "waitlist": list(state.waitlist),
            "checked_in": sorted(state.attendance),
            "credited_hours": {v: str(h) for v, h in sorted(state.credited.items())},
            "total_hours": str(state.total_hours),
            "audience_reached": state.audience_reached,
            "beneficiaries": state.beneficiaries,
            "endorsed": state.endorsed,
        }


class WishView(StreamView):
    collection = "wish_view"
    stream_prefix = WISH_PREFIX

    def document(self, events: Sequence[RecordedEvent]) -> dict[str, Any] | None:
        state = fold_wish(events)
        if state is None:
            return None
        return {
            "wish_id": events[0].aggregate_id,
            "label": state.label,
            "county_code": state.county_code,
            "category": state.category,
            "posted_by": state.posted_by.as_data(),
            "posted_at": _iso(state.posted_at),
            "expires_at": _iso(state.expires_at),
            "status": state.status,
            "claimant": None if state.claimant is None else state.claimant.as_data(),
            "claimed_at": _iso(state.claimed_at),
            "fulfilled_at": _iso(state.fulfilled_at),
            "evidence": list(state.evidence),
            "confirmed_at": _iso(state.confirmed_at),
            "seconds_to_fulfil": state.seconds_to_fulfil,
        }


VIEWS = (ActivityView(), WishView())

"""Read models of model-volunteer campaigns and the talent pool: one document per
campaign (its nominations, and the volunteers awarded once announced), per talent
profile and per posted need. No personal data: the deeds stay sealed (`deeds.py`)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contracts.volunteers.streams import CAMPAIGN_PREFIX, NEED_PREFIX, TALENT_PREFIX
from services.volunteers.domain import nomination, talent
from yinfa.events.envelope import RecordedEvent
from yinfa.projections import StreamView


class CampaignView(StreamView):
    collection = "campaign_view"
    stream_prefix = CAMPAIGN_PREFIX

    def document(self, events: Sequence[RecordedEvent]) -> dict[str, Any] | None:
        state = nomination.replay(events)
        if state is None:
            return None
        title, _, year = events[0].aggregate_id.rpartition(":")
        nominations = [
            {"nomination_id": nid, "title": title, "year": int(year),
             "volunteer_id": n.volunteer_id, "county_code": n.county_code,
             "verified_hours": n.verified_hours, "star_level": n.star_level,
             "nominated_on": n.nominated_on, "status": n.status,
             "rejected_at": n.rejected_at, "reason_code": n.reason_code}
            for nid, n in state.nominations.items()]
        return {
            "title": title, "year": int(year), "announced_on": state.announced_on,
            "nominations": nominations,
            "nomination_ids": [n["nomination_id"] for n in nominations],
            "awarded": [n["volunteer_id"] for n in nominations
                        if n["status"] == nomination.ANNOUNCED],
        }


class TalentView(StreamView):
    collection = "talent_view"
    stream_prefix = TALENT_PREFIX

    def document(self, events: Sequence[RecordedEvent]) -> dict[str, Any] | None:
        state = talent.replay_profile(events)
        if state is None:
            return None
        return {"volunteer_id": events[0].aggregate_id,
                "specialities": list(state.specialities), "former_post": state.former_post,
                "availability": list(state.availability)}


class NeedView(StreamView):
    collection = "need_view"
    stream_prefix = NEED_PREFIX

    def document(self, events: Sequence[RecordedEvent]) -> dict[str, Any] | None:
        state = talent.replay_need(events)
        if state is None:
            return None
        return {"need_id": events[0].aggregate_id, "county_code": state.county_code,
                "skills": list(state.skills), "specialities": list(state.specialities),
                "availability": list(state.availability), "starts_on": state.starts_on,
                "ends_on": state.ends_on, "posted_by": state.posted_by,
                "posted_at": events[0].occurred_at.isoformat()}


RECOGNITION_VIEWS = (CampaignView(), TalentView(), NeedView())

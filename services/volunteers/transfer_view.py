"""The transfers read model: per volunteer, their latest transfer between counties and
where it stands, for each bureau's list of transfers to decide (by county and side) and
for finding a transfer by its id. A volunteer never transferred has no document."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contracts.volunteers import transfer_events as tev
from contracts.volunteers.streams import VOLUNTEER_PREFIX
from yinfa.events.envelope import RecordedEvent
from yinfa.projections import StreamView

PENDING = ("requested", "accepted")  # under way: the bureaus' work
OUTCOME = {
    tev.TRANSFER_ACCEPTED: "accepted",
    tev.TRANSFER_DECLINED: "declined",
    tev.TRANSFER_CANCELLED: "cancelled",
    tev.VOLUNTEER_TRANSFERRED: "released",
}


class TransferView(StreamView):
    collection = "transfer_view"
    stream_prefix = VOLUNTEER_PREFIX

    def document(self, events: Sequence[RecordedEvent]) -> dict[str, Any] | None:
        doc: dict[str, Any] | None = None
        for event in events:
            if event.type == tev.TRANSFER_REQUESTED:
                doc = _requested(event)
            elif doc is not None and event.type in OUTCOME and (
                    event.data["transfer_id"] == doc["transfer_id"]):
                doc.update(status=OUTCOME[event.type],
                           decided_at=event.occurred_at.isoformat(),
                           decline_reason_code=event.data.get("reason_code"),
                           cancelled_by=event.data.get("cancelled_by"),
                           effective_at=event.data.get("effective_at"))
        return doc


def _requested(event: RecordedEvent) -> dict[str, Any]:
    data = event.data
    return {"transfer_id": data["transfer_id"], "volunteer_id": event.aggregate_id,
            "from_county": data["from_county"], "to_county": data.get("to_county"),
            "to_city": data.get("to_city"), "reason_code": data["reason_code"],
            "status": "requested", "requested_at": event.occurred_at.isoformat(),
            "decided_at": None, "decline_reason_code": None, "cancelled_by": None,
            "effective_at": None}

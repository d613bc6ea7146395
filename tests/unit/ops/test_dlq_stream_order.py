"""`yinfa dlq retry` sends a stream's dead letters back in their versions' order."""
from __future__ import annotations

import json

from yinfa.ops.dlq import DeadLetter, in_stream_order


def letter(body: object) -> tuple[str, DeadLetter]:
    raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
    dead = DeadLetter(id=str(body), reason="apply failed", dead_lettered_at="2026-12-02",
                      original_queue="evt-volunteers-#--activities.on_volunteers_event",
                      headers={}, body=raw)
    return f"message {body}", dead


def event(stream: str, version: int) -> dict:
    return {"event_id": f"{stream}@{version}", "stream_id": stream, "version": version}


def test_a_stream_s_events_go_back_in_version_order_and_others_keep_their_places():
    taken = [letter(event("volunteer-a", 5)), letter(b"not json"),
             letter(event("volunteer-b", 2)), letter(event("volunteer-a", 3)),
             letter({"no": "event"}), letter(event("volunteer-a", 4))]

    ordered = [dead.payload for _, dead in in_stream_order(taken)]

    assert ordered == [event("volunteer-a", 3), "not json", event("volunteer-b", 2),
                       event("volunteer-a", 4), {"no": "event"}, event("volunteer-a", 5)]


def test_each_message_stays_with_its_letter():
    taken = [letter(event("s", 2)), letter(event("s", 1))]

    assert [(m, d.id) for m, d in in_stream_order(taken)] == [
        (taken[1][0], taken[1][1].id), (taken[0][0], taken[0][1].id)]

"""Demo transfers between counties (转移接续): in each county with enough volunteers
serving, one moves to the next county (asked, accepted, released, as the bureaus would,
here by the city), and in a few more one is asked for and waits for the receiving
bureau, so that the bureaus' transfer lists have work."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

Pipelined = Callable[[Any, Iterable[dict]], list[Any]]  # the loader's: many calls in flight

MOVES_FROM = 10  # a county with at least this many serving volunteers sends one
WAITING = 3  # counties where one more request waits


def transfer_some(service: Any, serving: dict[str, list[str]],
                  progress: Callable[[str], None], pipelined: Pipelined
                  ) -> dict[str, list[str]]:
    """Move a few volunteers; the serving volunteers by county after the moves."""
    counties = sorted(serving)
    moves = [(county, counties[(n + 1) % len(counties)], serving[county][-1])
             for n, county in enumerate(counties)
             if len(counties) > 1 and len(serving[county]) >= MOVES_FROM]
    asked = [(county, counties[(n + 2) % len(counties)], serving[county][-2])
             for n, county in enumerate(counties)
             if len(counties) > 2 and len(serving[county]) >= MOVES_FROM][:WAITING]
    ids = {vid: str(uuid.uuid5(uuid.NAMESPACE_URL, f"yinfa-demo-transfer:{vid}"))
           for _, _, vid in moves + asked}
    pipelined(service.request_transfer, (
        {"volunteer_id": vid, "transfer_id": ids[vid], "to_county": to,
         "reason_code": "moved_home"} for _, to, vid in moves + asked))
    for step in (service.accept_transfer, service.release_transfer):
        pipelined(step, ({"volunteer_id": vid, "transfer_id": ids[vid]}
                         for _, _, vid in moves))
    after = {county: list(vids) for county, vids in serving.items()}
    for county, to, vid in moves:
        after[county].remove(vid)
        after[to].append(vid)
    progress(f"{len(moves)} volunteers transferred to another county, "
             f"{len(asked)} transfers wait for the receiving bureau")
    return after

"""Load demo data through the services' own RPC commands, many calls in flight."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

from contracts.volunteers.catalog import load_volunteer_catalog
from demo import transfers_loader
from demo.people import DemoVolunteer

WINDOW = 32  # calls in flight: enough to keep every service worker busy


def pipelined(method: Any, payloads: Iterable[dict]) -> list[Any]:
    """Call an RPC method once per payload, WINDOW calls in flight; results in order."""
    results: list[Any] = []
    pending: list[Any] = []
    for payload in payloads:
        pending.append(method.call_async(payload))
        if len(pending) >= WINDOW:
            results.append(pending.pop(0).result())
    results.extend(reply.result() for reply in pending)
    return results


def load(rpc: Any, people: list[DemoVolunteer], teams: list[dict],
         progress: Callable[[str], None]) -> dict[str, list[str]]:
    """Load everything; return the ids of volunteers able to serve, by county."""
    service = rpc.volunteers
    shown = pipelined(service.register_volunteer, (p.registration for p in people))
    ids = [s["volunteer_id"] for s in shown]
    progress(f"registered {len(ids)} volunteers")

    pipelined(service.create_team, teams)
    progress(f"created {len(teams)} teams")

    chosen = [(vid, p) for vid, p in zip(ids, people, strict=True) if p.verify]
    pipelined(service.verify_volunteer, (
        {"volunteer_id": v, "county_code": p.registration["county_code"]} for v, p in chosen))
    progress(f"county bureaus verified {len(chosen)} volunteers")

    by_county: dict[str, list[dict]] = {}
    for team in teams:
        by_county.setdefault(team["county_code"], []).append(team)
    joins = [
        {"team_id": by_county[p.registration["county_code"]][i % 2]["team_id"],
         "volunteer_id": v}
        for i, (v, p) in enumerate(chosen)
    ]
    pipelined(service.join_team, joins)
    progress(f"{len(joins)} volunteers joined teams")

    sheets = list(_hour_sheets(chosen))
    answers = pipelined(service.record_hours_batch, sheets)
    entries = sum(len(s["entries"]) for s in sheets)
    progress(f"recorded {entries} ledger entries of service hours ({len(sheets)} sheets)")
    reached: dict[str, int] = {}  # the highest level an answer saw: the last sheet's
    for answer in answers:
        vid = answer["volunteer_id"]
        reached[vid] = max(reached.get(vid, 0), answer["star_level_reached"])
    approved = approve_star_levels(service, reached)
    progress(f"county and city bureaus approved {approved} star levels; a few wait")

    leaving = [(v, p) for v, p in zip(ids, people, strict=True) if p.withdraw]
    pipelined(service.withdraw_volunteer, (
        {"volunteer_id": v, "reason_code": "health", "note": "演示数据"} for v, _ in leaving))
    pausing = [(v, p) for v, p in zip(ids, people, strict=True) if p.suspend and not p.withdraw]
    pipelined(service.suspend_volunteer, (
        {"volunteer_id": v, "reason": "长期外出"} for v, _ in pausing))
    progress(f"{len(leaving)} withdrew, {len(pausing)} suspended")
    serving: dict[str, list[str]] = {}
    for volunteer_id, person in chosen:
        if not (person.withdraw or person.suspend):
            serving.setdefault(person.registration["county_code"], []).append(volunteer_id)
    return transfers_loader.transfer_some(service, serving, progress, pipelined)


def approve_star_levels(service: Any, reached: dict[str, int]) -> int:
    """Each level approved in turn by its authority, as bureaus would; every fourth
    volunteer's highest level is left pending, so that the bureaus' lists have work."""
    authority = load_volunteer_catalog().star_authority
    approved = 0
    for level in range(1, len(load_volunteer_catalog().star_levels) + 1):
        due = [vid for n, (vid, top) in enumerate(sorted(reached.items()))
               if level <= top - (n % 4 == 0)]
        pipelined(service.approve_star_level, ({
            "volunteer_id": vid, "level": level, "approver": authority(level),
            "note": "演示数据"} for vid in due))
        approved += len(due)
    return approved


def _hour_sheets(chosen: list[tuple[str, DemoVolunteer]]) -> Iterable[dict]:
    """Each volunteer's hours as one sheet per quarter, as a bureau would file them."""
    first_day = date(2026, 1, 5)
    for volunteer_id, person in chosen:
        quarters: dict[int, list[dict]] = {}
        for n, hours in enumerate(person.hours):
            served_on = first_day + timedelta(days=(n * 3) % 300)
            quarters.setdefault((served_on.month - 1) // 3, []).append({
                "entry_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo:{volunteer_id}:{n}")),
                "hours": hours,
                "served_on": served_on.isoformat(),
                "source": "bureau",
            })
        for entries in quarters.values():
            yield {"volunteer_id": volunteer_id, "entries": entries}

"""Load the activities season through the activities service's own commands."""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from demo.loader import pipelined
from demo.season import DemoActivity, DemoWish

DIRECTORY_WAIT = 60.0


def wait_for_directory(activities: Any, expected: int, progress: Callable[[str], None]) -> None:
    """Sign-ups need the volunteers' events to have reached the activities service."""
    deadline = time.monotonic() + DIRECTORY_WAIT
    while activities.directory_size() < expected:
        if time.monotonic() > deadline:
            raise TimeoutError("the activities service did not learn of every volunteer")
        time.sleep(0.2)
    progress(f"the activities service knows all {expected} volunteers")


def _at(moment: str, **delta: float) -> str:
    return (datetime.fromisoformat(moment) + timedelta(**delta)).isoformat()


def load_season(rpc: Any, season: list[DemoActivity], wishes: list[DemoWish],
                progress: Callable[[str], None]) -> None:
    service = rpc.activities
    shown = pipelined(service.publish_activity, (a.publication for a in season))
    ids = [s["activity_id"] for s in shown]
    pipelined(service.issue_check_in_code, (
        {"activity_id": aid, "code": a.code, "at": _at(a.publication["starts_at"], days=-2)}
        for aid, a in zip(ids, season, strict=True)))
    sign_ups = [{"activity_id": aid, "volunteer_id": v,
                 "at": _at(a.publication["starts_at"], days=-1)}
                for aid, a in zip(ids, season, strict=True) for v in a.sign_ups]
    for sign_up in sign_ups:  # one by one: the order decides who is waitlisted
        service.sign_up(sign_up)
    progress(f"published {len(ids)} activities, {len(sign_ups)} sign-ups")

    attendance = []
    for aid, a in zip(ids, season, strict=True):
        hours = _hours(a)
        for volunteer_id, share in a.attended.items():
            start = a.publication["starts_at"]
            attendance.append(("check_in", {"activity_id": aid, "volunteer_id": volunteer_id,
                                            "code": a.code, "at": start}))
            attendance.append(("check_out", {"activity_id": aid, "volunteer_id": volunteer_id,
                                             "code": a.code,
                                             "at": _at(start, hours=hours * share)}))
    pipelined(service.check_in, (p for kind, p in attendance if kind == "check_in"))
    pipelined(service.check_out, (p for kind, p in attendance if kind == "check_out"))
    completions = [{
        "activity_id": aid, "audience_reached": a.audience, "beneficiaries": a.audience // 4,
        "served": [{"volunteer_id": v, "hours": _hours(a)} for v in a.attended],
        "endorsed": a.endorsed, "outcome": "圆满完成",
    } for aid, a in zip(ids, season, strict=True)]
    pipelined(service.complete_activity, completions)
    progress(f"{len(completions)} activities completed, {len(attendance) // 2} check-ins")
    if wishes:  # a season of the city agencies has none: wishes are posted in the counties
        _load_wishes(service, wishes, progress)


def _hours(activity: DemoActivity) -> float:
    start = datetime.fromisoformat(activity.publication["starts_at"])
    end = datetime.fromisoformat(activity.publication["ends_at"])
    return float(Decimal((end - start).total_seconds() / 3600).quantize(Decimal("0.1")))


def _load_wishes(service: Any, wishes: list[DemoWish], progress: Callable[[str], None]) -> None:
    shown = pipelined(service.post_wish, (w.posting for w in wishes))
    helper = {"kind": "branch", "id": "branch-demo"}
    for wish, posted in zip(wishes, shown, strict=True):
        wid, at = posted["wish_id"], wish.posting["at"]
        if wish.ending in ("claimed", "fulfilled", "confirmed"):
            service.claim_wish({"wish_id": wid, "claimant": helper, "at": _at(at, days=1)})
        if wish.ending in ("fulfilled", "confirmed"):
            service.fulfil_wish({"wish_id": wid, "fulfilled_by": helper,
                                 "evidence": ["https://example.org/yinfa/wish-photo.jpg"],
                                 "at": _at(at, days=3)})
        if wish.ending == "confirmed":
            service.confirm_wish({"wish_id": wid, "confirmed_by": wish.posting["posted_by"],
                                  "at": _at(at, days=4)})
    expired = service.expire_due_wishes()
    progress(f"{len(wishes)} micro-wishes posted ({expired} expired)")

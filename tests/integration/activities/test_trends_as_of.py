"""A county's trends and wish funnel as of an instant: what the activities service had
recorded by then, folded again from its store (real broker and store)."""
from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from yinfa.errors import ValidationFailed

TINGHU = "320902"
COMMUNITY = {"kind": "community", "id": "community-wuxing"}
BRANCH = {"kind": "branch", "id": "branch-tinghu-1"}


def wish() -> dict:
    return {"client_request_id": str(uuid.uuid4()), "label": "王奶奶", "county_code": TINGHU,
            "category": "home_repair", "description": "厨房水管漏水，想请人修一修",
            "posted_by": COMMUNITY,
            "at": (datetime.now(UTC) - timedelta(days=3)).isoformat()}


def instant_between() -> str:
    """An instant after everything recorded so far and before anything recorded next."""
    time.sleep(0.05)
    moment = datetime.now(UTC)
    time.sleep(0.05)
    return moment.isoformat()


def steps(funnel: dict) -> dict[str, int]:
    return {step["step"]: step["count"] for step in funnel["steps"]}


def test_the_funnel_as_of_an_instant_counts_what_was_recorded_by_then(platform):
    _, activities = platform
    claimed = activities.post_wish(wish())["wish_id"]
    activities.claim_wish({"wish_id": claimed, "claimant": BRANCH})
    then = instant_between()
    activities.fulfil_wish({"wish_id": claimed, "fulfilled_by": BRANCH,
                            "evidence": ["https://example.org/repair.jpg"]})
    activities.confirm_wish({"wish_id": claimed, "confirmed_by": COMMUNITY})
    activities.post_wish(wish())

    live = activities.wish_funnel(TINGHU)
    earlier = activities.wish_funnel(TINGHU, as_of=then)
    assert (live["as_of"], earlier["as_of"]) == (None, then)
    assert steps(live) == {"posted": 2, "claimed": 1, "fulfilled": 1, "confirmed": 1}
    assert live["median_hours_to_fulfil"] is not None
    assert steps(earlier) == {"posted": 1, "claimed": 1, "fulfilled": 0, "confirmed": 0}
    assert earlier["median_hours_to_fulfil"] is None
    # as of now: the same as live, folded from the store rather than read from the view
    now = activities.wish_funnel(TINGHU, as_of=instant_between())
    assert {**now, "as_of": None} == live


def test_trends_as_of_an_instant_leave_out_an_activity_completed_later(
        platform, verified_volunteer, past_activity, times):
    _, activities = platform
    volunteer = verified_volunteer()
    aid = activities.publish_activity(past_activity())["activity_id"]
    code = {"activity_id": aid, "code": "HONGSE2026"}
    activities.issue_check_in_code({**code, "at": times["sign_up"]})
    activities.sign_up({"activity_id": aid, "volunteer_id": volunteer, "at": times["sign_up"]})
    activities.check_in({**code, "volunteer_id": volunteer, "at": times["check_in"]})
    activities.check_out({**code, "volunteer_id": volunteer, "at": times["check_out"]})
    before_completion = instant_between()
    activities.complete_activity({"activity_id": aid, "audience_reached": 80,
                                  "served": [{"volunteer_id": volunteer, "hours": 2}]})
    completed = instant_between()
    activities.correct_completion({"activity_id": aid, "reason": "早退半小时",
                                   "corrections": [{"volunteer_id": volunteer, "hours": "1.5"}]})

    live = activities.county_trends(TINGHU)
    (month,) = live["months"]
    assert (month["by_theme"], Decimal(month["hours"]), month["audience"]) == (
        {"party_story": 1}, Decimal("1.5"), 80)
    assert activities.county_trends(TINGHU, as_of=before_completion)["months"] == []
    (then,) = activities.county_trends(TINGHU, as_of=completed)["months"]
    assert (then["month"], Decimal(then["hours"])) == (month["month"], Decimal(2))
    assert activities.county_trends(TINGHU, as_of=completed)["themes"] == live["themes"]


@pytest.mark.parametrize("as_of", ["yesterday", "2026-13-01T00:00:00+00:00"])
def test_an_as_of_that_is_not_an_instant_is_refused_by_name(platform, as_of):
    _, activities = platform
    with pytest.raises(ValidationFailed) as refused:
        activities.wish_funnel(TINGHU, as_of=as_of)
    assert set(refused.value.errors) == {"as_of"}

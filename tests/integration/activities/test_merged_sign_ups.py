"""A sign-up on two records of one person keeps one: once the volunteers service merges
the duplicate into its survivor, the duplicate's sign-up of an activity both signed up
for is withdrawn (its place freed for the waitlist); a sign-up of the duplicate alone
stays, and the duplicate takes no new one."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from yinfa.errors import DomainRuleViolated


def tomorrow(past_activity, capacity: int) -> dict:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    return past_activity(capacity=capacity, starts_at=start.isoformat(),
                         ends_at=(start + timedelta(hours=2)).isoformat())


def test_a_sign_up_on_both_records_keeps_one(platform, verified_volunteer, past_activity,
                                             eventually):
    volunteers, activities = platform
    survivor, duplicate, waiting = (verified_volunteer() for _ in range(3))
    both = activities.publish_activity(tomorrow(past_activity, 2))["activity_id"]
    alone = activities.publish_activity(tomorrow(past_activity, 5))["activity_id"]
    for volunteer_id in (survivor, duplicate, waiting):  # the third waits for a place
        activities.sign_up({"activity_id": both, "volunteer_id": volunteer_id})
    activities.sign_up({"activity_id": alone, "volunteer_id": duplicate})

    person = volunteers.get_volunteer(survivor, True)["id_number"]  # both are verified
    volunteers.merge_volunteers({"volunteer_id": survivor, "duplicate_id": duplicate,
                                 "reason": "同一人重复登记", "id_number": person})

    def participants():
        shown = activities.get_activity(both)
        return shown["participants"], shown["waitlist"]

    assert eventually(lambda: participants() == ([survivor, waiting], []))
    assert activities.get_activity(alone)["participants"] == [duplicate]
    later = activities.publish_activity(tomorrow(past_activity, 5))["activity_id"]
    with pytest.raises(DomainRuleViolated, match="withdrawn"):  # it serves no more
        activities.sign_up({"activity_id": later, "volunteer_id": duplicate})

"""Activities over real RabbitMQ, with the volunteers service beside it."""
from __future__ import annotations

from datetime import date

import pytest

from contracts.volunteers.id_number import make_id_number
from yinfa.errors import DomainRuleViolated, NotFound


def serve(activities, volunteer_id, activity_id, times, code="HONGSE2026"):
    activities.sign_up({"activity_id": activity_id, "volunteer_id": volunteer_id,
                        "at": times["sign_up"]})
    activities.check_in({"activity_id": activity_id, "volunteer_id": volunteer_id,
                         "code": code, "at": times["check_in"]})
    activities.check_out({"activity_id": activity_id, "volunteer_id": volunteer_id,
                          "code": code, "at": times["check_out"]})


def test_completion_feeds_the_ledger_and_the_star_level_once(
    platform, verified_volunteer, eventually, times, mongo_client, mongo_db, past_activity
):
    volunteers, activities = platform
    vid = verified_volunteer()
    volunteers.record_hours_batch({"volunteer_id": vid, "entries": [
        {"entry_id": f"2222222{n}-2222-4222-8222-222222222222", "hours": hours,
         "served_on": f"2026-02-1{n}", "source": "bureau"}
        for n, hours in enumerate([24, 24, 24, 24, 2])]})
    assert volunteers.get_volunteer(vid)["star_level_reached"] == 0  # 98 h: 2 short of 1★

    aid = activities.publish_activity(past_activity())["activity_id"]
    activities.issue_check_in_code({"activity_id": aid, "code": "HONGSE2026",
                                    "at": times["sign_up"]})
    serve(activities, vid, aid, times)
    done = activities.complete_activity({"activity_id": aid, "audience_reached": 120,
                                         "served": [{"volunteer_id": vid, "hours": 2}]})
    assert done["status"] == "completed"
    eventually(lambda: volunteers.get_volunteer(vid)["star_level_reached"] == 1)
    assert volunteers.get_volunteer(vid)["total_hours"] == "100.0"

    activities.correct_completion({"activity_id": aid, "reason": "签到表核对后更正",
                                   "corrections": [{"volunteer_id": vid, "hours": 1.5}]})
    eventually(lambda: volunteers.get_volunteer(vid)["total_hours"] == "99.5")
    assert volunteers.get_volunteer(vid)["star_level_reached"] == 0

    # as if the relay had crashed before marking anything: every event goes out again
    published = activities.health()["published"]
    duplicates_before = volunteers.health()["inbox"].get("duplicate", 0)
    mongo_client[f"{mongo_db.name}_activities"]["relay_checkpoints"].delete_many({})
    activities.publish_activity(past_activity(title="再发一次"))  # wakes the relay
    eventually(lambda: volunteers.health()["inbox"].get("duplicate", 0)
               >= duplicates_before + published)

    shown = volunteers.get_volunteer(vid)
    assert (shown["total_hours"], shown["star_level_reached"]) == ("99.5", 0)


def test_signing_up_past_capacity_waitlists_and_a_withdrawal_promotes(
    platform, verified_volunteer, times, past_activity
):
    _, activities = platform
    first, second = verified_volunteer(), verified_volunteer()
    aid = activities.publish_activity(past_activity(capacity=1))["activity_id"]

    activities.sign_up({"activity_id": aid, "volunteer_id": first, "at": times["sign_up"]})
    shown = activities.sign_up({"activity_id": aid, "volunteer_id": second,
                                "at": times["sign_up"]})
    assert shown["participants"] == [first] and shown["waitlist"] == [second]

    shown = activities.withdraw_sign_up({"activity_id": aid, "volunteer_id": first})
    assert shown["participants"] == [second] and shown["waitlist"] == []


def test_an_unknown_volunteer_cannot_sign_up(platform, times, past_activity):
    _, activities = platform
    aid = activities.publish_activity(past_activity())["activity_id"]

    with pytest.raises(NotFound) as refused:
        activities.sign_up({"activity_id": aid, "at": times["sign_up"],
                            "volunteer_id": "00000000-0000-4000-8000-000000000001"})

    assert refused.value.field == "volunteer_id"
    assert activities.get_activity(aid)["participants"] == []


def test_a_registered_but_unverified_volunteer_cannot_sign_up(
    platform, eventually, times, past_activity
):
    volunteers, activities = platform
    vid = volunteers.register_volunteer({
        "name": "赵桂英", "gender": "女", "birth_year": 1958,
        "id_number": make_id_number("320902", date(1958, 9, 9), 22),
        "phone": "13700001111", "county_code": "320902", "retirement_status": "退休",
    })["volunteer_id"]
    aid = activities.publish_activity(past_activity())["activity_id"]

    def refusal():
        try:
            activities.sign_up({"activity_id": aid, "volunteer_id": vid,
                                "at": times["sign_up"]})
        except NotFound:
            return None  # the activities service has not heard of her yet
        except DomainRuleViolated as error:
            return error
        raise AssertionError("an unverified volunteer was signed up")

    assert eventually(refusal).field == "volunteer_id"
    assert activities.get_activity(aid)["participants"] == []


def test_checking_in_with_a_wrong_code_is_refused(
    platform, verified_volunteer, times, past_activity
):
    _, activities = platform
    vid = verified_volunteer()
    aid = activities.publish_activity(past_activity())["activity_id"]
    activities.issue_check_in_code({"activity_id": aid, "code": "HONGSE2026",
                                    "at": times["sign_up"]})
    activities.sign_up({"activity_id": aid, "volunteer_id": vid, "at": times["sign_up"]})

    with pytest.raises(DomainRuleViolated):
        activities.check_in({"activity_id": aid, "volunteer_id": vid, "code": "WRONG000",
                             "at": times["check_in"]})
    assert activities.get_activity(aid)["checked_in"] == []


def test_publishing_the_same_request_twice_creates_one_activity(platform, past_activity):
    _, activities = platform
    payload = past_activity()

    first = activities.publish_activity(payload)
    again = activities.publish_activity(payload)

    assert first == again
    assert activities.list_activities()["total"] == 1 + _probes(activities)


def _probes(activities) -> int:
    return sum(1 for a in activities.list_activities(limit=500)["items"] if a["title"] == "探针")

"""Merging two records of one person over the real broker and store: the survivor counts
both ledgers (each activity once) and both teams, the retired record's id, number and
later credits lead to the survivor, two admins merging at once get one merge and one
conflict, and an undo within the window gives both records back."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from contracts.volunteers.id_number import make_id_number
from yinfa.config import settings
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound, ValidationFailed

TINGHU = "320902"
BORN = date(1956, 3, 8)  # the conftest's registrations
REASON = "同一人重复登记"


def hours(volunteers, vid, amount, activity=None):
    return volunteers.record_hours({
        "volunteer_id": vid, "entry_id": str(uuid.uuid4()), "hours": amount,
        "served_on": "2026-05-04", "source": "activity" if activity else "bureau",
        "activity_id": activity})


def verified(volunteers, payload):
    vid = volunteers.register_volunteer(payload)["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})
    return vid


def team(volunteers, name, *members):
    team_id = volunteers.create_team({"name": name, "category": "theory_outreach",
                                      "county_code": TINGHU})["team_id"]
    for member in members:
        volunteers.join_team({"team_id": team_id, "volunteer_id": member})
    return team_id


@pytest.fixture
def pair(volunteers, registration):
    """王建国's record (verified) and the second one his mistyped number made."""
    survivor = verified(volunteers, registration(seq=41))
    mistyped = registration(seq=41, id_number=make_id_number(TINGHU, BORN, 999))
    duplicate = volunteers.register_volunteer(mistyped)["volunteer_id"]
    return survivor, duplicate, mistyped["id_number"]


def test_a_merge_combines_ledgers_and_teams_and_counts_an_activity_once(volunteers, pair):
    survivor, duplicate, number = pair
    talk = str(uuid.uuid4())
    hours(volunteers, survivor, "4", talk)
    hours(volunteers, duplicate, "4", talk)  # the same talk, credited to both records
    hours(volunteers, duplicate, "6")
    both = team(volunteers, "亭湖区银发红色宣讲团", survivor, duplicate)
    his = team(volunteers, "亭湖区银发调解队", duplicate)
    before = {row["county_code"]: row for row in volunteers.county_summary()}[TINGHU]

    outcome = volunteers.merge_volunteers({"volunteer_id": survivor,
                                           "duplicate_id": duplicate, "reason": REASON})

    assert (outcome["entries_moved"], outcome["entries_counted_once"]) == (1, 1)
    shown = volunteers.get_volunteer(survivor)
    assert shown["total_hours"] == "10.0" and sorted(shown["teams"]) == sorted([both, his])
    members = {t["team_id"]: t["members"] for t in volunteers.list_teams(TINGHU)}
    assert members[his] == [survivor]
    assert members[both] == [survivor]  # one membership, not two
    # the retired record leads to the survivor: by its id and by its number
    assert volunteers.get_volunteer(duplicate)["volunteer_id"] == survivor
    assert volunteers.find_volunteer(number)["volunteer_id"] == survivor
    after = {row["county_code"]: row for row in volunteers.county_summary()}[TINGHU]
    assert after["volunteers"] == before["volunteers"] - 1  # a pair is one person
    assert Decimal(after["hours"]) == Decimal(before["hours"]) - 4  # the talk once
    assert Decimal(after["activity_hours"]) == Decimal(before["activity_hours"]) - 4
    assert duplicate not in [v["volunteer_id"] for v in volunteers.list_volunteers(
        county_code=TINGHU, limit=500)["items"]]
    events = str(volunteers.stream_events(f"volunteer-{duplicate}")) + str(
        volunteers.stream_events(f"volunteer-{survivor}"))
    assert number not in events and "王建国" not in events  # ids, hours, days only


def test_later_credits_of_the_retired_record_reach_the_survivor_once(volunteers, pair):
    survivor, duplicate, _ = pair
    talk = str(uuid.uuid4())
    hours(volunteers, duplicate, "3", talk)
    volunteers.merge_volunteers({"volunteer_id": survivor, "duplicate_id": duplicate,
                                 "reason": REASON})

    shown = hours(volunteers, duplicate, "2")  # a bureau's sheet still naming the duplicate
    assert shown["volunteer_id"] == survivor and shown["total_hours"] == "5.0"
    with pytest.raises(AlreadyExists):  # the talk again, for either record: counted once
        hours(volunteers, survivor, "3", talk)
    assert volunteers.get_volunteer(survivor)["total_hours"] == "5.0"


def test_an_undo_gives_both_records_back_and_keeps_the_survivors_later_hours(volunteers,
                                                                             pair):
    survivor, duplicate, number = pair
    hours(volunteers, duplicate, "6")
    his = team(volunteers, "亭湖区银发调解队", duplicate)
    merge_id = volunteers.merge_volunteers({"volunteer_id": survivor,
                                            "duplicate_id": duplicate,
                                            "reason": REASON})["merge_id"]
    assert volunteers.get_merge(merge_id)["duplicate_id"] == duplicate
    hours(volunteers, survivor, "2")  # after the merge: the survivor's own

    undone = volunteers.undo_merge({"merge_id": merge_id, "reason": "两人同名，合并有误"})

    assert undone == {"merge_id": merge_id, "survivor_id": survivor,
                      "duplicate_id": duplicate, "undone": True}
    back = volunteers.get_volunteer(duplicate)
    assert (back["volunteer_id"], back["status"], back["total_hours"]) == (
        duplicate, "registered", "6.0")
    assert back["teams"] == [his]
    assert volunteers.get_volunteer(survivor)["total_hours"] == "2.0"
    assert volunteers.find_volunteer(number)["volunteer_id"] == duplicate
    with pytest.raises(NotFound):  # undone once
        volunteers.undo_merge({"merge_id": merge_id, "reason": "再撤销"})


def test_an_undo_after_the_window_is_refused(volunteers, pair, monkeypatch):
    survivor, duplicate, _ = pair
    merge_id = volunteers.merge_volunteers({"volunteer_id": survivor,
                                            "duplicate_id": duplicate,
                                            "reason": REASON})["merge_id"]
    monkeypatch.setenv("YINFA_MERGE_UNDO_DAYS", "0")  # the service runs in this process
    settings.cache_clear()
    try:
        with pytest.raises(DomainRuleViolated, match="within 0 days"):
            volunteers.undo_merge({"merge_id": merge_id, "reason": "太晚了"})
    finally:
        monkeypatch.delenv("YINFA_MERGE_UNDO_DAYS")
        settings.cache_clear()
    assert volunteers.get_volunteer(duplicate)["volunteer_id"] == survivor


def test_two_admins_merging_one_record_at_once_get_one_merge(volunteers, registration,
                                                             pair, at_once):
    survivor, duplicate, _ = pair
    another = volunteers.register_volunteer(registration(seq=43))["volunteer_id"]

    answers = at_once("merge_volunteers",
                      {"volunteer_id": survivor, "duplicate_id": duplicate, "reason": REASON},
                      {"volunteer_id": another, "duplicate_id": duplicate, "reason": REASON})

    merged = [a for a in answers if isinstance(a, dict)]
    refused = [a for a in answers if not isinstance(a, dict)]
    assert len(merged) == 1 and len(refused) == 1
    assert refused[0].code in ("rule_violated", "concurrency_conflict")  # both a 409
    into = merged[0]["survivor_id"]
    assert volunteers.get_volunteer(duplicate)["volunteer_id"] == into


def test_refusals_change_nothing(volunteers, registration, pair, mongo_db):
    survivor, duplicate, _ = pair
    other = verified(volunteers, registration(seq=45))  # another person, verified
    volunteers.verify_volunteer({"volunteer_id": duplicate, "county_code": TINGHU})
    commits = mongo_db["commits"].count_documents({})

    with pytest.raises(ValidationFailed):
        volunteers.merge_volunteers({"volunteer_id": survivor, "duplicate_id": survivor,
                                     "reason": REASON})
    with pytest.raises(DomainRuleViolated, match="two people"):
        volunteers.merge_volunteers({"volunteer_id": survivor, "duplicate_id": other,
                                     "reason": REASON})
    with pytest.raises(NotFound):
        volunteers.merge_volunteers({"volunteer_id": survivor,
                                     "duplicate_id": str(uuid.uuid4()), "reason": REASON})
    volunteers.withdraw_volunteer({"volunteer_id": other, "reason_code": "deceased"})
    with pytest.raises(DomainRuleViolated, match="deceased"):
        volunteers.merge_volunteers({"volunteer_id": survivor, "duplicate_id": other,
                                     "reason": REASON})
    assert mongo_db["commits"].count_documents({}) == commits + 1  # the withdrawal only


def test_a_correction_that_names_another_record_leads_to_its_merge(volunteers,
                                                                   registration):
    owner_payload = registration(seq=47)
    owner = verified(volunteers, owner_payload)
    mistyped = verified(volunteers, registration(
        seq=47, id_number=make_id_number(TINGHU, BORN, 995)))

    with pytest.raises(AlreadyExists, match="merge") as refused:
        volunteers.correct_record({"volunteer_id": mistyped,
                                   "id_number": owner_payload["id_number"],
                                   "reason": "身份证号录入错误", "authority": "id_card"})
    assert refused.value.context["merge_with"] == owner
    assert refused.value.context["duplicate_id"] == mistyped
    with pytest.raises(DomainRuleViolated, match="two people"):  # both verified, differ
        volunteers.merge_volunteers({"volunteer_id": owner, "duplicate_id": mistyped,
                                     "reason": REASON})

    outcome = volunteers.merge_volunteers({
        "volunteer_id": owner, "duplicate_id": mistyped, "reason": REASON,
        "id_number": owner_payload["id_number"]})  # as the correction named it

    assert outcome["survivor_id"] == owner
    assert volunteers.get_volunteer(mistyped)["volunteer_id"] == owner


def test_the_directory_replica_reads_a_merged_record_as_serving_no_more(
        directory, volunteers, pair, eventually):
    survivor, duplicate, _ = pair
    assert eventually(lambda: directory.status(duplicate) == "registered")

    merge_id = volunteers.merge_volunteers({"volunteer_id": survivor,
                                            "duplicate_id": duplicate,
                                            "reason": REASON})["merge_id"]

    # activities take no sign-up of it; its survivor signs up in its place
    assert eventually(lambda: directory.status(duplicate) == "withdrawn")
    assert directory.status(survivor) == "verified"
    volunteers.undo_merge({"merge_id": merge_id, "reason": "合并有误"})
    assert eventually(lambda: directory.status(duplicate) == "registered")


def test_a_correction_of_an_entry_the_survivor_took_over_is_followed(volunteers, pair):
    survivor, duplicate, _ = pair
    entry = {"entry_id": str(uuid.uuid4()), "hours": "6", "served_on": "2026-05-04",
             "source": "bureau"}
    volunteers.record_hours({"volunteer_id": duplicate, **entry})
    volunteers.merge_volunteers({"volunteer_id": survivor, "duplicate_id": duplicate,
                                 "reason": REASON})
    fix = {"entry_id": entry["entry_id"], "reason": "签到表核对"}

    # addressed to the retired record (a completion corrected) or to its survivor
    shown = volunteers.correct_hours({"volunteer_id": duplicate, "hours": "5", **fix})
    assert shown["volunteer_id"] == survivor and shown["total_hours"] == "5.0"
    shown = volunteers.correct_hours({"volunteer_id": survivor, "hours": "4", **fix})
    assert shown["total_hours"] == "4.0"
    kept = volunteers.stream_events(f"volunteer-{duplicate}")
    assert [e["data"]["hours"] for e in kept if e["type"] == "HoursCorrected"] == ["5.0", "4.0"]


def test_erasing_the_survivor_erases_the_records_merged_into_it(volunteers, pair):
    survivor, duplicate, number = pair
    volunteers.merge_volunteers({"volunteer_id": survivor, "duplicate_id": duplicate,
                                 "reason": REASON})
    with pytest.raises(DomainRuleViolated, match="merged into another"):  # its hours
        volunteers.issue_certificate({"volunteer_id": duplicate, "issued_by": "county_admin"})

    volunteers.erase_volunteer({"volunteer_id": survivor})

    assert volunteers.names_of([survivor, duplicate]) == {survivor: "已注销",
                                                          duplicate: "已注销"}
    assert volunteers.volunteers_without_personal_data() == []


def test_activity_hours_handed_over_count_on_the_survivor(volunteers, pair):
    survivor, duplicate, _ = pair
    hours(volunteers, duplicate, "3", str(uuid.uuid4()))
    volunteers.merge_volunteers({"volunteer_id": survivor, "duplicate_id": duplicate,
                                 "reason": REASON})
    assert volunteers.get_volunteer(survivor)["activity_hours"] == "3.0"


def test_a_star_level_the_combined_hours_reach_waits_for_its_approval(volunteers, pair):
    survivor, duplicate, _ = pair
    volunteers.record_hours_batch({"volunteer_id": survivor, "entries": [
        {"entry_id": str(uuid.uuid4()), "hours": "20", "served_on": f"2026-04-0{n + 1}",
         "source": "bureau"} for n in range(3)]})  # 60 h: no star yet
    volunteers.record_hours_batch({"volunteer_id": duplicate, "entries": [
        {"entry_id": str(uuid.uuid4()), "hours": "20", "served_on": f"2026-05-0{n + 1}",
         "source": "bureau"} for n in range(2)]})  # 40 h more: 100 h, the first star

    volunteers.merge_volunteers({"volunteer_id": survivor, "duplicate_id": duplicate,
                                 "reason": REASON})

    shown = volunteers.get_volunteer(survivor)
    assert (shown["star_level"], shown["star_level_pending"]) == (0, 1)
    pending = volunteers.pending_star_levels([1, 2, 3], TINGHU)["items"]
    assert [v["volunteer_id"] for v in pending] == [survivor]
    approved = volunteers.approve_star_level({"volunteer_id": survivor, "level": 1,
                                              "approver": "county"})
    assert approved["star_level"] == 1

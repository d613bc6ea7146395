"""Return after withdrawal over real RabbitMQ and the real store: the same record comes
back with its hours and stars, the consumers' replicas follow, and of two bureaus
returning the same person at once one wins and the other is refused."""
from __future__ import annotations

import pytest

from yinfa.errors import AlreadyExists, DomainRuleViolated, ValidationFailed

TINGHU = "320902"


def active_volunteer(volunteers, registration) -> str:
    vid = volunteers.register_volunteer(registration())["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})
    for n in range(6):  # 120 hours: one star
        volunteers.record_hours({
            "volunteer_id": vid, "entry_id": f"00000000-0000-4000-8000-00000000001{n}",
            "hours": 20, "served_on": f"2026-10-0{n + 1}", "source": "bureau"})
    return vid


def test_a_returned_volunteer_keeps_their_record_and_the_replica_follows(
        volunteers, registration, directory, eventually):
    vid = active_volunteer(volunteers, registration)
    before = volunteers.get_volunteer(vid)
    volunteers.withdraw_volunteer({"volunteer_id": vid, "reason_code": "moved_away"})
    assert eventually(lambda: directory.status(vid) == "withdrawn")

    back = volunteers.return_volunteer({"volunteer_id": vid, "reason": "回盐城定居，本人申请"})

    unchanged = ("status", "verified", "total_hours", "verified_hours", "star_level",
                 "star_level_reached", "star_level_pending", "name", "registered_at",
                 "county_code")
    assert {k: back[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert back["status"] == "active" and back["star_level_reached"] == 1
    assert back["version"] == before["version"] + 2
    assert eventually(lambda: directory.status(vid) == "verified")


def test_a_withdrawn_person_registering_again_is_told_of_the_return(volunteers,
                                                                   registration):
    vid = volunteers.register_volunteer(registration())["volunteer_id"]
    volunteers.withdraw_volunteer({"volunteer_id": vid, "reason_code": "own_request"})

    with pytest.raises(AlreadyExists, match="return"):
        volunteers.register_volunteer(registration())


def test_a_deceased_volunteer_cannot_return_and_nothing_is_recorded(volunteers,
                                                                    registration, mongo_db):
    vid = volunteers.register_volunteer(registration())["volunteer_id"]
    volunteers.withdraw_volunteer({"volunteer_id": vid, "reason_code": "deceased"})
    commits = mongo_db["commits"].count_documents({})

    with pytest.raises(DomainRuleViolated, match="death"):
        volunteers.return_volunteer({"volunteer_id": vid, "reason": "误录"})
    with pytest.raises(ValidationFailed) as refused:
        volunteers.return_volunteer({"volunteer_id": vid, "reason": "  "})

    assert "reason" in refused.value.errors
    assert mongo_db["commits"].count_documents({}) == commits
    assert volunteers.get_volunteer(vid)["status"] == "withdrawn"


def test_of_two_bureaus_returning_one_person_at_once_one_wins(volunteers, registration,
                                                               at_once):
    vid = volunteers.register_volunteer(registration())["volunteer_id"]
    volunteers.withdraw_volunteer({"volunteer_id": vid, "reason_code": "health"})

    outcomes = at_once("return_volunteer", *[{"volunteer_id": vid, "reason": "身体康复"}] * 2)

    refused = [o for o in outcomes if isinstance(o, DomainRuleViolated)]
    assert len(refused) == 1 and "only a withdrawn" in str(refused[0])
    assert volunteers.get_volunteer(vid)["status"] == "registered"
    history = [e["type"] for e in volunteers.stream_events(f"volunteer-{vid}")]
    assert history.count("VolunteerReturned") == 1

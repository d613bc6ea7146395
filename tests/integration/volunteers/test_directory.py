"""The volunteer directory replica, fed by the volunteers service's real events."""
from __future__ import annotations

import pytest

from services.volunteers.directory import KnowsVolunteers, VolunteerDirectory
from yinfa.messaging.inbox import Inbox
from yinfa.service.dependencies import InboxProvider

TINGHU = "320902"


class DirectoryKeeper(KnowsVolunteers):
    """A stand-in consumer service holding the replica, as branches and activities do."""

    name = "directory_keeper"
    inbox: Inbox = InboxProvider()


@pytest.fixture
def directory(container_factory, service_config, mongo_db):
    keeper = dict(service_config, DB_NAME=mongo_db.name + "_keeper")
    container_factory(DirectoryKeeper, keeper).start()
    return VolunteerDirectory(mongo_db.client[keeper["DB_NAME"]])


def test_the_replica_follows_a_volunteer_through_verification_and_withdrawal(
    directory, volunteers, registration, eventually
):
    vid = volunteers.register_volunteer(registration())["volunteer_id"]
    assert eventually(lambda: directory.status(vid) == "registered")
    assert directory.county_of(vid) == TINGHU

    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})
    assert eventually(lambda: directory.status(vid) == "verified")

    volunteers.suspend_volunteer({"volunteer_id": vid, "reason": "住院"})
    assert eventually(lambda: directory.status(vid) == "suspended")
    volunteers.reinstate_volunteer({"volunteer_id": vid})
    assert eventually(lambda: directory.status(vid) == "verified")

    volunteers.withdraw_volunteer({"volunteer_id": vid, "reason_code": "deceased"})
    assert eventually(lambda: directory.status(vid) == "withdrawn")


def test_the_replica_knows_team_memberships(directory, volunteers, registration, eventually):
    vid = volunteers.register_volunteer(registration())["volunteer_id"]
    team = volunteers.create_team({"name": "亭湖义诊队", "category": "health_care",
                                   "county_code": TINGHU})
    volunteers.join_team({"team_id": team["team_id"], "volunteer_id": vid})
    assert eventually(lambda: directory.teams_of(vid) == {team["team_id"]})

    volunteers.leave_team({"team_id": team["team_id"], "volunteer_id": vid})
    assert eventually(lambda: directory.teams_of(vid) == set())


def test_an_unknown_volunteer_has_no_status(directory):
    assert directory.status("00000000-0000-4000-8000-000000000000") is None


def test_a_burst_of_events_reaches_the_replica_with_each_volunteers_facts_in_order(
    directory, volunteers, registration, eventually
):
    vids = [volunteers.register_volunteer(registration(seq))["volunteer_id"]
            for seq in range(1, 25)]
    for vid in vids:
        volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})
    for vid in vids[::3]:
        volunteers.suspend_volunteer({"volunteer_id": vid, "reason": "住院"})
    for vid in vids[::6]:  # suspended, then reinstated: order decides
        volunteers.reinstate_volunteer({"volunteer_id": vid})

    expected = {vid: "suspended" if n % 3 == 0 and n % 6 else "verified"
                for n, vid in enumerate(vids)}
    assert eventually(lambda: {vid: directory.status(vid) for vid in vids} == expected)

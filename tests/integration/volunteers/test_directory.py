"""The activities service's volunteer directory replica, fed by the volunteers
service's real events, and its batched writes on the real store."""
from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

import pytest

from services.activities.directory import (
    COLLECTION,
    VOLUNTEER_DIRECTORY,
    WANTED,
    DirectoryWrites,
    VolunteerDirectory,
)
from yinfa.events.envelope import RecordedEvent
from yinfa.messaging.dead_letters import DeadLetters
from yinfa.messaging.inbox import Inbox
from yinfa.store.new_documents import SEPARATE_INSERT_FROM

TINGHU = "320902"


def test_the_replica_follows_a_volunteer_through_verification_and_withdrawal(
    directory, volunteers, registration, eventually
):
    vid = volunteers.register_volunteer(registration())["volunteer_id"]
    assert eventually(lambda: directory.status(vid) == "registered")
    assert county_in(directory, vid) == TINGHU

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


# ---- the batched writes on the store ------------------------------------------------------

POSITIONS = itertools.count(1)


def volunteers_event(vid: str, event_type: str, version: int, **data) -> RecordedEvent:
    now = datetime.now(UTC)
    return RecordedEvent(str(uuid.uuid4()), event_type, 1, f"volunteer-{vid}", version,
                         next(POSITIONS), now, now, str(uuid.uuid4()), None,
                         "county:320902", data)


def registered(vid: str) -> RecordedEvent:
    return volunteers_event(vid, "VolunteerRegistered", 1, county_code=TINGHU, name="王建国")


def new_ids(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


@pytest.fixture
def directory_inbox(amqp_uri):
    """The replica's inbox on a given database, as the keeper service lays it out."""
    opened: list[DeadLetters] = []

    def make(db) -> Inbox:
        opened.append(DeadLetters(amqp_uri))
        # as the directory keeper of conftest.py consumes
        return Inbox(db, "directory_keeper", opened[-1], layout=VOLUNTEER_DIRECTORY)

    yield make
    for dead_letters in opened:
        dead_letters.close()


def delivered(inbox: Inbox, *events: RecordedEvent) -> list[str]:
    """The events handed to the keeper's handler as one delivered batch."""
    writes = DirectoryWrites(inbox.db)
    return inbox.handle([e.to_message() for e in events], writes.add,
                        WANTED.__contains__, flush=writes.flush)


# more than the inbox's threshold for inserting new cursors apart from moving known ones
@pytest.mark.parametrize("volunteers_in_batch", [1, SEPARATE_INSERT_FROM + 2])
def test_a_batch_of_new_and_known_volunteers_leaves_each_ones_facts_in_order(
    mongo_db, directory_inbox, volunteers_in_batch
):
    inbox = directory_inbox(mongo_db)
    known, new = new_ids(volunteers_in_batch), new_ids(volunteers_in_batch)
    delivered(inbox, *[registered(vid) for vid in known])

    delivered(inbox, *[e for vid in new for e in (
        registered(vid),
        volunteers_event(vid, "VolunteerVerified", 2),
        volunteers_event(vid, "VolunteerSuspended", 3, reason="住院"),
    )], *[e for vid in known for e in (
        volunteers_event(vid, "VolunteerSuspended", 2, reason="住院"),
        volunteers_event(vid, "VolunteerReinstated", 3),
        volunteers_event(vid, "VolunteerVerified", 4),
    )])

    directory = VolunteerDirectory(mongo_db)
    assert {vid: directory.status(vid) for vid in new} == dict.fromkeys(new, "suspended")
    assert {vid: directory.status(vid) for vid in known} == dict.fromkeys(known, "verified")
    assert {county_in(directory, vid) for vid in new + known} == {TINGHU}
    assert mongo_db[COLLECTION].count_documents({}) == 2 * volunteers_in_batch
    # a volunteer's facts are its stream's cursor: no claims, no cursors elsewhere
    assert mongo_db["inbox_claims"].count_documents({}) == 0
    assert mongo_db["inbox_streams"].count_documents({}) == 0


def test_a_registration_another_worker_stores_between_the_read_and_the_insert_keeps_every_fact(
    mongo_db, directory_inbox, another_writer_after
):
    """A copy of a registration (redelivered) reaches another worker, which stores it
    right after this batch read its cursors and believed the volunteer unknown."""
    late, others = new_ids(1)[0], new_ids(SEPARATE_INSERT_FROM)
    elsewhere = directory_inbox(mongo_db)
    registration = registered(late)
    client = another_writer_after("find", COLLECTION,
                                  lambda: delivered(elsewhere, registration))
    inbox = directory_inbox(client[mongo_db.name])

    outcomes = delivered(inbox, registration, volunteers_event(late, "VolunteerVerified", 2),
                         *[registered(vid) for vid in others])

    assert set(outcomes) == {"applied"}
    directory = VolunteerDirectory(mongo_db)
    assert directory.status(late) == "verified"
    assert county_in(directory, late) == TINGHU
    assert {directory.status(vid) for vid in others} == {"registered"}
    assert mongo_db[COLLECTION].find_one({"_id": f"volunteer-{late}"})["version"] == 2


def test_a_batch_delivered_twice_is_applied_once(mongo_db, directory_inbox):
    inbox = directory_inbox(mongo_db)
    vids = new_ids(SEPARATE_INSERT_FROM + 2)
    batch = [e for vid in vids for e in (registered(vid),
                                         volunteers_event(vid, "VolunteerWithdrawn", 2))]
    delivered(inbox, *batch)
    before = list(mongo_db[COLLECTION].find().sort("_id", 1))

    outcomes = delivered(inbox, *batch)  # acks lost, the whole batch delivered again

    assert set(outcomes) == {"duplicate"}
    assert list(mongo_db[COLLECTION].find().sort("_id", 1)) == before
    assert {VolunteerDirectory(mongo_db).status(vid) for vid in vids} == {"withdrawn"}


def test_an_old_copy_arriving_after_later_events_changes_nothing(mongo_db, directory_inbox):
    """A suspension delivered again after the reinstatement that followed it."""
    inbox = directory_inbox(mongo_db)
    vid = new_ids(1)[0]
    suspended = volunteers_event(vid, "VolunteerSuspended", 2, reason="住院")
    delivered(inbox, registered(vid), suspended, volunteers_event(vid, "VolunteerReinstated", 3))

    assert delivered(inbox, suspended) == ["duplicate"]
    assert VolunteerDirectory(mongo_db).status(vid) == "registered"


def county_in(directory, volunteer_id):
    """The county the replica holds for a volunteer (activities keep it, unused)."""
    doc = directory.volunteers.find_one({"_id": f"volunteer-{volunteer_id}"})
    return None if doc is None else doc.get("county_code")

"""Transfers between counties on the real broker and store: the volunteers service keeps
the transfer on the volunteer's stream, the directory replicas follow the county change,
and of two bureaus deciding at once one wins and the other gets a clear conflict."""
from __future__ import annotations

import uuid

from nameko.testing.services import entrypoint_hook
from test_directory import county_in

from contracts.volunteers.streams import build_registry, team_stream
from services.volunteers.domain import commands, team, team_moves
from services.volunteers.service import VolunteersService
from yinfa.errors import DomainRuleViolated
from yinfa.store.event_store import EventStore

TINGHU, YANDU = "320902", "320903"


def released(volunteers, vid: str) -> dict:
    transfer = volunteers.request_transfer({"volunteer_id": vid, "to_county": YANDU,
                                            "reason_code": "moved_home",
                                            "acting_county": TINGHU})
    on = {"volunteer_id": vid, "transfer_id": transfer["transfer_id"]}
    volunteers.accept_transfer({**on, "acting_county": YANDU})
    return volunteers.release_transfer({**on, "acting_county": TINGHU})


def test_the_directory_replica_follows_the_volunteer_to_their_new_county(
        directory, volunteers, registration, eventually):
    vid = volunteers.register_volunteer(registration(seq=61))["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})
    assert eventually(lambda: directory.status(vid) == "verified")

    assert released(volunteers, vid)["status"] == "released"

    assert eventually(lambda: county_in(directory, vid) == YANDU)
    assert directory.status(vid) == "verified"  # standing unchanged: only the county moves


def test_the_record_goes_with_the_volunteer(volunteers, registration):
    vid = volunteers.register_volunteer(registration(seq=62))["volunteer_id"]
    volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})
    team = volunteers.create_team({"name": "亭湖义诊队", "category": "health_care",
                                   "county_code": TINGHU})
    volunteers.join_team({"team_id": team["team_id"], "volunteer_id": vid})
    volunteers.record_hours({"volunteer_id": vid, "entry_id":
                             "5d1b1c3e-2f4a-4b6c-8d7e-9f0a1b2c3d4e", "hours": "12",
                             "served_on": "2026-05-04", "source": "bureau"})
    before = volunteers.get_volunteer(vid)

    released(volunteers, vid)

    after = volunteers.get_volunteer(vid)
    assert after["county_code"] == YANDU and after["volunteer_id"] == vid
    assert {k: after[k] for k in ("total_hours", "star_level", "status", "teams", "name")} \
        == {k: before[k] for k in ("total_hours", "star_level", "status", "teams", "name")}
    # the new county verifies what needs its bureau from now on
    assert volunteers.list_volunteers(county_code=YANDU)["total"] >= 1


def test_of_two_bureaus_deciding_at_once_one_wins(volunteers, registration, at_once):
    vid = volunteers.register_volunteer(registration(seq=63))["volunteer_id"]
    transfer = volunteers.request_transfer({"volunteer_id": vid, "to_county": YANDU,
                                            "reason_code": "moved_home"})
    on = {"volunteer_id": vid, "transfer_id": transfer["transfer_id"]}

    answers = at_once("accept_transfer", {**on, "acting_county": YANDU}, {**on})
    # the second of the two accepts finds the transfer accepted already
    refused = [a for a in answers if isinstance(a, DomainRuleViolated)]
    assert len(refused) == 1 and "requested" in str(refused[0])
    assert volunteers.get_transfer(transfer["transfer_id"])["status"] == "accepted"


def test_a_team_move_cut_short_is_completed_once_by_the_sweep(
        container_factory, service_config, rpc_proxy, mongo_db, registration, eventually):
    """As if the service died between the two appends of a team member's move."""
    container = container_factory(VolunteersService, service_config)
    container.start()
    volunteers = rpc_proxy("volunteers", context_data={"actor": "county:320902"})
    vid = volunteers.register_volunteer(registration(seq=64))["volunteer_id"]
    red, care = (volunteers.create_team({"name": name, "category": "health_care",
                                         "county_code": TINGHU})["team_id"]
                 for name in ("亭湖义诊队", "亭湖关爱队"))
    volunteers.join_team({"team_id": red, "volunteer_id": vid})
    store = EventStore(mongo_db, build_registry())
    state = team.replay(store.read_stream(team_stream(red)))
    moving = commands.MoveTeamMember(red, vid, care, str(uuid.uuid4()))
    out = team_moves.move_member(state, moving, team.replay(
        store.read_stream(team_stream(care))), TINGHU)
    store.append(team_stream(red), out, 2)
    eventually(lambda: mongo_db["team_view"].find_one({"team_id": red, "has_moves_out": True}))

    with entrypoint_hook(container, "complete_team_moves") as complete:
        assert complete() == 1
        assert complete() == 0

    assert next(t for t in volunteers.list_teams() if t["team_id"] == care)["members"] == [vid]
    assert [e.type for e in store.read_stream(team_stream(care))].count(
        "VolunteerMovedTeam") == 1


def test_the_views_rebuilt_from_scratch_equal_the_live_ones(volunteers, registration):
    moved = volunteers.register_volunteer(registration(seq=65))["volunteer_id"]
    asked = volunteers.register_volunteer(registration(seq=66))["volunteer_id"]
    released(volunteers, moved)
    pending = volunteers.request_transfer({"volunteer_id": asked, "to_county": YANDU,
                                           "reason_code": "with_family"})
    live = (volunteers.get_volunteer(moved), volunteers.get_transfer(pending["transfer_id"]),
            volunteers.list_transfers(status="released"), volunteers.list_transfers(YANDU))

    volunteers.rebuild_views()

    assert (volunteers.get_volunteer(moved), volunteers.get_transfer(pending["transfer_id"]),
            volunteers.list_transfers(status="released"),
            volunteers.list_transfers(YANDU)) == live

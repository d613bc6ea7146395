"""Fifty volunteers race for the last five places, against two instances of the service."""
from __future__ import annotations

from datetime import date

from contracts.activities.streams import build_registry
from contracts.volunteers.id_number import make_id_number
from services.activities.service import ActivitiesService
from services.activities.views import VIEWS
from yinfa.projections import Projector
from yinfa.store.event_store import EventStore

RACERS = 50
PLACES = 5


def test_fifty_concurrent_sign_ups_fill_five_places_and_waitlist_the_rest(
    platform, platform_config, container_factory, eventually, past_activity, times,
    mongo_client, mongo_db,
):
    volunteers, activities = platform
    container_factory(ActivitiesService, platform_config).start()  # a second instance
    ids = []
    for n in range(RACERS):
        vid = volunteers.register_volunteer({
            "name": f"抢位{n}", "gender": "女", "birth_year": 1960,
            "id_number": make_id_number("320903", date(1960, 1, 1), n * 2 + 2),
            "phone": "13600000000", "county_code": "320903", "retirement_status": "退休",
        })["volunteer_id"]
        volunteers.verify_volunteer({"volunteer_id": vid, "county_code": "320903"})
        ids.append(vid)
    eventually(lambda: activities.directory_size() >= RACERS, timeout=60)
    aid = activities.publish_activity(past_activity(capacity=PLACES))["activity_id"]

    replies = [activities.sign_up.call_async(
        {"activity_id": aid, "volunteer_id": vid, "at": times["sign_up"]}) for vid in ids]
    for reply in replies:
        reply.result()

    shown = activities.get_activity(aid)
    assert len(shown["participants"]) == PLACES
    assert len(shown["waitlist"]) == RACERS - PLACES
    assert set(shown["participants"]) | set(shown["waitlist"]) == set(ids)

    db = mongo_client[f"{mongo_db.name}_activities"]
    rebuilt = mongo_client[f"{mongo_db.name}_activities_rebuilt"]
    Projector(EventStore(db, build_registry()), VIEWS, db=rebuilt).rebuild()
    for collection in ("activity_view",):
        live = sorted(db[collection].find(), key=lambda d: d["_id"])
        assert live == sorted(rebuilt[collection].find(), key=lambda d: d["_id"])

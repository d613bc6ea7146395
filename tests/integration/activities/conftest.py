from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.volunteers.id_number import make_id_number
from services.activities.service import ActivitiesService
from services.volunteers.service import VolunteersService

TINGHU = "320902"


@pytest.fixture
def platform(runner_factory, platform_config, rpc_proxy):
    """Volunteers and activities running together, each with its own database."""
    runner = runner_factory(platform_config, VolunteersService, ActivitiesService)
    runner.start()
    return rpc_proxy("volunteers"), rpc_proxy("activities")


@pytest.fixture
def verified_volunteer(platform, eventually):
    """Register and verify a volunteer; wait until the activities service knows."""
    volunteers, activities = platform
    made = iter(range(1, 10_000))

    def make() -> str:
        seq = next(made)
        vid = volunteers.register_volunteer({
            "name": f"志愿者{seq}", "gender": "男", "birth_year": 1955,
            "id_number": make_id_number(TINGHU, date(1955, 6, 1), seq * 2 + 1),
            "phone": "13912345678", "county_code": TINGHU, "retirement_status": "退休",
        })["volunteer_id"]
        volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})
        eventually(lambda: _known_as_verified(activities, vid))
        return vid

    return make


def _known_as_verified(activities, volunteer_id) -> bool:
    """Ask by trying: the directory replica is internal to the activities service."""
    probe = activities.publish_activity(_past_activity(capacity=1, title="探针"))
    try:
        activities.sign_up({"activity_id": probe["activity_id"], "volunteer_id": volunteer_id,
                            "at": (datetime.now(UTC) - timedelta(hours=5)).isoformat()})
        return True
    except Exception:
        return False


@pytest.fixture
def past_activity():
    """A factory of activities that took place this morning, so they can be completed."""
    return _past_activity


def _past_activity(capacity: int = 10, **overrides) -> dict:
    """An activity that took place this morning (2 hours), so it can be completed now."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    payload = {
        "client_request_id": str(uuid.uuid4()),
        "theme": "party_story", "kind": "talk", "title": "红色故事进社区",
        "organiser": {"kind": "bureau", "id": "county-320902"},
        "county_code": TINGHU, "place": "亭湖区新时代文明实践站",
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": capacity,
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def times():
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    return {
        "sign_up": (start - timedelta(hours=1)).isoformat(),
        "check_in": start.isoformat(),
        "check_out": (start + timedelta(hours=2)).isoformat(),
    }

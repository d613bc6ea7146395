"""Micro-wishes (微心愿) through the activities service."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from yinfa.errors import AlreadyExists

BRANCH = {"kind": "branch", "id": "branch-tinghu-1"}
COMMUNITY = {"kind": "community", "id": "community-wuxing"}


def wish(days_ago: int = 3, **overrides) -> dict:
    payload = {
        "client_request_id": str(uuid.uuid4()), "label": "王奶奶", "county_code": "320902",
        "category": "home_repair", "description": "厨房水管漏水，想请人修一修",
        "posted_by": COMMUNITY,
        "at": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(),
    }
    payload.update(overrides)
    return payload


def test_a_wish_is_claimed_fulfilled_and_confirmed_with_its_time_to_fulfil(platform):
    _, activities = platform
    wid = activities.post_wish(wish())["wish_id"]
    now = datetime.now(UTC)

    activities.claim_wish({"wish_id": wid, "claimant": BRANCH,
                           "at": (now - timedelta(days=2)).isoformat()})
    with pytest.raises(AlreadyExists):
        activities.claim_wish({"wish_id": wid, "claimant": {"kind": "branch", "id": "other"}})
    activities.fulfil_wish({"wish_id": wid, "fulfilled_by": BRANCH,
                            "evidence": ["https://example.org/repair.jpg"],
                            "at": (now - timedelta(days=1)).isoformat()})
    shown = activities.confirm_wish({"wish_id": wid, "confirmed_by": COMMUNITY})

    assert shown["status"] == "confirmed"
    assert shown["claimant"] == BRANCH
    assert 2 * 86400 <= shown["seconds_to_fulfil"] <= 4 * 86400


def test_an_overdue_wish_expires_once(platform):
    _, activities = platform
    overdue = activities.post_wish(wish(days_ago=70))["wish_id"]
    fresh = activities.post_wish(wish(days_ago=1))["wish_id"]

    assert activities.expire_due_wishes() == 1
    assert activities.expire_due_wishes() == 0

    assert activities.get_wish(overdue)["status"] == "expired"
    assert activities.get_wish(fresh)["status"] == "open"


def test_posting_the_same_request_twice_creates_one_wish(platform):
    _, activities = platform
    payload = wish()

    assert activities.post_wish(payload) == activities.post_wish(payload)
    assert activities.list_wishes()["total"] == 1


def test_a_wish_s_description_is_shown_but_sealed_out_of_the_log(platform, mongo_client,
                                                                 platform_config):
    _, activities = platform
    payload = wish(description="腿脚不便，想请人陪着去菜市场")
    posted = activities.post_wish(payload)
    assert posted["description"] == "腿脚不便，想请人陪着去菜市场"
    assert activities.list_wishes()["items"][0]["description"] == posted["description"]
    with pytest.raises(AlreadyExists):
        activities.post_wish({**payload, "description": "想要一台收音机"})
    db = mongo_client[f"{platform_config['DB_PREFIX']}_activities"]
    stored = str([c for c in db["commits"].find()]) + str(list(db["wish_view"].find()))
    assert "菜市场" not in stored

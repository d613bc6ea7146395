"""The public log carries a merge of duplicate records and its undo, without the reason
(free text); the survivor's side, which repeats them, is not public."""
from __future__ import annotations

from datetime import date

import pytest

from contracts.volunteers.id_number import make_id_number
from services.feeds.service import FeedsService
from services.volunteers.service import VolunteersService

TINGHU = "320902"


@pytest.fixture
def platform(runner_factory, platform_config, rpc_proxy):
    runner_factory(platform_config, VolunteersService, FeedsService).start()
    return rpc_proxy("volunteers"), rpc_proxy("feeds")


def registered(volunteers, seq: int) -> str:
    return volunteers.register_volunteer({
        "name": "王建国", "gender": "男", "birth_year": 1956,
        "id_number": make_id_number(TINGHU, date(1956, 3, 8), seq),
        "phone": "13812345678", "county_code": TINGHU, "retirement_status": "退休",
    })["volunteer_id"]


def test_a_merge_and_its_undo_reach_the_public_log_without_the_reason(platform, eventually):
    volunteers, feeds = platform
    survivor, duplicate = registered(volunteers, 601), registered(volunteers, 603)
    merge = volunteers.merge_volunteers({"volunteer_id": survivor, "duplicate_id": duplicate,
                                         "reason": "同一人重复登记"})
    volunteers.undo_merge({"merge_id": merge["merge_id"], "reason": "两人同名"})
    wanted = {"VolunteerMergedInto", "VolunteerMergeUndone"}

    def public():
        entries = {e["type"]: e for e in feeds.events_after(0, 500)
                   if e["type"].startswith("Volunteer") and "Merge" in e["type"]}
        return entries if set(entries) >= wanted else None

    entries = eventually(public)
    assert set(entries) == wanted  # the survivor's side stays inside
    assert entries["VolunteerMergedInto"]["data"] == {
        "merge_id": merge["merge_id"], "survivor_id": survivor,
        "merged_at": merge["merged_at"], "moved": [], "duplicates": []}
    assert entries["VolunteerMergeUndone"]["data"] == {"merge_id": merge["merge_id"],
                                                       "survivor_id": survivor}
    assert entries["VolunteerMergedInto"]["stream_id"].startswith(f"volunteer-{duplicate}")
    assert "同一人" not in str(feeds.events_after(0, 500))

"""Party-branch memberships follow a merge of two records of one person, over the real
broker and store: the volunteers service merges the duplicate into the survivor, and the
branches service makes the survivor a member where the duplicate was, once; the undo gives
it all back; a merge delivered twice, or a sweep cut short, changes nothing more; the
views rebuilt from scratch equal the live ones."""
from __future__ import annotations

from datetime import date

import pytest
from branch_service_examples import FINANCE, TINGHU, ids
from nameko.testing.services import entrypoint_hook

from contracts.branches.streams import branch_stream, build_registry as branch_registry
from contracts.volunteers.id_number import make_id_number
from contracts.volunteers.streams import build_registry as volunteer_registry
from services.branches.directory import COLLECTION
from services.branches.domain import branch as b, member_merges as mm
from services.branches.member_merges import CARRIED
from services.branches.service import BranchesService
from services.volunteers.service import VolunteersService
from yinfa.store.event_store import EventStore

EDUCATION, CULTURE = "教育局离退休干部党支部", "文广局离退休干部党支部"
MERGED, UNMERGED = "MemberRecordsMerged", "MemberRecordsUnmerged"
ACTOR = {"actor": f"county:{TINGHU}"}


@pytest.fixture
def branches_overrides():
    return {}


@pytest.fixture
def platform(platform_config, container_factory, rpc_proxy, mongo_client,
             branches_overrides):
    """Both services, each in its own database, the branches' container at hand."""
    container_factory(VolunteersService, platform_config).start()
    branches_container = container_factory(BranchesService,
                                           {**platform_config, **branches_overrides})
    branches_container.start()
    prefix = platform_config["DB_PREFIX"]

    class Platform:
        volunteers = rpc_proxy("volunteers", context_data=ACTOR)
        branches = rpc_proxy("branches", context_data=ACTOR)
        container = branches_container
        branches_db = mongo_client[f"{prefix}_branches"]
        branch_store = EventStore(mongo_client[f"{prefix}_branches"], branch_registry())
        volunteer_store = EventStore(mongo_client[f"{prefix}_volunteers"],
                                     volunteer_registry())

        def sweep(self) -> int:
            with entrypoint_hook(self.container, "follow_merged_records") as follow:
                return follow()

        def types(self, name: str) -> list[str]:
            return [e.type for e in self.branch_store.read_stream(branch_stream(ids(name)))]

        def members(self, name: str) -> list[str]:
            return self.branches.get_branch(ids(name))["members"]

    return Platform()


def register(volunteers, seq: int, verify: bool) -> str:
    vid = volunteers.register_volunteer({
        "name": "王建国", "gender": "男", "birth_year": 1956,
        "id_number": make_id_number(TINGHU, date(1956, 3, 8), seq), "phone": "13812345678",
        "county_code": TINGHU, "retirement_status": "退休", "party_member": True,
    })["volunteer_id"]
    if verify:
        volunteers.verify_volunteer({"volunteer_id": vid, "county_code": TINGHU})
    return vid


@pytest.fixture
def pair(platform, eventually):
    """王建国's verified record, a member of 教育局's branch; the duplicate his mistyped
    number made, a member of 财政局's and 教育局's; 文广局's branch holds neither."""
    for name in (FINANCE, EDUCATION, CULTURE):
        platform.branches.establish_branch({
            "branch_id": ids(name), "name": name, "branch_type": "formal", "level": "branch",
            "county_code": TINGHU, "former_employer": name[:3], "established_on": "2021-03-01"})
    survivor = register(platform.volunteers, 83, verify=True)
    duplicate = register(platform.volunteers, 999, verify=False)
    replica = platform.branches_db[COLLECTION]
    eventually(lambda: replica.count_documents({"registered": True}) == 2)
    for name, vid in ((EDUCATION, survivor), (FINANCE, duplicate), (EDUCATION, duplicate)):
        platform.branches.add_member({"branch_id": ids(name), "volunteer_id": vid})
    return survivor, duplicate


def merge(platform, survivor: str, duplicate: str) -> str:
    return platform.volunteers.merge_volunteers({
        "volunteer_id": survivor, "duplicate_id": duplicate,
        "reason": "同一人重复登记"})["merge_id"]


def test_the_survivor_takes_the_duplicates_place_and_an_undo_gives_it_back(
        platform, pair, eventually):
    survivor, duplicate = pair
    merge_id = merge(platform, survivor, duplicate)

    eventually(lambda: platform.members(FINANCE) == [survivor], timeout=30)
    eventually(lambda: platform.members(EDUCATION) == [survivor], timeout=30)
    assert platform.members(CULTURE) == []
    assert platform.types(FINANCE).count(MERGED) == 1
    assert platform.types(EDUCATION).count(MERGED) == 1
    stored = str([e.data for e in platform.branch_store.read_stream(branch_stream(
        ids(FINANCE)))])
    assert "王建国" not in stored and "13812345678" not in stored  # ids only
    assert platform.sweep() == 0  # carried once

    platform.volunteers.undo_merge({"merge_id": merge_id, "reason": "两人同名，合并有误"})

    eventually(lambda: platform.members(FINANCE) == [duplicate], timeout=30)
    # the survivor was a member of 教育局's branch before: it stays, the duplicate is back
    eventually(lambda: sorted(platform.members(EDUCATION)) == sorted([survivor, duplicate]),
               timeout=30)
    assert platform.types(FINANCE).count(UNMERGED) == 1
    assert platform.sweep() == 0

    live = {name: platform.branches.get_branch(ids(name)) for name in (FINANCE, EDUCATION)}
    assert platform.branches.rebuild_views() > 0
    assert {name: platform.branches.get_branch(ids(name))
            for name in (FINANCE, EDUCATION)} == live


def test_a_merge_delivered_twice_or_swept_again_changes_nothing_more(
        platform, pair, eventually):
    survivor, duplicate = pair
    merge(platform, survivor, duplicate)
    eventually(lambda: platform.members(FINANCE) == [survivor], timeout=30)
    before = {name: platform.types(name) for name in (FINANCE, EDUCATION)}
    merged_into = next(e for e in platform.volunteer_store.read_stream(
        f"volunteer-{duplicate}") if e.type == "VolunteerMergedInto")

    with entrypoint_hook(platform.container, "on_volunteers_event") as deliver:
        deliver([merged_into.to_message()])  # the broker delivers it again
    # as if the service died after the branches' appends, before the replica's note
    platform.branches_db[COLLECTION].update_one({"_id": f"volunteer-{duplicate}"},
                                                {"$unset": {CARRIED: ""}})
    assert platform.sweep() == 0

    assert {name: platform.types(name) for name in (FINANCE, EDUCATION)} == before
    assert platform.members(FINANCE) == [survivor]


@pytest.mark.parametrize("branches_overrides", [{"MERGE_SWEEP_SECONDS": 3600}])
def test_a_sweep_cut_short_between_two_branches_is_completed_once(platform, pair,
                                                                  eventually):
    """The service died after the sweep's first branch, before the second: the next
    sweep does the second, and the first is not recorded again."""
    survivor, duplicate = pair  # the timer is far off: the test sweeps
    merge_id = merge(platform, survivor, duplicate)
    replica = platform.branches_db[COLLECTION]
    eventually(lambda: (replica.find_one({"_id": f"volunteer-{duplicate}"}) or {}).get(
        "merge_id") == merge_id)
    finance = b.replay(platform.branch_store.read_stream(branch_stream(ids(FINANCE))))
    stream = platform.branch_store.read_stream(branch_stream(ids(FINANCE)))
    platform.branch_store.append(branch_stream(ids(FINANCE)), mm.merge_records(
        finance, merge_id, duplicate, survivor, TINGHU), stream[-1].version)

    eventually(lambda: platform.members(FINANCE) == [survivor])  # its view, written

    assert platform.sweep() == 1  # 教育局's branch only
    assert platform.sweep() == 0

    assert platform.types(FINANCE).count(MERGED) == 1
    assert platform.types(EDUCATION).count(MERGED) == 1
    assert platform.members(FINANCE) == [survivor]

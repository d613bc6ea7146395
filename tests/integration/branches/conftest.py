"""Fixtures for the branches service over the real broker and store.

Our county is 亭湖区 (320902); our usual branch is the finance bureau's retiree party
branch (财政局离退休干部党支部). Ids are memorable: `ids("财政局离退休干部党支部")` is the
same uuid in every test.
"""
from __future__ import annotations

import pytest
from branch_service_examples import (
    FINANCE,
    LADDER,
    TINGHU,
    checklist_items,
    evidence,
    grant_payload,
    ids,
)

from contracts.branches.streams import build_registry
from contracts.volunteers.streams import volunteer_stream as volunteer_key
from services.branches.directory import COLLECTION
from services.branches.service import BranchesService
from yinfa.store.event_store import EventStore


@pytest.fixture
def branch_config(service_config):
    """Time stands still at 09:00 on 1 June 2024 in Yancheng; the review timer fires only
    when a test calls it."""
    return {**service_config, "CLOCK_NOW": "2024-06-01T09:00:00+08:00",
            "REVIEW_TIMER_SECONDS": 3600}


@pytest.fixture
def start_branches(container_factory, branch_config):
    def start(**overrides):
        container = container_factory(BranchesService, {**branch_config, **overrides})
        container.start()
        return container

    return start


@pytest.fixture
def branches_container(start_branches):
    return start_branches()


@pytest.fixture
def branches(branches_container, rpc_proxy):
    return rpc_proxy("branches", context_data={"actor": "county:320902"})


@pytest.fixture
def stored(mongo_db):
    """Events as the store has them, and how many commits there are."""

    class Stored:
        store = EventStore(mongo_db, build_registry())

        def stream(self, stream_id: str) -> list:
            return self.store.read_stream(stream_id)

        def types(self, stream_id: str) -> list[str]:
            return [e.type for e in self.stream(stream_id)]

        @staticmethod
        def commits() -> int:
            return mongo_db["commits"].count_documents({})

    return Stored()


@pytest.fixture
def known_volunteer(mongo_db):
    """Tell the branches service's replica that a volunteer is registered (what its inbox
    would write on VolunteerRegistered); for tests that run no volunteers service."""

    def make(name: str, status: str = "verified") -> str:
        volunteer_id = ids(name)
        facts = {"registered": True, "county_code": TINGHU, "name": name}
        if status != "registered":
            facts[status] = True
        mongo_db[COLLECTION].update_one({"_id": volunteer_key(volunteer_id)},
                                        {"$set": facts}, upsert=True)
        return volunteer_id

    return make


@pytest.fixture
def establishing():
    def make(name: str = FINANCE, **overrides) -> dict:
        return {"branch_id": ids(name), "name": name, "branch_type": "formal",
                "level": "branch", "county_code": TINGHU, "former_employer": "盐城市财政局",
                "secretary": "李秀英", "liaison": "陈志远", "established_on": "2021-03-01",
                **overrides}

    return make


@pytest.fixture
def establish(branches, establishing):
    def make(name: str = FINANCE, **overrides) -> dict:
        return branches.establish_branch(establishing(name, **overrides))

    return make


@pytest.fixture
def apply_and_review(branches):
    """Apply for `level` on `applied_on` and review every item as met (or `unmet` not)."""

    def run(branch_id: str, level: str, applied_on: str, unmet: tuple[str, ...] = ()) -> str:
        application_id = ids(f"{branch_id}:{level}:{applied_on}")
        branches.apply_for_certification({
            "branch_id": branch_id, "application_id": application_id, "level": level,
            "checklist": "liuyou_yitisheng", "applicant": "李秀英", "evidence": evidence(),
            "applied_on": applied_on})
        branches.review_items({
            "branch_id": branch_id, "application_id": application_id, "reviewer": "王评审",
            "items": [{"item": item, "met": item not in unmet,
                       "note": "现场核查未见台账" if item in unmet else None}
                      for item in checklist_items()]})
        return application_id

    return run


@pytest.fixture
def certify(branches, apply_and_review):
    """Climb the ladder up to `level`: each rung applied for, every item met, granted by
    the right role; rungs `months_apart` apart from `first_grant`."""

    def climb(branch_id: str, level: str = "standard", first_grant: str = "2023-03-01",
              months_apart: int = 2) -> dict:
        year, month, day = (int(part) for part in first_grant.split("-"))
        shown: dict = {}
        for step, code in enumerate(LADDER[:LADDER.index(level) + 1]):
            index = month - 1 + step * months_apart
            on = f"{year + index // 12}-{index % 12 + 1:02d}-{day:02d}"
            application_id = apply_and_review(branch_id, code, on)
            shown = branches.grant_certification(grant_payload(branch_id, application_id,
                                                               code, on))
        return shown

    return climb

"""Merging duplicate records over HTTP (issue 18): a county admin merges two records of
its county (the city any two) and may undo it within the window; roles, scope and
problem+json as the rest of the API; bad input changes nothing."""
from __future__ import annotations

import uuid

import pytest
from gateway_support import DAFENG, TINGHU, registration

PROBLEM = "application/problem+json"
REASON = {"reason": "同一人重复登记"}


@pytest.fixture(scope="module")
def county(platform):
    return platform.open_account("merges-th", "county_admin", county_code=TINGHU)


@pytest.fixture(scope="module")
def other_county(platform):
    return platform.open_account("merges-df", "county_admin", county_code=DAFENG)


def problem(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    return answer.json()


def registered(client, county_code: str = TINGHU, verify: bool = False, hours=None) -> str:
    volunteer_id = client.post("/volunteers", registration(county_code)).json()["volunteer_id"]
    if verify:
        client.post(f"/volunteers/{volunteer_id}/verify", {"county_code": county_code})
    if hours:
        client.post(f"/volunteers/{volunteer_id}/hours", {
            "entry_id": str(uuid.uuid4()), "hours": hours, "served_on": "2026-05-04",
            "source": "bureau"})
    return volunteer_id


def test_a_county_admin_merges_and_undoes_within_the_window(county):
    survivor = registered(county, verify=True, hours="4")
    duplicate = registered(county, hours="6")

    answer = county.post(f"/volunteers/{survivor}/merge", {"duplicate_id": duplicate,
                                                            **REASON})

    assert answer.status_code == 201, answer.text
    merge = answer.json()
    assert answer.headers["Location"] == f"/merges/{merge['merge_id']}"
    assert merge["survivor_id"] == survivor and merge["entries_moved"] == 1
    assert county.get(f"/volunteers/{duplicate}").json()["volunteer_id"] == survivor
    assert county.get(f"/volunteers/{survivor}/hours").json()["total_hours"] == "10.0"
    assert county.get(f"/merges/{merge['merge_id']}").json()["duplicate_id"] == duplicate
    merged = county.get("/volunteers", params={"status": "merged", "limit": 100}).json()
    assert duplicate in [v["volunteer_id"] for v in merged["items"]]
    listed = county.get("/volunteers", params={"limit": 100}).json()["items"]
    assert duplicate not in [v["volunteer_id"] for v in listed]  # the pair is one person

    undone = county.post(f"/merges/{merge['merge_id']}/undo", {"reason": "合并有误"})

    assert undone.status_code == 200, undone.text
    assert county.get(f"/volunteers/{duplicate}").json()["volunteer_id"] == duplicate
    assert county.get(f"/volunteers/{survivor}/hours").json()["total_hours"] == "4.0"
    problem(county.post(f"/merges/{merge['merge_id']}/undo", {"reason": "再次"}), 404)


@pytest.mark.parametrize("body, field", [
    ({"reason": "x"}, "duplicate_id"), ({"duplicate_id": "not-an-id", **REASON}, "duplicate_id"),
    ({"duplicate_id": str(uuid.uuid4())}, "reason"),
    ({"duplicate_id": str(uuid.uuid4()), **REASON, "merge_id": str(uuid.uuid4())}, "merge_id"),
])
def test_a_malformed_merge_is_422_and_changes_nothing(county, body, field):
    survivor = registered(county)
    before = county.get(f"/volunteers/{survivor}").json()

    refused = problem(county.post(f"/volunteers/{survivor}/merge", body), 422)

    assert field in refused["errors"]
    assert county.get(f"/volunteers/{survivor}").json() == before


def test_a_record_merged_into_itself_is_refused(county):
    survivor = registered(county)
    refused = problem(county.post(f"/volunteers/{survivor}/merge",
                                  {"duplicate_id": survivor, **REASON}), 422)
    assert "duplicate_id" in refused["errors"]


def test_two_verified_records_of_different_numbers_are_refused_with_the_reason(county):
    survivor, other = registered(county, verify=True), registered(county, verify=True)
    refused = problem(county.post(f"/volunteers/{survivor}/merge",
                                  {"duplicate_id": other, **REASON}), 409)
    assert "two people" in refused["detail"]
    assert county.get(f"/volunteers/{other}").json()["volunteer_id"] == other


def test_merging_a_record_merged_already_is_409(county):
    survivor, duplicate, third = (registered(county) for _ in range(3))
    assert county.post(f"/volunteers/{survivor}/merge",
                       {"duplicate_id": duplicate, **REASON}).status_code == 201
    refused = problem(county.post(f"/volunteers/{third}/merge",
                                  {"duplicate_id": duplicate, **REASON}), 409)
    assert refused["code"] == "rule_violated"


def test_another_countys_admin_finds_neither_the_records_nor_the_merge(county, other_county,
                                                                       city):
    survivor, duplicate = registered(county), registered(county)
    problem(other_county.post(f"/volunteers/{survivor}/merge",
                              {"duplicate_id": duplicate, **REASON}), 404)
    mine = registered(other_county, DAFENG)
    problem(other_county.post(f"/volunteers/{mine}/merge",
                              {"duplicate_id": duplicate, **REASON}), 404)
    merge_id = county.post(f"/volunteers/{survivor}/merge",
                           {"duplicate_id": duplicate, **REASON}).json()["merge_id"]
    problem(other_county.get(f"/merges/{merge_id}"), 404)
    problem(other_county.post(f"/merges/{merge_id}/undo", {"reason": "试探"}), 404)
    assert city.get(f"/merges/{merge_id}").json()["survivor_id"] == survivor


def test_the_city_merges_records_of_two_counties(city):
    survivor = registered(city, TINGHU, verify=True)
    duplicate = registered(city, DAFENG)
    answer = city.post(f"/volunteers/{survivor}/merge", {"duplicate_id": duplicate, **REASON})
    assert answer.status_code == 201, answer.text


def test_the_merge_routes_are_documented(platform):
    spec = platform.anonymous.get("/openapi.json").json()
    assert {"/volunteers/{volunteer_id}/merge", "/merges/{merge_id}",
            "/merges/{merge_id}/undo"} <= set(spec["paths"])

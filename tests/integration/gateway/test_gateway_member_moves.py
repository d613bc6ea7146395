"""Member moves over HTTP on the real services: a branch's member to another branch and a
team's member to another team, each out of one and into the other with its history; a
dissolved, unknown or same target is refused, another county's is not found."""
from __future__ import annotations

import pytest
from gateway_support import DAFENG, TINGHU, branch_body, registration, team_body

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def tinghu(platform):
    return platform.open_account("moves-th", "county_admin", county_code=TINGHU)


def ok(answer, status: int = 200) -> dict:
    assert answer.status_code == status, answer.text
    return answer.json()


def problem(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    return answer.json()


def member_of_a_branch(api) -> tuple[str, str, str]:
    volunteer_id = ok(api.post("/volunteers", registration()), 201)["volunteer_id"]
    ok(api.post(f"/volunteers/{volunteer_id}/verify", {"county_code": TINGHU}))
    source, target = (ok(api.post("/branches", branch_body()), 201)["branch_id"]
                      for _ in range(2))
    ok(api.post(f"/branches/{source}/members", {"volunteer_id": volunteer_id}), 201)
    return volunteer_id, source, target


def test_a_branch_member_moves_to_another_branch(tinghu):
    volunteer_id, source, target = member_of_a_branch(tinghu)

    left = ok(tinghu.post(f"/branches/{source}/members/{volunteer_id}/move",
                          {"to_branch_id": target}))

    assert volunteer_id not in left["members"]
    assert volunteer_id in ok(tinghu.get(f"/branches/{target}"))["members"]


def test_a_branch_move_to_a_dissolved_unknown_or_the_same_branch_is_refused(tinghu, city):
    volunteer_id, source, target = member_of_a_branch(tinghu)
    move = f"/branches/{source}/members/{volunteer_id}/move"
    ok(tinghu.post(f"/branches/{target}/dissolve",
                   {"reason": "撤并", "dissolved_on": "2026-11-01"}))

    assert "dissolved" in problem(tinghu.post(move, {"to_branch_id": target}), 409)["detail"]
    problem(tinghu.post(move, {"to_branch_id": "0f0f0f0f-0000-4000-8000-000000000000"}), 404)
    assert "to_branch_id" in problem(tinghu.post(move, {"to_branch_id": source}),
                                     422)["errors"]
    elsewhere = ok(city.post("/branches", branch_body(DAFENG)), 201)["branch_id"]
    problem(tinghu.post(move, {"to_branch_id": elsewhere}), 404)  # not in its scope
    assert volunteer_id in ok(tinghu.get(f"/branches/{source}"))["members"]


def test_a_team_member_moves_to_another_team(tinghu):
    volunteer_id = ok(tinghu.post("/volunteers", registration()), 201)["volunteer_id"]
    source, target = (ok(tinghu.post("/teams", team_body()), 201)["team_id"] for _ in range(2))
    ok(tinghu.post(f"/teams/{source}/members", {"volunteer_id": volunteer_id}), 201)

    left = ok(tinghu.post(f"/teams/{source}/members/{volunteer_id}/move",
                          {"to_team_id": target}))

    assert volunteer_id not in left["members"]
    assert volunteer_id in ok(tinghu.get(f"/teams/{target}"))["members"]
    assert ok(tinghu.get(f"/volunteers/{volunteer_id}"))["teams"] == [target]
    again = tinghu.post(f"/teams/{source}/members/{volunteer_id}/move", {"to_team_id": target})
    problem(again, 404)  # no longer a member of the first
    problem(tinghu.post(f"/teams/{target}/members/{volunteer_id}/move",
                        {"to_team_id": target}), 422)

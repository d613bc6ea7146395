"""A branch's liaison (联络员), through the gateway on the real services: named by the county
or the branch's secretary, given an account bound to the branch, able to keep the records
of its activities and nothing more; a new liaison closes the account of the one before,
and the name stays out of every log."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polling
import pytest
from gateway_support import DAFENG, TINGHU, activity_body, branch_body, registration, wish_body

PASSWORD = "liaison-password-1"
FIRST, SECOND = "张联络", "赵红梅"


def _ok(answer, status: int = 201) -> dict:
    assert answer.status_code == status, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def world(platform, city):
    own = _ok(city.post("/branches", branch_body()))["branch_id"]
    other = _ok(city.post("/branches", branch_body()))["branch_id"]
    far = _ok(city.post("/branches", branch_body(DAFENG)))["branch_id"]
    volunteer = _ok(city.post("/volunteers", registration()))["volunteer_id"]
    return {
        "own": own, "other": other, "far": far, "volunteer": volunteer,
        "county": platform.open_account("county-li", "county_admin", county_code=TINGHU),
        "county-df": platform.open_account("county-li-df", "county_admin",
                                           county_code=DAFENG),
        "secretary": platform.open_account("sec-li", "branch_secretary", county_code=TINGHU,
                                           branch_id=own),
    }


@pytest.fixture(scope="module")
def first_liaison(platform, world):
    named = _ok(world["county"].post(f"/branches/{world['own']}/liaison", {
        "name": FIRST, "username": "liaison-one", "password": PASSWORD}))
    return named, platform.anonymous.login("liaison-one", PASSWORD)


def test_the_county_names_a_liaison_who_gets_an_account_bound_to_the_branch(
        city, world, first_liaison):
    named, _ = first_liaison
    assert named["liaison"] == FIRST and named["closed_accounts"] == []
    account = named["account"]
    assert (account["role"], account["branch_id"], account["county_code"]) == (
        "branch_liaison", world["own"], TINGHU)
    assert account["display_name"] == FIRST and account["active"]
    assert _ok(city.get(f"/branches/{world['own']}"), 200)["liaison"] == FIRST


def test_a_liaison_keeps_the_records_of_the_branch_s_activities_only(
        city, world, first_liaison):
    _, liaison = first_liaison
    assert liaison.get(f"/branches/{world['own']}").status_code == 200
    assert liaison.get(f"/branches/{world['other']}").status_code == 404
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    held = {**activity_body(), "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat()}
    ours = _ok(city.post("/activities", {**held, "organiser": {"kind": "branch",
                                                                "id": world["own"]}}))
    theirs = _ok(city.post("/activities", {**held, "organiser": {"kind": "branch",
                                                                  "id": world["other"]}}))
    assert _ok(liaison.post(f"/activities/{ours['activity_id']}/completion",
                            {"audience_reached": 12}))["status"] == "completed"
    refused = liaison.post(f"/activities/{theirs['activity_id']}/completion",
                           {"audience_reached": 12})
    assert refused.status_code == 403, refused.text
    # publishing, cancelling, wishes and naming liaisons are the secretary's and the county's
    assert liaison.post("/activities", {**held, "organiser": {
        "kind": "branch", "id": world["own"]}}).status_code == 403
    wish_id = _ok(city.post("/wishes", wish_body()))["wish_id"]
    assert liaison.post(f"/wishes/{wish_id}/claim", {
        "claimant": {"kind": "branch", "id": world["own"]}}).status_code == 403
    assert liaison.post(f"/branches/{world['own']}/liaison", {
        "name": SECOND, "username": "liaison-self", "password": PASSWORD}).status_code == 403


def test_the_secretary_names_a_volunteer_as_the_next_liaison_and_the_first_is_closed(
        platform, city, world, first_liaison):
    named = _ok(world["secretary"].post(f"/branches/{world['own']}/liaison", {
        "name": SECOND, "volunteer_id": world["volunteer"], "username": "liaison-two",
        "password": PASSWORD}))
    assert named["closed_accounts"] == ["liaison-one"]
    assert named["account"]["volunteer_id"] == world["volunteer"]
    assert _ok(city.get(f"/branches/{world['own']}"), 200)["liaison"] == SECOND
    refused = platform.anonymous.post("/auth/login", {"username": "liaison-one",
                                                      "password": PASSWORD})
    assert refused.status_code == 401
    _, old_token = first_liaison
    polling.eventually(lambda: old_token.get(f"/branches/{world['own']}").status_code == 401,
                       timeout=15)
    platform.anonymous.login("liaison-two", PASSWORD)


def test_no_liaison_for_another_branch_or_county_and_no_taken_username(city, world):
    body = {"name": "王五", "username": "liaison-x", "password": PASSWORD}
    assert world["secretary"].post(f"/branches/{world['other']}/liaison",
                                   body).status_code == 404
    assert world["county-df"].post(f"/branches/{world['own']}/liaison",
                                   body).status_code == 404
    assert world["county"].post(f"/branches/{world['far']}/liaison", body).status_code == 404
    taken = world["county"].post(f"/branches/{world['other']}/liaison",
                                 {**body, "username": "sec-li"})
    assert taken.status_code == 409, taken.text
    assert _ok(city.get(f"/branches/{world['other']}"), 200)["liaison"] is None
    for bad in ({**body, "name": ""}, {**body, "username": "X"},
                {**body, "password": "short"}, {**body, "role": "city_admin"}):
        answer = world["county"].post(f"/branches/{world['other']}/liaison", bad)
        assert answer.status_code == 422, answer.text


def test_the_liaison_s_name_is_in_no_log(platform, world, first_liaison):
    client = platform.db.client
    prefix = platform.config["DB_PREFIX"]
    for database in (f"{prefix}_gateway", f"{prefix}_branches"):
        logged = json.dumps(list(client[database]["commits"].find({}, {"_id": 0})),
                            ensure_ascii=False, default=str)
        assert FIRST not in logged and SECOND not in logged, database

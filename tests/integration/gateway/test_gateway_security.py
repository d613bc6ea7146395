"""The security review's findings, through the gateway on the real services: authority
decided on validated values, ids in bodies held to the caller's county, accounts that
cannot lock the city out, server-stamped and rate-limited check-ins, clean text, and
erasure by the city bureau."""
from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import bson
import polling
import pytest
from gateway_support import DAFENG, TINGHU, activity_body, branch_body, registration, team_body
from test_gateway_http import assert_problem


@pytest.fixture(scope="module")
def tinghu(platform):
    return platform.open_account("sec-county-th", "county_admin", county_code=TINGHU)


@pytest.fixture(scope="module")
def dafeng_volunteer(city):
    volunteer_id = city.post("/volunteers", registration(DAFENG)).json()["volunteer_id"]
    city.post(f"/volunteers/{volunteer_id}/verify", {"county_code": DAFENG})
    return volunteer_id


@pytest.mark.parametrize("granter", [" city_bureau", "city_bureau\t", "\u3000市委老干部局",
                                     "ｃｉｔｙ_bureau"])
def test_a_padded_or_look_alike_granter_is_refused_before_anything(city, tinghu, granter):
    branch_id = tinghu.post("/branches", branch_body(TINGHU)).json()["branch_id"]
    answer = tinghu.post(f"/branches/{branch_id}/certifications/grant", {
        "application_id": str(uuid.uuid4()), "granted_by": granter})
    body = assert_problem(answer, 422)
    assert "granted_by" in body["errors"]
    assert city.get(f"/branches/{branch_id}").json().get("certification_level") is None


def test_a_county_admin_decides_only_as_its_county_bureau(tinghu):
    branch_id = tinghu.post("/branches", branch_body(TINGHU)).json()["branch_id"]
    for granter in ("city_bureau", "市委老干部局", "agency_office", "市直单位老干部工作部门"):
        answer = tinghu.post(f"/branches/{branch_id}/certifications/grant", {
            "application_id": str(uuid.uuid4()), "granted_by": granter})
        assert_problem(answer, 403)


def test_another_county_s_volunteer_cannot_join_a_branch_or_a_team_and_looks_absent(
        tinghu, dafeng_volunteer):
    branch_id = tinghu.post("/branches", branch_body(TINGHU)).json()["branch_id"]
    team_id = tinghu.post("/teams", team_body(TINGHU)).json()["team_id"]
    unknown = str(uuid.uuid4())
    for volunteer_id in (dafeng_volunteer, unknown):
        joined = tinghu.post(f"/branches/{branch_id}/members", {"volunteer_id": volunteer_id})
        assert_problem(joined, 404)
        joined = tinghu.post(f"/teams/{team_id}/members", {"volunteer_id": volunteer_id})
        assert_problem(joined, 404)


def test_even_the_city_cannot_make_a_cross_county_membership(city, dafeng_volunteer):
    branch_id = city.post("/branches", branch_body(TINGHU)).json()["branch_id"]
    team_id = city.post("/teams", team_body(TINGHU)).json()["team_id"]
    assert_problem(city.post(f"/branches/{branch_id}/members",
                             {"volunteer_id": dafeng_volunteer}), 409)
    assert_problem(city.post(f"/teams/{team_id}/members",
                             {"volunteer_id": dafeng_volunteer}), 409)
    assert city.get(f"/branches/{branch_id}").json()["members"] == []


def test_a_roster_answers_refused_for_a_person_registered_in_another_county(city, tinghu):
    person = registration(DAFENG)
    city.post("/volunteers", person)
    again = {**person, "county_code": TINGHU}
    answer = tinghu.post("/volunteers/batch", {"items": [again]})
    assert answer.status_code == 200, answer.text
    [result] = answer.json()["results"]
    assert result["status"] == "refused" and "volunteer_id" not in result


def test_registering_a_person_of_another_county_answers_like_a_county_out_of_scope(
        city, tinghu):
    person = registration(DAFENG)
    city.post("/volunteers", person)
    refused = tinghu.post("/volunteers", {**person, "county_code": TINGHU})
    body = assert_problem(refused, 422)
    assert body["errors"] == {"county_code": ["Not a county in your scope."]}
    assert "already" not in refused.text


def test_a_volunteer_cannot_attach_their_record_to_a_branch(platform, city):
    volunteer_id = city.post("/volunteers", registration()).json()["volunteer_id"]
    own = platform.open_account(f"sec-v-{volunteer_id[:6]}", "volunteer", county_code=TINGHU,
                                volunteer_id=volunteer_id)
    answer = own.request("PATCH", f"/volunteers/{volunteer_id}",
                         json={"branch_id": str(uuid.uuid4())})
    assert "branch_id" in assert_problem(answer, 422)["errors"]


def test_free_text_with_control_characters_is_refused(city):
    for text in ("红色故事\x00进社区", "红色\x1b[31m故事", "故事\u202e区社进"):
        body = {**activity_body(TINGHU), "title": text}
        assert "title" in assert_problem(city.post("/activities", body), 422)["errors"]


@pytest.fixture(scope="module")
def at_the_door(platform, city):
    """An activity of 亭湖区 starting in half an hour, its code issued, a volunteer
    signed up with an account of their own."""
    volunteer_id = city.post("/volunteers", registration()).json()["volunteer_id"]
    city.post(f"/volunteers/{volunteer_id}/verify", {"county_code": TINGHU})
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    body = {**activity_body(TINGHU), "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat()}
    activity_id = city.post("/activities", body).json()["activity_id"]
    issued = city.post(f"/activities/{activity_id}/check-in-code", {"code": "HONGSE2026"})
    assert issued.status_code == 201, issued.text
    volunteer = platform.open_account(f"door-{volunteer_id[:6]}", "volunteer",
                                      county_code=TINGHU, volunteer_id=volunteer_id)
    signed = volunteer.post(f"/activities/{activity_id}/sign-ups",
                            {"volunteer_id": volunteer_id})
    assert signed.status_code == 201, signed.text
    return activity_id, volunteer_id, volunteer


def test_a_check_in_code_has_at_least_six_characters(city, at_the_door):
    activity_id, _, _ = at_the_door
    answer = city.post(f"/activities/{activity_id}/check-in-code",
                       {"code": "HS2026", "replace": True})
    assert answer.status_code == 201, answer.text
    short = city.post(f"/activities/{activity_id}/check-in-code",
                      {"code": "HS202", "replace": True})
    assert "code" in assert_problem(short, 422)["errors"]
    city.post(f"/activities/{activity_id}/check-in-code", {"code": "HONGSE2026",
                                                          "replace": True})


def test_a_volunteer_cannot_stamp_their_own_check_in_time(at_the_door):
    activity_id, volunteer_id, volunteer = at_the_door
    earlier = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    answer = volunteer.post(f"/activities/{activity_id}/check-ins", {
        "volunteer_id": volunteer_id, "code": "HONGSE2026", "at": earlier})
    assert "at" in assert_problem(answer, 422)["errors"]


def test_a_burst_of_wrong_codes_is_stopped_and_then_even_the_right_one_waits(at_the_door):
    activity_id, volunteer_id, volunteer = at_the_door
    wrong = {"volunteer_id": volunteer_id, "code": "WRONG1"}
    for _ in range(5):
        assert_problem(volunteer.post(f"/activities/{activity_id}/check-ins", wrong), 409)
    assert_problem(volunteer.post(f"/activities/{activity_id}/check-ins", wrong), 429)
    right = {"volunteer_id": volunteer_id, "code": "HONGSE2026"}
    assert_problem(volunteer.post(f"/activities/{activity_id}/check-ins", right), 429)


def test_the_city_erases_a_person_and_a_county_cannot(city, tinghu):
    volunteer_id = city.post("/volunteers", registration()).json()["volunteer_id"]
    assert_problem(tinghu.post(f"/volunteers/{volunteer_id}/erasure", {}), 403)
    erased = city.post(f"/volunteers/{volunteer_id}/erasure", {"basis": "person_request"})
    assert erased.status_code == 201, erased.text
    shown = city.get(f"/volunteers/{volunteer_id}").json()
    assert shown["name"] == "已注销" and shown["status"] == "erased"
    assert shown["id_number_masked"] is None and shown["phone_masked"] is None


def test_an_account_s_display_name_is_shown_but_kept_out_of_the_log(platform, city):
    opened = city.post("/accounts", {"username": "sec-named", "password": "named-password-1",
                                     "role": "county_admin", "county_code": TINGHU,
                                     "display_name": "上官秀英"})
    assert opened.status_code == 201, opened.text
    assert city.get("/accounts/sec-named").json()["display_name"] == "上官秀英"
    logged = [e for c in platform.db["commits"].find() for e in c["events"]]
    assert logged and "上官秀英" not in str(logged)


XIANGSHUI = "320921"  # a county no other test here writes to


def settled(read, pause: float = 1.5, attempts: int = 20):
    """The same answer twice in a row, `pause` apart (past the gateway's read cache)."""
    last = read()
    for _ in range(attempts):
        time.sleep(pause)
        now = read()
        if now == last:
            return now
        last = now
    raise AssertionError("the answer kept changing")


def test_erasure_leaves_nothing_of_the_person_and_the_rankings_unchanged(
        platform, city, mongo_client):
    person = registration(XIANGSHUI, name="慕容桂英", phone="13766667777")
    volunteer_id = city.post("/volunteers", person).json()["volunteer_id"]
    city.post(f"/volunteers/{volunteer_id}/verify", {"county_code": XIANGSHUI})
    recorded = city.post(f"/volunteers/{volunteer_id}/hours", {
        "entry_id": str(uuid.uuid4()), "hours": "7.5", "served_on": "2026-06-01",
        "source": "bureau"})
    assert recorded.status_code == 201, recorded.text

    def ranking() -> dict:
        return city.get(f"/rankings/counties/{XIANGSHUI}").json()

    def hours_counted() -> bool:
        rows = ranking()["rows"]
        return any(r["measure"] == "service_hours" and r["raw"] not in (None, "0", "0.0")
                   for r in rows)

    polling.eventually(hours_counted, timeout=30.0, every=0.3)
    before = settled(ranking)
    assert city.post(f"/volunteers/{volunteer_id}/erasure", {}).status_code == 201
    # past the gateway's one-second ranking cache, the ranking has not moved
    polling.throughout(lambda: ranking() == before, seconds=1.5, every=0.5)
    named = city.get(f"/rankings/counties/{XIANGSHUI}/volunteers").json()["items"]
    assert {v["name"] for v in named if v["volunteer_id"] == volunteer_id} == {"已注销"}
    prefix = platform.config["DB_PREFIX"]
    stored = b"".join(bson.encode(doc) for name in mongo_client.list_database_names()
                      if name.startswith(prefix)
                      for collection in mongo_client[name].list_collection_names()
                      for doc in mongo_client[name][collection].find())
    for trace in ("慕容桂英", "13766667777", person["id_number"]):
        assert trace.encode() not in stored, trace

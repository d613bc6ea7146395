"""Every role against every endpoint: deny by default, and county isolation by id-guessing.

A small world lives in 亭湖区 (a volunteer, a team, a branch, an activity, a wish). Each
route is called by each role with the world's ids: a role the route does not name gets
403; a role it names is never refused for its role. An admin of 大丰区 who guesses the
亭湖区 ids finds nothing (404, as for ids that do not exist), reads or writes; nor does
the admin of a city agency (市直单位), whose own agency's ids no county finds either.
"""
from __future__ import annotations

import re
import uuid

import pytest
from gateway_support import (
    DAFENG,
    EDUCATION,
    TINGHU,
    Api,
    activity_body,
    branch_body,
    registration,
    team_body,
    wish_body,
)

from gateway.roles import ROLES
from gateway.routing import ROUTES

PRINCIPALS = ("city", "county-th", "county-df", "agency-ed", "sec-th", "liaison-th", "vol-th",
              "feed", "ops")
ROLE_OF = {"city": "city_admin", "county-th": "county_admin", "county-df": "county_admin",
           "agency-ed": "agency_admin",
           "sec-th": "branch_secretary", "liaison-th": "branch_liaison",
           "vol-th": "volunteer", "feed": "feed_client", "ops": "ops"}
GUARDED = [r for r in ROUTES if not r.public]
POLICE = "3209A05"  # 市公安局: a city agency no principal here belongs to


@pytest.fixture(scope="module")
def world(platform, city):
    volunteer = city.post("/volunteers", registration()).json()["volunteer_id"]
    city.post(f"/volunteers/{volunteer}/verify", {"county_code": TINGHU})
    other_volunteer = city.post("/volunteers", registration()).json()["volunteer_id"]
    branch = city.post("/branches", branch_body()).json()["branch_id"]
    # organised by the secretary's branch: the secretary and liaison run it
    by_branch = {**activity_body(), "organiser": {"kind": "branch", "id": branch}}
    ids = {
        "volunteer_id": volunteer,
        "team_id": city.post("/teams", team_body()).json()["team_id"],
        "branch_id": branch,
        "activity_id": city.post("/activities", by_branch).json()["activity_id"],
        "wish_id": city.post("/wishes", wish_body()).json()["wish_id"],
        "county_code": TINGHU, "agency_code": POLICE, "username": "vol-th",
        "key_id": "0" * 16, "period": "2026",
        "service": "volunteers", "name": "swagger-ui.css", "profile": "full",
        "partner": "feed", "job_id": str(uuid.uuid4()), "year": "2026",
        "merge_id": str(uuid.uuid4()),  # none such: its routes answer 404 to whom they admit
        "transfer_id": str(uuid.uuid4()),  # none such, as merge_id
    }
    other_branch = city.post("/branches", branch_body()).json()["branch_id"]
    ids["report_id"] = city.request(
        "POST", "/reports", params={"kind": "annual_report", "year": 2026,
                                    "unit_code": TINGHU},
        data=b"%PDF-1.4\n%%EOF\n", headers={"Content-Type": "application/pdf"}).json()["report_id"]
    ids["code"] = city.post(f"/volunteers/{volunteer}/certificates", {}).json()["code"]
    clients = {
        "city": city,
        "county-th": platform.open_account("county-th", "county_admin", county_code=TINGHU),
        "county-df": platform.open_account("county-df", "county_admin", county_code=DAFENG),
        "agency-ed": platform.open_account("agency-ed", "agency_admin", county_code=EDUCATION),
        "sec-th": platform.open_account("sec-th", "branch_secretary", county_code=TINGHU,
                                        branch_id=ids["branch_id"]),
        "liaison-th": platform.open_account("liaison-th", "branch_liaison",
                                            county_code=TINGHU, branch_id=ids["branch_id"]),
        "vol-th": platform.open_account("vol-th", "volunteer", county_code=TINGHU,
                                        volunteer_id=volunteer),
        "ops": platform.open_account("ops", "ops"),
    }
    city.post("/accounts", {"username": "feed", "password": "feed-password-1",
                            "role": "feed_client"})
    key = city.post("/accounts/feed/api-keys", {"label": "大屏"}).json()["api_key"]
    clients["feed"] = Api(platform.base, headers={"X-Api-Key": key})
    ids["nomination_id"] = clients["county-th"].post("/nominations", {
        "volunteer_id": volunteer, "title": "positive_energy_star", "year": 2026,
        "deeds": "常年义务宣讲"}).json()["nomination_id"]
    ids["need_id"] = city.post("/talent/needs", {
        "county_code": TINGHU, "skills": ["law"], "starts_on": "2026-12-10",
        "ends_on": "2026-12-20"}).json()["need_id"]
    return {"ids": ids, "clients": clients, "other_volunteer": other_volunteer,
            "other_branch": other_branch}


def filled(path: str, ids: dict) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ids[m.group(1)], path)


def call(client: Api, route, ids: dict, body=None):
    kwargs = {}
    if route.body is not None:
        kwargs["json"] = {} if body is None else body
    params = {}
    if route.query is not None and "rulebook_a" in route.query().fields:
        params = {"rulebook_a": "2026.1", "rulebook_b": "2026.1"}
    if route.query is not None and "subject" in route.query().fields:
        params = {"subject": "county", "subject_id": TINGHU, "indicator": "coverage"}
    return client.request(route.method, filled(route.path, ids), params=params, **kwargs)


def test_every_route_names_known_roles():
    for route in GUARDED:
        assert route.roles and set(route.roles) <= set(ROLES), route.path


def test_the_roster_import_is_in_the_matrix_for_admins_and_feed_clients_only():
    roster = next(r for r in GUARDED if (r.method, r.path) == ("POST", "/volunteers/batch"))
    assert set(roster.roles) == {"city_admin", "county_admin", "agency_admin", "feed_client"}


def test_every_role_against_every_endpoint(world):
    ids, clients = world["ids"], world["clients"]
    wrong, served = [], 0
    for route in GUARDED:
        for name in PRINCIPALS:
            answer = call(clients[name], route, ids)
            allowed = ROLE_OF[name] in route.roles
            status = answer.status_code
            if not allowed and status != 403:
                wrong.append(f"{name} {route.method} {route.path}: {status}, expected 403")
            if allowed and (status in (401, 403) or (status >= 500 and status != 501)):
                wrong.append(f"{name} {route.method} {route.path}: {status} {answer.text}")
            served += allowed and status < 300
            if status >= 400:
                assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert not wrong, "\n".join(wrong)
    assert served >= 60, "the allowed calls should mostly be served"


@pytest.mark.parametrize("guesser_name", ["county-df", "agency-ed"])
def test_another_countys_ids_are_not_found_by_guessing(world, guesser_name):
    ids, guesser = world["ids"], world["clients"][guesser_name]
    role = ROLE_OF[guesser_name]
    # a year's city-wide figures (baselines, the top ten brands) are no county's to hide
    reads = [r for r in GUARDED if r.method == "GET" and r.path_params
             and role in r.roles and r.path_params not in (["username"], ["year"])]
    assert len(reads) >= 10
    for route in reads:
        answer = call(guesser, route, ids)
        assert answer.status_code == 404, f"{route.path}: {answer.status_code}"
    # the same ids exist: the city sees them
    assert world["clients"]["city"].get(f"/volunteers/{ids['volunteer_id']}").status_code == 200


def test_writes_on_another_countys_ids_are_not_found_and_change_nothing(world):
    ids, guesser, city = world["ids"], world["clients"]["county-df"], world["clients"]["city"]
    before = city.get(f"/volunteers/{ids['volunteer_id']}").json()
    attempts = [
        (f"/volunteers/{ids['volunteer_id']}/suspend", {"reason": "试探"}),
        (f"/volunteers/{ids['volunteer_id']}/hours", {
            "entry_id": "8d3f1c1e-0000-4000-8000-000000000001", "hours": 2,
            "served_on": "2026-01-05", "source": "bureau"}),
        (f"/teams/{ids['team_id']}/members", {"volunteer_id": ids["volunteer_id"]}),
        (f"/branches/{ids['branch_id']}/rename", {"name": "改名"}),
        (f"/activities/{ids['activity_id']}/cancel", {"reason": "试探"}),
        (f"/wishes/{ids['wish_id']}/release", {"reason": "试探"}),
    ]
    for path, body in attempts:
        assert guesser.post(path, body).status_code == 404, path
    assert city.get(f"/volunteers/{ids['volunteer_id']}").json() == before
    assert city.get(f"/branches/{ids['branch_id']}").json()["name"] == branch_body()["name"]


def test_a_county_admin_cannot_create_in_another_county(world):
    guesser, city = world["clients"]["county-df"], world["clients"]["city"]
    before = city.get("/volunteers", params={"county_code": TINGHU, "limit": 1}).json()["total"]
    assert guesser.post("/volunteers", registration(TINGHU)).status_code == 404
    assert guesser.get("/volunteers", params={"county_code": TINGHU}).status_code == 404
    after = city.get("/volunteers", params={"county_code": TINGHU, "limit": 1}).json()["total"]
    assert after == before


def test_a_county_admin_cannot_import_another_countys_volunteers(world):
    guesser, city = world["clients"]["county-df"], world["clients"]["city"]
    before = city.get("/volunteers", params={"county_code": TINGHU, "limit": 1}).json()["total"]
    answer = guesser.post("/volunteers/batch", {"items": [registration(TINGHU)]})
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["refused"]
    after = city.get("/volunteers", params={"county_code": TINGHU, "limit": 1}).json()["total"]
    assert after == before


def test_lists_of_a_county_admin_hold_only_its_county(world):
    county = world["clients"]["county-th"]
    items = county.get("/volunteers", params={"limit": 200}).json()["items"]
    assert items and {v["county_code"] for v in items} == {TINGHU}


def test_a_branch_secretary_sees_only_its_branch_and_a_volunteer_only_themself(world):
    secretary, volunteer = world["clients"]["sec-th"], world["clients"]["vol-th"]
    assert secretary.get(f"/branches/{world['ids']['branch_id']}").status_code == 200
    assert secretary.get(f"/branches/{world['other_branch']}").status_code == 404
    assert volunteer.get(f"/volunteers/{world['ids']['volunteer_id']}").status_code == 200
    assert volunteer.get(f"/volunteers/{world['other_volunteer']}").status_code == 404


def test_a_secretary_acts_for_their_own_branch_only(platform, world):
    """The secretary of another branch of the county is refused (403) on the branch's
    activity and wishes, and finds nothing of the branch itself; the secretary of a branch
    of another county finds none of it (404)."""
    ids, city = world["ids"], world["clients"]["city"]
    other_county_branch = city.post("/branches", branch_body(DAFENG)).json()["branch_id"]
    neighbour = platform.open_account("sec-th-2", "branch_secretary", county_code=TINGHU,
                                      branch_id=world["other_branch"])
    stranger = platform.open_account("sec-df", "branch_secretary", county_code=DAFENG,
                                     branch_id=other_county_branch)
    activity, wish = f"/activities/{ids['activity_id']}", f"/wishes/{ids['wish_id']}"
    as_branch = {"kind": "branch", "id": world["other_branch"]}
    on_the_branch_s_things = [
        (f"{activity}/cancel", {"reason": "试探"}),
        (f"{activity}/check-in-code", {"code": "ABCDEF12"}),
        (f"{activity}/sign-ups", {"volunteer_id": ids["volunteer_id"]}),
        (f"{activity}/completion", {"audience_reached": 1}),
        (f"{wish}/release", {"reason": "试探"}),
    ]
    for path, body in on_the_branch_s_things:
        assert neighbour.post(path, body).status_code == 403, path
        assert stranger.post(path, body).status_code == 404, path
    assert neighbour.post(f"{wish}/claim", {"claimant": {
        "kind": "branch", "id": ids["branch_id"]}}).status_code == 403
    assert stranger.post(f"{wish}/claim", {"claimant": as_branch}).status_code == 404
    branch = f"/branches/{ids['branch_id']}"
    for client in (neighbour, stranger):
        assert client.get(branch).status_code == 404
        assert client.post(f"{branch}/liaison", {
            "name": "试探", "username": "liaison-probe",
            "password": "probe-password-1"}).status_code == 404
    assert city.get("/accounts/liaison-probe").status_code == 404


def test_an_agencys_ids_are_its_admins_alone(world):
    """The city's records of 市教育局: its agency admin reads them; a county admin, a
    stranger to them, finds none; and the agency admin writes nothing of a county's."""
    city, agency = world["clients"]["city"], world["clients"]["agency-ed"]
    county = world["clients"]["county-th"]
    of_agency = registration(TINGHU, county_code=EDUCATION)
    volunteer = city.post("/volunteers", of_agency).json()["volunteer_id"]
    branch = city.post("/branches", branch_body(EDUCATION)).json()["branch_id"]
    activity = city.post("/activities", activity_body(EDUCATION)).json()["activity_id"]
    for path in (f"/volunteers/{volunteer}", f"/branches/{branch}", f"/activities/{activity}",
                 f"/rankings/agencies/{EDUCATION}"):
        assert agency.get(path).status_code == 200, path
        assert county.get(path).status_code == 404, path
    suspend = f"/volunteers/{world['ids']['volunteer_id']}/suspend"
    assert agency.post(suspend, {"reason": "试探"}).status_code == 404

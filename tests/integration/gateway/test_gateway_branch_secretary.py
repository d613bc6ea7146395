"""A branch secretary runs their own branch's activities and claims micro-wishes in its
name, through the gateway on the real services: publish, sign volunteers up, issue the
code, check them in and out, complete with hours; claim and fulfil a wish. Acting for
another branch of the county is a 403, anything of another county a 404, and neither
changes anything."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polling
import pytest
from gateway_support import DAFENG, TINGHU, activity_body, branch_body, registration, wish_body

CODE = "RUN2026"


def branch_row(secretary, branch_id: str, measure: str) -> Decimal:
    """The branch's raw figure of one measure in its ranking, as the secretary reads it."""
    answer = secretary.get(f"/rankings/branches/{branch_id}")
    assert answer.status_code == 200, answer.text
    raw = next(r["raw"] for r in answer.json()["rows"] if r["measure"] == measure)
    return Decimal(raw or 0)


def _ok(answer, status: int = 201) -> dict:
    assert answer.status_code == status, answer.text
    return answer.json()


def held_earlier_today(organiser: dict, county: str = TINGHU) -> dict:
    """An activity that started three hours ago and ended an hour ago."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    return {**activity_body(county), "organiser": organiser,
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}


def branch(branch_id: str) -> dict:
    return {"kind": "branch", "id": branch_id}


@pytest.fixture(scope="module")
def world(platform, city):
    own = _ok(city.post("/branches", branch_body()))["branch_id"]
    other = _ok(city.post("/branches", branch_body()))["branch_id"]
    far = _ok(city.post("/branches", branch_body(DAFENG)))["branch_id"]
    volunteers = []
    for _ in range(2):
        volunteer = _ok(city.post("/volunteers", registration()))["volunteer_id"]
        _ok(city.post(f"/volunteers/{volunteer}/verify", {"county_code": TINGHU}), 200)
        volunteers.append(volunteer)
    secretary = platform.open_account("sec-own", "branch_secretary", county_code=TINGHU,
                                      branch_id=own)
    return {"own": own, "other": other, "far": far, "volunteers": volunteers,
            "secretary": secretary}


def test_a_secretary_runs_an_activity_of_their_branch_from_publication_to_hours(world):
    secretary, volunteers = world["secretary"], world["volunteers"]
    activity = _ok(secretary.post("/activities", held_earlier_today(branch(world["own"]))))
    activity_id = activity["activity_id"]
    assert activity["organiser"] == branch(world["own"])
    start = datetime.fromisoformat(activity["starts_at"])

    def sign_up(volunteer: str):  # the activities service learns of the volunteer by event
        return secretary.post(f"/activities/{activity_id}/sign-ups", {
            "volunteer_id": volunteer, "at": (start - timedelta(hours=1)).isoformat()})

    for volunteer in volunteers:
        polling.eventually(lambda v=volunteer: sign_up(v).status_code == 201, timeout=30)
    _ok(secretary.post(f"/activities/{activity_id}/check-in-code", {
        "code": CODE, "at": (start - timedelta(minutes=10)).isoformat()}))
    for volunteer in volunteers:
        _ok(secretary.post(f"/activities/{activity_id}/check-ins", {
            "volunteer_id": volunteer, "code": CODE, "at": start.isoformat()}))
        _ok(secretary.post(f"/activities/{activity_id}/check-outs", {
            "volunteer_id": volunteer, "code": CODE,
            "at": (start + timedelta(hours=2)).isoformat()}))
    done = _ok(secretary.post(f"/activities/{activity_id}/completion", {
        "served": [{"volunteer_id": v, "hours": 2} for v in volunteers],
        "audience_reached": 40}))
    assert done["status"] == "completed"
    assert sorted(done["checked_in"]) == sorted(volunteers)
    assert done["total_hours"] == "4.0"

    listed = _ok(secretary.get("/activities", params={"branch_id": world["own"]}), 200)
    assert [a["activity_id"] for a in listed["items"]] == [activity_id]
    # the branch's ranking counts it
    polling.eventually(lambda: branch_row(secretary, world["own"], "activities_organised")
                       == 1, timeout=30)


def test_a_secretary_claims_and_fulfils_a_wish_for_their_branch(world, city):
    secretary = world["secretary"]
    wish_id = _ok(city.post("/wishes", wish_body()))["wish_id"]
    claimed = _ok(secretary.post(f"/wishes/{wish_id}/claim",
                                 {"claimant": branch(world["own"])}), 200)
    assert claimed["status"] == "claimed" and claimed["claimant"] == branch(world["own"])
    fulfilled = _ok(secretary.post(f"/wishes/{wish_id}/fulfil", {
        "fulfilled_by": branch(world["own"]),
        "evidence": ["https://example.org/photos/wish-1.jpg"]}), 200)
    assert fulfilled["status"] == "fulfilled"
    confirmed = _ok(city.post(f"/wishes/{wish_id}/confirm", {
        "confirmed_by": {"kind": "community", "id": "community-wuxing"}}), 200)
    assert confirmed["status"] == "confirmed"
    mine = _ok(secretary.get("/wishes", params={"branch_id": world["own"]}), 200)
    assert [w["wish_id"] for w in mine["items"]] == [wish_id]
    polling.eventually(lambda: branch_row(secretary, world["own"], "wishes_fulfilled")
                       == 1, timeout=30)


def test_a_secretary_publishes_nothing_for_another_branch_or_the_bureau(world, city):
    secretary = world["secretary"]
    for organiser in (branch(world["other"]), {"kind": "bureau", "id": f"county-{TINGHU}"},
                      {"kind": "team", "id": "8d3f1c1e-0000-4000-8000-000000000001"}):
        answer = secretary.post("/activities", held_earlier_today(organiser))
        assert answer.status_code == 403, answer.text
    answer = secretary.post("/activities", held_earlier_today(branch(world["own"]), DAFENG))
    assert answer.status_code == 404, answer.text
    listed = city.get("/activities", params={"branch_id": world["other"]}).json()
    assert listed["total"] == 0


def test_a_secretary_cannot_run_another_branch_s_activity(world, city):
    secretary, volunteer = world["secretary"], world["volunteers"][0]
    theirs = _ok(city.post("/activities", held_earlier_today(branch(world["other"]))))
    far = _ok(city.post("/activities", held_earlier_today(branch(world["far"]), DAFENG)))
    attempts = [
        ("cancel", {"reason": "试探"}),
        ("check-in-code", {"code": CODE}),
        ("sign-ups", {"volunteer_id": volunteer}),
        ("completion", {"audience_reached": 5}),
    ]
    for path, body in attempts:
        answer = secretary.post(f"/activities/{theirs['activity_id']}/{path}", body)
        assert answer.status_code == 403, f"{path}: {answer.text}"
        answer = secretary.post(f"/activities/{far['activity_id']}/{path}", body)
        assert answer.status_code == 404, f"{path}: {answer.text}"
    unchanged = city.get(f"/activities/{theirs['activity_id']}").json()
    assert unchanged["status"] == "published" and unchanged["participants"] == []
    assert unchanged["version"] == theirs["version"]


def test_a_secretary_claims_no_wish_for_another_branch_or_another_county(world, city):
    secretary = world["secretary"]
    wish_id = _ok(city.post("/wishes", wish_body()))["wish_id"]
    far_wish = _ok(city.post("/wishes", wish_body(DAFENG)))["wish_id"]
    for claimant in (branch(world["other"]), {"kind": "volunteer",
                                              "id": world["volunteers"][0]}):
        answer = secretary.post(f"/wishes/{wish_id}/claim", {"claimant": claimant})
        assert answer.status_code == 403, answer.text
    answer = secretary.post(f"/wishes/{far_wish}/claim", {"claimant": branch(world["own"])})
    assert answer.status_code == 404, answer.text
    # another branch's claim is not the secretary's to release
    _ok(city.post(f"/wishes/{wish_id}/claim", {"claimant": branch(world["other"])}), 200)
    answer = secretary.post(f"/wishes/{wish_id}/release", {"reason": "试探"})
    assert answer.status_code == 403, answer.text
    assert city.get(f"/wishes/{wish_id}").json()["claimant"] == branch(world["other"])


def test_a_secretary_account_names_a_branch_of_its_county(platform, world, city):
    county = platform.open_account("county-sec", "county_admin", county_code=TINGHU)
    body = {"username": "sec-opened", "password": "secretary-password-1",
            "role": "branch_secretary", "county_code": TINGHU}
    for branch_id in (world["far"], "8d3f1c1e-0000-4000-8000-00000000abcd"):
        for opener in (county, city):
            answer = opener.post("/accounts", {**body, "branch_id": branch_id})
            assert answer.status_code == 422, answer.text
            assert "branch_id" in answer.json()["errors"]
    assert city.get("/accounts/sec-opened").status_code == 404
    opened = _ok(county.post("/accounts", {**body, "branch_id": world["own"]}))
    assert (opened["role"], opened["branch_id"]) == ("branch_secretary", world["own"])
    secretary = platform.anonymous.login("sec-opened", "secretary-password-1")
    _ok(secretary.post("/activities", held_earlier_today(branch(world["own"]))))

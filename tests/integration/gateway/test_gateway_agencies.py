"""City agencies (市直单位) through the gateway, on the real services, broker and store:
their retiree offices (agency admins) register volunteers, establish branches and run
activities for their agency only; the agencies are ranked beside the counties."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polling
import pytest
from click.testing import CliRunner
from gateway_support import TINGHU, activity_body, branch_body, registration

from contracts.branches.catalog import load_checklists
from gateway.admin import main as create_admin
from yinfa.config import settings

EDUCATION, POLICE = "3209A03", "3209A05"  # 市教育局, 市公安局


def _ok(answer, status: int = 201) -> dict:
    assert answer.status_code == status, answer.text
    return answer.json()


def held_earlier_today(agency: str) -> dict:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    return {**activity_body(agency), "organiser": {"kind": "bureau", "id": f"agency-{agency}"},
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}


def of_agency(agency: str) -> dict:
    """A retiree of a city agency: born and living in 亭湖区, registered with the agency."""
    return registration(TINGHU, county_code=agency)


def serve(admin, agency: str, volunteers: int, hours: str) -> list[str]:
    ids = []
    for _ in range(volunteers):
        vid = _ok(admin.post("/volunteers", of_agency(agency)))["volunteer_id"]
        _ok(admin.post(f"/volunteers/{vid}/verify", {"county_code": agency}), 200)
        _ok(admin.post(f"/volunteers/{vid}/hours", {
            "entry_id": str(uuid.uuid4()), "hours": hours, "served_on": "2026-03-01",
            "source": "bureau"}))
        ids.append(vid)
    return ids


@pytest.fixture(scope="module")
def agencies(platform, city):
    """Two agencies' offices at work: 市公安局 with more volunteers per head, a branch and
    a completed activity; 市教育局 with fewer. Scoring has seen all of it."""
    education = platform.open_account("edu-office", "agency_admin", county_code=EDUCATION)
    police = platform.open_account("police-office", "agency_admin", county_code=POLICE)
    world = {"education": education, "police": police,
             "police_volunteers": serve(police, POLICE, 4, "6"),
             "education_volunteers": serve(education, EDUCATION, 1, "2")}
    world["police_branch"] = _ok(police.post("/branches", branch_body(POLICE)))["branch_id"]
    world["education_branch"] = _ok(education.post("/branches",
                                                   branch_body(EDUCATION)))["branch_id"]
    activity = _ok(police.post("/activities", held_earlier_today(POLICE)))["activity_id"]
    world["police_activity"] = activity
    _ok(police.post(f"/activities/{activity}/completion", {"audience_reached": 120}))

    def scored() -> bool:
        ranked = city.get("/rankings/agencies").json()["items"]
        rows = {a["agency_code"]: {r["code"]: r for r in a["rows"]} for a in ranked}
        return (rows[POLICE]["agency_volunteer_participation"]["raw"] == "4.0000"
                and rows[POLICE]["agency_theme_coverage"]["raw"] == "1.0000"
                and rows[EDUCATION]["agency_certification_coverage"]["denominator"] == "1")

    polling.eventually(scored, timeout=30.0, every=0.3)
    return world


def test_the_agencies_are_ranked_beside_the_counties(city, agencies):
    ranked = _ok(city.get("/rankings/agencies"), 200)["items"]

    assert len(ranked) == 10
    assert [a["agency_code"] for a in ranked[:2]] == [POLICE, EDUCATION]
    assert ranked[0]["agency_name"] == "市公安局" and ranked[0]["rank"] == 1
    assert Decimal(ranked[0]["total"]) > Decimal(ranked[1]["total"]) > 0
    counties = _ok(city.get("/rankings/counties"), 200)["items"]
    assert POLICE not in {c["county_code"] for c in counties}


def test_an_agency_is_explained_row_by_row_with_the_events_behind_a_row(city, agencies):
    explained = _ok(city.get(f"/rankings/agencies/{POLICE}"), 200)
    rows = {row["code"]: row for row in explained["rows"]}
    assert rows["agency_volunteer_participation"]["denominator"] == "460"
    assert sum(Decimal(r["points"]) for r in explained["rows"]) == Decimal(explained["total"])

    evidence = _ok(city.get("/rankings/evidence", params={
        "subject": "agency", "subject_id": POLICE,
        "indicator": "agency_volunteer_participation"}), 200)
    assert len(evidence["event_ids"]) == 4


def test_as_of_before_the_agencies_served_they_had_nothing(city, agencies):
    first = _ok(city.get("/rankings/timeline"), 200)["first_event_at"]
    then = _ok(city.get(f"/rankings/agencies/{POLICE}", params={"as_of": first}), 200)
    now = _ok(city.get(f"/rankings/agencies/{POLICE}"), 200)
    assert Decimal(then["total"]) < Decimal(now["total"])


def test_an_agency_admin_sees_its_own_agency_and_no_other_unit(agencies):
    police = agencies["police"]
    volunteer = agencies["police_volunteers"][0]
    other = agencies["education_volunteers"][0]

    assert police.get(f"/volunteers/{volunteer}").status_code == 200
    assert police.get(f"/volunteers/{other}").status_code == 404
    assert police.get(f"/branches/{agencies['police_branch']}").status_code == 200
    assert police.get(f"/branches/{agencies['education_branch']}").status_code == 404
    assert police.get(f"/activities/{agencies['police_activity']}").status_code == 200
    assert police.get(f"/rankings/agencies/{POLICE}").status_code == 200
    assert police.get(f"/rankings/agencies/{EDUCATION}").status_code == 404
    assert police.get(f"/rankings/counties/{TINGHU}").status_code == 404
    listed = _ok(police.get("/volunteers"), 200)["items"]
    assert {v["county_code"] for v in listed} == {POLICE}
    assert police.get("/volunteers", params={"county_code": EDUCATION}).status_code == 404


def test_an_agency_admin_cannot_register_for_another_unit(agencies):
    police = agencies["police"]

    assert police.post("/volunteers", of_agency(EDUCATION)).status_code == 404
    assert police.post("/volunteers", registration(TINGHU)).status_code == 404
    assert police.post("/branches", branch_body(TINGHU)).status_code == 404


def test_an_unknown_agency_code_is_a_422_naming_the_field(city):
    answer = city.post("/volunteers", of_agency("3209A99"))
    assert answer.status_code == 422
    assert "county_code" in answer.json()["errors"]
    branch = city.post("/branches", branch_body("3209A99"))
    assert branch.status_code == 422 and "county_code" in branch.json()["errors"]
    assert city.get("/rankings/agencies/3209A99").status_code == 404


def test_an_agency_office_opens_its_own_volunteers_accounts_only(city, agencies):
    police = agencies["police"]
    volunteer = agencies["police_volunteers"][1]
    opened = police.post("/accounts", {
        "username": "police-volunteer", "password": "a-long-password-2", "role": "volunteer",
        "county_code": POLICE, "volunteer_id": volunteer})
    assert opened.status_code == 201, opened.text
    foreign = police.post("/accounts", {
        "username": "edu-volunteer", "password": "a-long-password-2", "role": "volunteer",
        "county_code": EDUCATION, "volunteer_id": agencies["education_volunteers"][0]})
    assert foreign.status_code == 403
    wrong_unit = city.post("/accounts", {
        "username": "agency-at-county", "password": "a-long-password-2",
        "role": "agency_admin", "county_code": TINGHU})
    assert wrong_unit.status_code == 422 and "county_code" in wrong_unit.json()["errors"]


def test_create_admin_opens_an_agency_admin(platform, mongo_uri, monkeypatch):
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("YINFA_DB_PREFIX", platform.db.name.removesuffix("_gateway"))
    settings.cache_clear()  # the command reads them, as its own process would
    env = {"YINFA_ADMIN_PASSWORD": "a-long-password-3"}
    try:
        result = CliRunner().invoke(create_admin, ["--username", "health-office", "--role",
                                                   "agency_admin", "--unit", "3209A04"], env=env)
        assert result.exit_code == 0, result.output
        office = platform.anonymous.login("health-office", "a-long-password-3")
        me = _ok(office.get("/me"), 200)
        assert (me["role"], me["county_code"]) == ("agency_admin", "3209A04")
        county = CliRunner().invoke(create_admin, ["--username", "not-an-agency", "--role",
                                                   "agency_admin", "--unit", TINGHU], env=env)
        assert county.exit_code == 2 and "county_code" in county.output
    finally:
        settings.cache_clear()


def test_an_agencys_branches_and_volunteers_are_ranked_among_its_own(agencies):
    police, education = agencies["police"], agencies["education"]

    volunteers = _ok(police.get(f"/rankings/agencies/{POLICE}/volunteers"), 200)
    assert {v["volunteer_id"] for v in volunteers["items"]} == set(agencies["police_volunteers"])
    assert all(v["name"] == "王建国" for v in volunteers["items"])
    branches = _ok(police.get(f"/rankings/agencies/{POLICE}/branches"), 200)
    assert [b["branch_id"] for b in branches["items"]] == [agencies["police_branch"]]
    assert education.get(f"/rankings/agencies/{POLICE}/volunteers").status_code == 404
    assert police.get(f"/rankings/agencies/{TINGHU}/branches").status_code == 404


def test_an_agency_without_volunteers_ranks_none(city, agencies):
    science = _ok(city.get("/rankings/agencies/3209A08/volunteers"), 200)  # 市科学技术局
    assert (science["items"], science["total"]) == ([], 0)
    binhai = _ok(city.get("/rankings/counties/320922/volunteers"), 200)  # 滨海县: none here
    assert binhai["items"] == []


def test_the_agencies_ranking_and_an_agencys_roster_export_as_spreadsheets(city, agencies):
    ranking = city.get("/exports/agency-ranking", params={"format": "csv"})
    assert ranking.status_code == 200, ranking.text
    text = ranking.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("排名,市直单位代码,市直单位,总分")
    assert f"1,{POLICE},市公安局" in text

    police, education = agencies["police"], agencies["education"]
    roster = police.get(f"/exports/agencies/{POLICE}/volunteers", params={"format": "xlsx"})
    assert roster.status_code == 200, roster.text
    assert roster.content[:2] == b"PK"  # an XLSX is a zip
    assert education.get(f"/exports/agencies/{POLICE}/volunteers",
                         params={"format": "csv"}).status_code == 404


def test_an_agency_office_certifies_its_own_branch_and_no_county_s(city, agencies):
    police, branch = agencies["police"], agencies["police_branch"]
    items = load_checklists()["liuyou_yitisheng"].items
    application = _ok(police.post(f"/branches/{branch}/certifications", {
        "level": "standard", "checklist": "liuyou_yitisheng", "applicant": "李秀英",
        "evidence": [{"item": item.code, "text": "台账齐全"} for item in items]}))
    application_id = application["applications"][-1]["application_id"]
    _ok(police.post(f"/branches/{branch}/certifications/reviews", {
        "application_id": application_id, "reviewer": "市公安局老干部处",
        "items": [{"item": item.code, "met": True} for item in items]}), 200)
    as_county = police.post(f"/branches/{branch}/certifications/grant", {
        "application_id": application_id, "granted_by": "county_bureau"})
    assert as_county.status_code == 403, as_county.text  # it decides as its own office only
    assert city.get(f"/branches/{branch}").json().get("certification_level") is None
    granted = police.post(f"/branches/{branch}/certifications/grant", {
        "application_id": application_id, "granted_by": "agency_office"})
    assert granted.status_code == 200, granted.text
    assert city.get(f"/branches/{branch}").json()["certification_level"] == "standard"

    tinghu_branch = _ok(city.post("/branches", branch_body(TINGHU)))["branch_id"]
    assert police.post(f"/branches/{tinghu_branch}/certifications/grant", {
        "application_id": application_id, "granted_by": "agency_office"}).status_code == 404


def test_the_branches_directory_knows_an_agencys_volunteers_as_the_agencys(city, agencies):
    """The branches service's replica of the volunteers carries the agency's code: the
    agency's volunteer joins the agency's branch; a volunteer of another unit cannot."""
    branch = f"/branches/{agencies['police_branch']}/members"
    own, other = agencies["police_volunteers"][2], agencies["education_volunteers"][0]

    polling.eventually(lambda: city.post(branch, {"volunteer_id": own}).status_code == 201,
                       timeout=30.0, every=0.3)
    refused = city.post(branch, {"volunteer_id": other})
    assert refused.status_code == 409 and "volunteer_id" in refused.json()["errors"]

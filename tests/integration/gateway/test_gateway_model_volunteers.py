"""Model volunteers and the talent pool over HTTP, on the real broker and store: a county
bureau nominates within its quota, the county and the city review, the city announces,
and the title shows on the volunteer's record and certificate; the pool is searched and
masked by role, and a posted need is answered with who matches."""
from __future__ import annotations

import json

import pytest
from gateway_support import DAFENG, TINGHU, registration

from gateway.exports.certificate import certificate_lines

PROBLEM = "application/problem+json"
DEEDS = "退休后十年如一日在社区义务宣讲党史，听众逾万人次"


@pytest.fixture(scope="module")
def tinghu(platform):
    return platform.open_account("model-th", "county_admin", county_code=TINGHU)


@pytest.fixture(scope="module")
def dafeng(platform):
    return platform.open_account("model-df", "county_admin", county_code=DAFENG)


def problem(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    return answer.json()


def serving(county, county_code: str = TINGHU, **profile) -> str:
    """A verified volunteer of the county with a day of service on the ledger."""
    volunteer_id = county.post("/volunteers", registration(county_code, **profile)).json()[
        "volunteer_id"]
    county.post(f"/volunteers/{volunteer_id}/verify", {"county_code": county_code})
    answer = county.post(f"/volunteers/{volunteer_id}/hours", {
        "entry_id": f"6f1d2c3b-0000-4000-8000-{volunteer_id[-12:]}",
        "hours": 8, "served_on": "2026-10-23", "source": "bureau"})
    assert answer.status_code == 201, answer.text
    return volunteer_id


def nominating(county, volunteer_id: str, title: str = "model_volunteer", year: int = 2026):
    return county.post("/nominations", {"volunteer_id": volunteer_id, "title": title,
                                        "year": year, "deeds": DEEDS})


def test_a_nomination_goes_through_to_announcement_and_shows_on_record_and_certificate(
        platform, city, tinghu, dafeng):
    wang, li = serving(tinghu), serving(tinghu)

    nominated = nominating(tinghu, wang)
    assert nominated.status_code == 201, nominated.text
    nomination = nominated.json()
    assert nomination["status"] == "nominated" and nomination["verified_hours"] == "8.0"
    assert nomination["name"] == "王建国" and nomination["title_label"] == "最美老干部志愿者"
    assert nominated.headers["Location"] == f"/nominations/{nomination['nomination_id']}"
    assert tinghu.get(nominated.headers["Location"]).json()["deeds"] == DEEDS
    other = nominating(tinghu, li).json()

    # the other county's bureau finds neither the nomination nor anything in its list
    problem(dafeng.get(f"/nominations/{nomination['nomination_id']}"), 404)
    problem(dafeng.post(f"/nominations/{nomination['nomination_id']}/review",
                        {"decision": "approved"}), 404)
    assert dafeng.get("/nominations").json()["items"] == []

    # county first, then the city; the other nomination is sent back with a reason code
    path = f"/nominations/{nomination['nomination_id']}/review"
    problem(city.post(path, {"decision": "approved"}), 409)  # not yet past the county
    assert tinghu.post(path, {"decision": "approved"}).json()["status"] == "county_approved"
    assert city.post(path, {"decision": "approved"}).json()["status"] == "city_approved"
    rejected = tinghu.post(f"/nominations/{other['nomination_id']}/review",
                           {"decision": "rejected", "reason_code": "deeds_insufficient"})
    assert rejected.json()["status"] == "rejected", rejected.text

    problem(tinghu.post("/titles/announcements", {"title": "model_volunteer", "year": 2026}),
            403)
    announced = city.post("/titles/announcements", {"title": "model_volunteer", "year": 2026})
    assert announced.status_code == 201, announced.text
    assert announced.json()["awarded"] == [wang]

    record = tinghu.get(f"/volunteers/{wang}").json()
    assert [(t["title"], t["label"], t["year"]) for t in record["titles"]] == [
        ("model_volunteer", "最美老干部志愿者", 2026)]
    assert tinghu.get(f"/volunteers/{li}").json()["titles"] == []

    issued = tinghu.post(f"/volunteers/{wang}/certificates", {})
    assert issued.status_code == 201, issued.text
    assert issued.json()["titles"] == [{"title": "model_volunteer", "year": 2026}]
    assert "荣誉称号：2026年度最美老干部志愿者" in certificate_lines(issued.json(), "https://x")
    pdf = tinghu.get(issued.headers["Location"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # after the announcement the year is closed for this title
    problem(nominating(tinghu, serving(tinghu)), 409)


def test_the_deeds_stay_out_of_the_log_and_views(platform, mongo_client, tinghu):
    volunteer_id = serving(tinghu)
    assert nominating(tinghu, volunteer_id, "positive_energy_star").status_code == 201
    db = mongo_client[f"{platform.config['DB_PREFIX']}_volunteers"]
    for name in db.list_collection_names():
        if name != "nomination_deeds":
            text = json.dumps(list(db[name].find()), default=str, ensure_ascii=False)
            assert DEEDS not in text, name


def test_a_nomination_over_the_countys_quota_is_a_409_naming_the_quota(tinghu, city):
    first, second, third = (serving(tinghu) for _ in range(3))
    assert nominating(tinghu, first, "double_advanced", 2025).status_code == 201

    refused = problem(nominating(tinghu, second, "double_advanced", 2025), 409)

    assert refused["code"] == "rule_violated" and "quota" in refused["detail"]
    items = city.get("/nominations", params={"title": "double_advanced", "year": 2025,
                                             "county_code": TINGHU}).json()["items"]
    assert [n["volunteer_id"] for n in items] == [first]
    assert third


@pytest.mark.parametrize("action, body", [
    ("suspend", {"reason": "长期联系不上"}), ("withdraw", {"reason_code": "health"})])
def test_a_suspended_or_withdrawn_volunteer_cannot_be_nominated(tinghu, action, body):
    volunteer_id = serving(tinghu)
    assert tinghu.post(f"/volunteers/{volunteer_id}/{action}", body).status_code == 200

    refused = problem(nominating(tinghu, volunteer_id, "positive_energy_star", 2024), 409)

    assert refused["code"] == "rule_violated"


@pytest.mark.parametrize("body, field", [
    ({"title": "劳动模范"}, "title"), ({"year": 1990}, "year"), ({"deeds": " "}, "deeds"),
    ({"county_code": DAFENG}, "county_code")])
def test_bad_nominations_are_422_and_change_nothing(tinghu, body, field):
    volunteer_id = serving(tinghu)
    base = {"volunteer_id": volunteer_id, "title": "model_volunteer", "year": 2023,
            "deeds": DEEDS}

    refused = problem(tinghu.post("/nominations", {**base, **body}), 422)

    assert field in refused["errors"]
    assert tinghu.get("/nominations", params={"year": 2023}).json()["items"] == []


def test_a_rejection_without_a_reason_code_is_422(tinghu):
    nomination = nominating(tinghu, serving(tinghu), "positive_energy_star", 2023).json()
    refused = problem(tinghu.post(f"/nominations/{nomination['nomination_id']}/review",
                                  {"decision": "rejected"}), 422)
    assert "reason_code" in refused["errors"]


# ---- the talent pool --------------------------------------------------------------------


def test_the_talent_pool_finds_by_skill_speciality_and_availability_masked_by_role(
        platform, city, tinghu):
    lawyer = serving(tinghu, skills=["law"], former_employer="亭湖区司法局")
    doctor = serving(tinghu, skills=["medicine"])
    profile = tinghu.request("PUT", f"/volunteers/{lawyer}/talent", json={
        "specialities": ["civil_law"], "former_post": "party_government_staff",
        "availability": ["weekends"]})
    assert profile.status_code == 200, profile.text

    found = tinghu.get("/talent", params={"skill": "law", "speciality": "civil_law",
                                          "availability": "weekends"}).json()
    assert [v["volunteer_id"] for v in found["items"]] == [lawyer]
    card = found["items"][0]
    assert card["former_post"] == "party_government_staff"
    assert card["id_number_masked"].count("*") >= 8 and "id_number" not in card
    by_employer = city.get("/talent", params={"former_employer": "司法局"}).json()["items"]
    assert lawyer in [v["volunteer_id"] for v in by_employer]
    assert doctor not in [v["volunteer_id"] for v in by_employer]

    secretary = platform.open_account("talent-sec", "branch_secretary", county_code=TINGHU,
                                      branch_id="b7a1c2d3-0000-4000-8000-000000000001")
    seen = secretary.get("/talent", params={"skill": "law"}).json()["items"]
    assert seen and all(v["id_number_masked"] is None and v["phone_masked"] is None
                        for v in seen)
    assert {v["county_code"] for v in seen} == {TINGHU}


@pytest.mark.parametrize("params", [{"skill": "astrology"}, {"speciality": "x"},
                                    {"availability": "nights"}, {"min_star_level": "many"}])
def test_unknown_talent_filters_are_422(tinghu, params):
    assert "errors" in problem(tinghu.get("/talent", params=params), 422)


def test_a_posted_need_is_answered_with_the_matching_volunteers(platform, tinghu, dafeng):
    farmer = serving(tinghu, skills=["agriculture"])
    tinghu.request("PUT", f"/volunteers/{farmer}/talent", json={"specialities": ["aquaculture"]})
    serving(tinghu, skills=["culture"])

    posted = tinghu.post("/talent/needs", {
        "county_code": TINGHU, "skills": ["agriculture"], "specialities": ["aquaculture"],
        "starts_on": "2026-12-10", "ends_on": "2026-12-20"})

    assert posted.status_code == 201, posted.text
    need = posted.json()
    assert need["matches"][0]["volunteer_id"] == farmer
    assert need["matches"][0]["matched"] == ["agriculture", "aquaculture"]
    assert all("culture" not in m["skills"] for m in need["matches"])
    again = tinghu.get(posted.headers["Location"]).json()
    assert again["matches"][0]["volunteer_id"] == farmer
    problem(dafeng.get(posted.headers["Location"]), 404)
    problem(dafeng.post("/talent/needs", {"county_code": TINGHU, "skills": ["law"],
                                          "starts_on": "2026-12-10",
                                          "ends_on": "2026-12-20"}), 404)
    bad = problem(tinghu.post("/talent/needs", {"county_code": TINGHU, "skills": [],
                                                "starts_on": "2026-12-10",
                                                "ends_on": "2026-12-01"}), 422)
    assert "skills" in bad["errors"]

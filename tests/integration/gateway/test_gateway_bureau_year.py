"""A bureau's year over HTTP, as its users live it, on the real services, broker and store.

The city opens the accounts of a county bureau (亭湖区), a city agency's retiree office
(市公安局) and a branch secretary; volunteers register with the county and the agency, each
of which has a branch; the county hands in its documents by their due dates; the secretary
runs the branch's activity from publication to hours and claims a micro-wish for the branch,
which the county confirms; the agency's branch serves too. The rankings then follow from
what was done: the active agency ahead of a quiet one, the county counting the secretary's
work. A volunteer is nominated, reviewed by county and city and announced; the title is on
the record and the certificate. At the year's end the city publishes the assessment, and
the baselines it was ranked by answer for the year, frozen.

Every figure asserted is derived from the steps (hours served, audience, baselines read
over HTTP), so a step that silently did nothing fails the story.
"""
from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import polling
from gateway_support import TINGHU, Api, branch_body, registration, wish_body

from gateway.exports.certificate import certificate_lines

POLICE, HEALTH = "3209A05", "3209A04"  # 市公安局 (the active agency), 市卫生健康委员会
CITY_CLOCK = ZoneInfo("Asia/Shanghai")
PASSWORD = "year-long-password-1"
CODE = "YEAR2026"
HOURS, AGENCY_HOURS = Decimal(2), Decimal("1.5")  # of a two-hour activity
AUDIENCE, AGENCY_AUDIENCE = 40, 60
DEEDS = "退休后坚持在社区宣讲党史，带动身边老同志参与志愿服务"


def ok(answer, status: int = 201) -> dict:
    assert answer.status_code == status, f"{answer.request.method} {answer.url}: {answer.text}"
    return answer.json()


def eventually(check, timeout: float = 30.0):
    """The shared poller: `check`'s first true answer, within `timeout` seconds."""
    return polling.eventually(check, timeout=timeout, every=0.3)


def pdf(text: str) -> bytes:
    return b"%PDF-1.4\n%" + text.encode() + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def rows(explained: dict) -> dict[str, dict]:
    return {row["code"]: row for row in explained["rows"]}


def raw(row: dict) -> Decimal:
    return Decimal(row["raw"] or 0)


def open_account(city: Api, platform, username: str, role: str, **scope) -> Api:
    """The city opens an account over HTTP; its holder signs in with it."""
    opened = ok(city.post("/accounts", {"username": username, "password": PASSWORD,
                                        "role": role, **scope}))
    assert (opened["role"], opened.get("county_code")) == (role, scope.get("county_code"))
    user = platform.anonymous.login(username, PASSWORD)
    me = ok(user.get("/me"), 200)
    assert (me["role"], me["county_code"]) == (role, scope["county_code"])
    return user


def register_verified(admin: Api, unit: str, count: int) -> list[str]:
    """Retirees registered with the unit (a county or an agency) and verified by it."""
    ids = []
    for _ in range(count):
        volunteer = ok(admin.post("/volunteers", registration(TINGHU, county_code=unit)))
        assert volunteer["county_code"] == unit and volunteer["status"] == "registered"
        verified = ok(admin.post(f"/volunteers/{volunteer['volunteer_id']}/verify",
                                 {"county_code": unit}), 200)
        assert verified["verified"] is True
        ids.append(volunteer["volunteer_id"])
    return ids


def held_earlier_today(unit: str, branch_id: str, theme: str, title: str) -> dict:
    """An activity of the branch that started three hours ago and ended an hour ago."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    return {"theme": theme, "kind": "talk", "title": title,
            "organiser": {"kind": "branch", "id": branch_id}, "county_code": unit,
            "place": "新时代文明实践站", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 20}


def run_activity(organiser: Api, activity: dict, volunteers: list[str], hours: Decimal,
                 audience: int) -> dict:
    """Sign the volunteers up, issue the code, check them in and out, complete with hours."""
    activity_id = activity["activity_id"]
    start = datetime.fromisoformat(activity["starts_at"])

    def sign_up(volunteer: str) -> bool:  # the activities service learns of them by event
        return organiser.post(f"/activities/{activity_id}/sign-ups", {
            "volunteer_id": volunteer,
            "at": (start - timedelta(hours=1)).isoformat()}).status_code == 201

    for volunteer in volunteers:
        eventually(lambda v=volunteer: sign_up(v))
    ok(organiser.post(f"/activities/{activity_id}/check-in-code", {
        "code": CODE, "at": (start - timedelta(minutes=10)).isoformat()}))
    for volunteer in volunteers:
        ok(organiser.post(f"/activities/{activity_id}/check-ins", {
            "volunteer_id": volunteer, "code": CODE, "at": start.isoformat()}))
        ok(organiser.post(f"/activities/{activity_id}/check-outs", {
            "volunteer_id": volunteer, "code": CODE,
            "at": (start + timedelta(hours=2)).isoformat()}))
    done = ok(organiser.post(f"/activities/{activity_id}/completion", {
        "served": [{"volunteer_id": v, "hours": str(hours)} for v in volunteers],
        "audience_reached": audience}))
    assert done["status"] == "completed"
    assert sorted(done["checked_in"]) == sorted(volunteers)
    assert Decimal(done["total_hours"]) == hours * len(volunteers)
    return done


def test_a_bureau_s_year_through_the_gateway(platform, city):
    year = datetime.now(CITY_CLOCK).year
    period = {"period": year}

    # ---- the city opens the accounts; the units set up their branches ------------------
    county = open_account(city, platform, "year-tinghu", "county_admin", county_code=TINGHU)
    agency = open_account(city, platform, "year-police", "agency_admin", county_code=POLICE)
    county_branch = ok(county.post("/branches", branch_body(TINGHU)))["branch_id"]
    agency_branch = ok(agency.post("/branches", branch_body(POLICE)))["branch_id"]
    secretary = open_account(city, platform, "year-secretary", "branch_secretary",
                             county_code=TINGHU, branch_id=county_branch)
    assert ok(secretary.get("/me"), 200)["branch_id"] == county_branch
    # a unit's admin sees its own unit's branch only
    assert county.get(f"/branches/{agency_branch}").status_code == 404
    assert agency.get(f"/branches/{county_branch}").status_code == 404

    # ---- volunteers register with the county and with the agencies ---------------------
    county_volunteers = register_verified(county, TINGHU, 2)
    agency_volunteers = register_verified(agency, POLICE, 2)
    quiet_volunteer = ok(city.post("/volunteers", registration(TINGHU, county_code=HEALTH)))
    assert agency.post("/volunteers", registration(TINGHU)).status_code == 404

    # ---- the county hands in its documents by their due dates --------------------------
    # this year's 专题报告 (due 12-31) and next year's 具体实施计划 (due 08-31): both
    # are before their due dates whatever day of the year the story runs on
    submitted = {}
    for kind, for_year, text in (("annual_report", year, "专题报告"),
                                 ("implementation_plan", year + 1, "具体实施计划")):
        document = pdf(text)
        answer = county.request("POST", "/reports", params={"kind": kind, "year": for_year},
                                data=document, headers={"Content-Type": "application/pdf"})
        report = ok(answer)
        due = "12-31" if kind == "annual_report" else "08-31"
        assert report["due_on"] == f"{for_year}-{due}" and report["on_time"] is True
        assert (report["unit_code"], report["unit_kind"]) == (TINGHU, "county")
        assert report["sha256"] == hashlib.sha256(document).hexdigest()
        assert report["submitted_by"] == "county_admin:year-tinghu"
        download = county.get(f"/reports/{report['report_id']}/file")
        assert download.status_code == 200 and download.content == document
        submitted[report["report_id"]] = report
    listed = ok(city.get("/reports", params={"unit_code": TINGHU}), 200)["items"]
    assert {r["report_id"] for r in listed} == set(submitted)
    assert agency.get(f"/reports/{next(iter(submitted))}").status_code == 404

    # ---- the secretary runs the branch's activity, from publication to hours -----------
    published = ok(secretary.post("/activities", held_earlier_today(
        TINGHU, county_branch, "party_story", "红色故事进社区")))
    assert published["organiser"] == {"kind": "branch", "id": county_branch}
    run_activity(secretary, published, county_volunteers, HOURS, AUDIENCE)
    # the hours reach each volunteer's ledger
    for volunteer in county_volunteers:
        eventually(lambda v=volunteer: Decimal(ok(county.get(
            f"/volunteers/{v}/hours"), 200)["activity_hours"]) == HOURS)
    mine = ok(secretary.get("/activities", params={"branch_id": county_branch}), 200)
    assert [a["activity_id"] for a in mine["items"]] == [published["activity_id"]]

    # ---- a micro-wish: the county posts it, the secretary claims and fulfils it for the
    # branch, the county confirms the fulfilment
    wish_id = ok(county.post("/wishes", wish_body(TINGHU)))["wish_id"]
    for_branch = {"kind": "branch", "id": county_branch}
    claimed = ok(secretary.post(f"/wishes/{wish_id}/claim", {"claimant": for_branch}), 200)
    assert (claimed["status"], claimed["claimant"]) == ("claimed", for_branch)
    fulfilled = ok(secretary.post(f"/wishes/{wish_id}/fulfil", {
        "fulfilled_by": for_branch, "evidence": ["https://example.org/photos/wish.jpg"]}), 200)
    assert fulfilled["status"] == "fulfilled"
    assert secretary.post(f"/wishes/{wish_id}/confirm", {
        "confirmed_by": {"kind": "bureau", "id": f"county-{TINGHU}"}}).status_code == 403
    confirmed = ok(county.post(f"/wishes/{wish_id}/confirm", {
        "confirmed_by": {"kind": "community", "id": "community-wuxing"}}), 200)
    assert confirmed["status"] == "confirmed"

    # ---- the agency's branch serves too -------------------------------------------------
    agency_activity = ok(agency.post("/activities", held_earlier_today(
        POLICE, agency_branch, "youth_cultivation", "法治教育进校园")))
    run_activity(agency, agency_activity, agency_volunteers, AGENCY_HOURS, AGENCY_AUDIENCE)
    # and its office hands in the activity's pictures (活动文件、图片资料, due 12-31)
    picture = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
    files = ok(agency.request("POST", "/reports", params={"kind": "activity_files",
                                                          "year": year},
                              data=picture, headers={"Content-Type": "image/png"}))
    assert (files["unit_kind"], files["unit_code"], files["on_time"]) == ("agency", POLICE, True)
    assert county.get(f"/reports/{files['report_id']}").status_code == 404

    # ---- the year's baselines: the denominators every rate below is divided by ----------
    baselines = ok(city.get(f"/baselines/{year}"), 200)
    assert baselines["year"] == year and baselines["figures_year"] <= year
    assert baselines["frozen"] is False
    cadres = {u["code"]: Decimal(u["retired_cadres"])
              for kind in ("counties", "agencies") for u in baselines["units"][kind]}
    assert {TINGHU, POLICE, HEALTH} <= set(cadres)

    # ---- the agencies' ranking: the active agency first, the quiet one next -------------
    def explained(code: str) -> dict[str, dict]:
        return rows(ok(city.get(f"/rankings/agencies/{code}", params=period), 200))

    def agencies_scored() -> tuple[dict, dict] | None:
        police, quiet = explained(POLICE), explained(HEALTH)
        done = (raw(police["agency_service_hours"]) == AGENCY_HOURS * 2
                and raw(police["agency_volunteer_participation"]) == 2
                and raw(quiet["agency_volunteer_participation"]) == 1)
        return (police, quiet) if done else None

    police, quiet = eventually(agencies_scored)
    assert Decimal(police["agency_volunteer_participation"]["denominator"]) == cadres[POLICE]
    assert Decimal(quiet["agency_volunteer_participation"]["denominator"]) == cadres[HEALTH]
    assert raw(police["agency_theme_coverage"]) == 1
    assert raw(police["agency_audience_reached"]) == AGENCY_AUDIENCE
    assert raw(police["agency_active_volunteers"]) == 2
    assert raw(quiet["agency_service_hours"]) == 0 and raw(quiet["agency_theme_coverage"]) == 0
    ranked = ok(city.get("/rankings/agencies", params=period), 200)["items"]
    assert [a["agency_code"] for a in ranked[:2]] == [POLICE, HEALTH]
    assert ranked[0]["rank"] == 1 and ranked[1]["rank"] == 2
    assert Decimal(ranked[0]["total"]) > Decimal(ranked[1]["total"]) > Decimal(ranked[2]["total"])
    assert agency.get(f"/rankings/agencies/{HEALTH}").status_code == 404
    assert quiet_volunteer["volunteer_id"] not in {
        v["volunteer_id"] for v in ok(agency.get("/volunteers"), 200)["items"]}

    # ---- the county ranking counts the secretary's activity and wish --------------------
    def county_scored() -> dict | None:
        tinghu = rows(ok(county.get(f"/rankings/counties/{TINGHU}", params=period), 200))
        done = (raw(tinghu["service_hours"]) == HOURS * 2
                and raw(tinghu["wishes_fulfilled"]) == 1)
        return tinghu if done else None

    tinghu = eventually(county_scored)
    assert raw(tinghu["theme_coverage"]) == 1
    assert raw(tinghu["audience_reached"]) == AUDIENCE
    assert raw(tinghu["volunteer_participation"]) == 2
    assert Decimal(tinghu["volunteer_participation"]["denominator"]) == cadres[TINGHU]
    counties = ok(city.get("/rankings/counties", params=period), 200)["items"]
    assert counties[0]["county_code"] == TINGHU and counties[0]["rank"] == 1
    assert POLICE not in {c["county_code"] for c in counties}
    # and the secretary's branch ranks by what it organised
    branch = ok(secretary.get(f"/rankings/branches/{county_branch}", params=period), 200)
    measures = {r["measure"]: Decimal(r["raw"] or 0) for r in branch["rows"]}
    assert measures["activities_organised"] == 1 and measures["wishes_fulfilled"] == 1

    # ---- a model volunteer: nominated, reviewed by county and city, announced ----------
    nominee = county_volunteers[0]
    record = ok(county.get(f"/volunteers/{nominee}/hours"), 200)
    assert Decimal(record["verified_hours"]) == HOURS  # the activity's, credited
    nominated = county.post("/nominations", {"volunteer_id": nominee, "title": "最美老干部志愿者",
                                             "year": year, "deeds": DEEDS})
    nomination = ok(nominated)
    assert (nomination["status"], nomination["title"]) == ("nominated", "model_volunteer")
    assert Decimal(nomination["verified_hours"]) == Decimal(record["verified_hours"])
    review = f"/nominations/{nomination['nomination_id']}/review"
    assert city.post(review, {"decision": "approved"}).status_code == 409  # county first
    assert ok(county.post(review, {"decision": "approved"}), 200)["status"] == "county_approved"
    assert ok(city.post(review, {"decision": "approved"}), 200)["status"] == "city_approved"
    assert county.post("/titles/announcements", {"title": "model_volunteer",
                                                 "year": year}).status_code == 403
    announced = ok(city.post("/titles/announcements", {"title": "model_volunteer",
                                                       "year": year}))
    assert announced["awarded"] == [nominee]

    titled = ok(county.get(f"/volunteers/{nominee}"), 200)
    assert [(t["title"], t["label"], t["year"]) for t in titled["titles"]] == [
        ("model_volunteer", "最美老干部志愿者", year)]
    assert date.fromisoformat(titled["titles"][0]["announced_on"]).year == year
    assert ok(county.get(f"/volunteers/{county_volunteers[1]}"), 200)["titles"] == []
    issued = county.post(f"/volunteers/{nominee}/certificates", {})
    certificate = ok(issued)
    assert certificate["titles"] == [{"title": "model_volunteer", "year": year}]
    assert f"荣誉称号：{year}年度最美老干部志愿者" in certificate_lines(certificate, "https://x")
    printed = county.get(issued.headers["Location"])
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")

    # ---- the year's end: the city publishes the assessment, frozen with its baselines ---
    assessment = ok(city.post("/assessments", {"period": str(year)}))
    assert [c["county_code"] for c in assessment["counties"]][:1] == [TINGHU]
    assert [a["agency_code"] for a in assessment["agencies"]][:2] == [POLICE, HEALTH]
    frozen = ok(city.get(f"/baselines/{year}"), 200)
    assert frozen["frozen"] is True and frozen["units"] == baselines["units"]
    assert frozen["figures_year"] == baselines["figures_year"]

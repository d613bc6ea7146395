"""Exports over HTTP: spreadsheets with Chinese headers, scoped like the data they hold;
certificates as PDF whose verification code the gateway confirms to anyone."""
from __future__ import annotations

import csv
import io

import pytest
from gateway_support import DAFENG, TINGHU, branch_body, registration
from openpyxl import load_workbook


@pytest.fixture(scope="module")
def tinghu(city):
    body = registration(name="张秀兰")
    volunteer = city.post("/volunteers", body).json()
    branch = city.post("/branches", branch_body()).json()
    return {"volunteer": volunteer, "id_number": body["id_number"], "branch": branch}


def rows_of_csv(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_the_county_ranking_exports_as_xlsx_with_chinese_headers(city):
    answer = city.get("/exports/county-ranking", params={"format": "xlsx"})
    assert answer.status_code == 200, answer.text
    assert "attachment" in answer.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("排名", "县（市、区）代码", "县（市、区）", "总分")
    assert {r[1] for r in rows[1:]} >= {TINGHU, DAFENG}
    assert len(rows) > 11  # a row per county and indicator


def test_a_roster_holds_the_county_with_personal_data_masked(city, tinghu):
    rows = rows_of_csv(city.get(f"/exports/counties/{TINGHU}/volunteers",
                                params={"format": "csv"}))
    assert rows[0][:3] == ["志愿者编号", "姓名", "性别"]
    mine = next(r for r in rows if r[0] == tinghu["volunteer"]["volunteer_id"])
    assert mine[1] == "张秀兰" and mine[6] == "亭湖区"
    assert tinghu["id_number"] not in str(rows) and "13812345678" not in str(rows)


def test_another_countys_roster_is_not_found(platform, city, tinghu):
    dafeng = platform.open_account("export-df", "county_admin", county_code=DAFENG)
    assert dafeng.get(f"/exports/counties/{TINGHU}/volunteers").status_code == 404
    own = rows_of_csv(dafeng.get(f"/exports/counties/{DAFENG}/volunteers",
                                 params={"format": "csv"}))
    assert all(r[6] == "大丰区" for r in own[1:])
    branches = rows_of_csv(dafeng.get("/exports/branch-certifications",
                                      params={"format": "csv"}))
    assert tinghu["branch"]["branch_id"] not in str(branches)


def test_the_branch_certification_list_names_each_branch(city, tinghu):
    rows = rows_of_csv(city.get("/exports/branch-certifications",
                                params={"format": "csv", "county_code": TINGHU}))
    assert rows[0][:2] == ["支部编号", "支部名称"]
    mine = next(r for r in rows if r[0] == tinghu["branch"]["branch_id"])
    assert mine[1] == branch_body()["name"] and mine[6] == "未认证"


def test_a_certificate_is_a_pdf_whose_code_anyone_can_verify(platform, city, tinghu):
    volunteer_id = tinghu["volunteer"]["volunteer_id"]
    issued = city.post(f"/volunteers/{volunteer_id}/certificates", {})
    assert issued.status_code == 201, issued.text
    code = issued.json()["code"]
    pdf = city.get(issued.headers["Location"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["Content-Type"] == "application/pdf"
    checked = platform.anonymous.get(f"/certificates/{code}")
    assert checked.status_code == 200
    assert checked.json()["valid"] and checked.json()["name"] == "张**"
    assert platform.anonymous.get("/certificates/AAAA-BBBB-CCCC").status_code == 404
    assert platform.anonymous.get(issued.headers["Location"]).status_code == 401


def test_a_volunteer_has_their_own_certificate_only(platform, city, tinghu):
    own_id = tinghu["volunteer"]["volunteer_id"]
    other_id = city.post("/volunteers", registration()).json()["volunteer_id"]
    volunteer = platform.open_account("cert-vol", "volunteer", county_code=TINGHU,
                                      volunteer_id=own_id)
    assert volunteer.post(f"/volunteers/{own_id}/certificates", {}).status_code == 201
    assert volunteer.post(f"/volunteers/{other_id}/certificates", {}).status_code == 404
    other_code = city.post(f"/volunteers/{other_id}/certificates", {}).json()["code"]
    assert volunteer.get(f"/certificates/{other_code}/pdf").status_code == 404

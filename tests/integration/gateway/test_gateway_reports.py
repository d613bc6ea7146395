"""Reports over HTTP, on the real broker and store: a county submits its plan and its
annual report, an agency its activity pictures; each is listed with its hash and comes
back byte for byte; oversize, wrong type and another unit's report are refused."""
from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import datetime
from http.client import HTTPConnection
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from gateway_support import DAFENG, TINGHU

PDF = "application/pdf"
PNG = "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
AGENCY = "3209A01"


def pdf(text: str = "具体实施计划") -> bytes:
    return b"%PDF-1.4\n%" + text.encode() + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def admins(platform):
    return {
        "tinghu": platform.open_account("rep-th", "county_admin", county_code=TINGHU),
        "dafeng": platform.open_account("rep-df", "county_admin", county_code=DAFENG),
        "agency": platform.open_account("rep-ag", "agency_admin", county_code=AGENCY),
    }


def upload(client, content: bytes, media: str, **query):
    query.setdefault("year", 2026)
    return client.request("POST", "/reports", params=query, data=content,
                          headers={"Content-Type": media})


def test_a_county_submits_lists_and_downloads_its_reports(admins, city):
    tinghu = admins["tinghu"]
    plan = upload(tinghu, pdf(), PDF, kind="implementation_plan")
    assert plan.status_code == 201, plan.text
    report = plan.json()
    assert report["unit_code"] == TINGHU and report["unit_kind"] == "county"
    assert report["sha256"] == hashlib.sha256(pdf()).hexdigest()
    assert report["size"] == len(pdf()) and report["content_type"] == PDF
    assert report["due_on"] == "2026-08-31" and report["submitted_by"] == "county_admin:rep-th"
    assert plan.headers["Location"] == f"/reports/{report['report_id']}"
    annual = upload(tinghu, docx(), DOCX, kind="annual_report").json()
    assert annual["due_on"] == "2026-12-31" and annual["on_time"] is True

    listed = tinghu.get("/reports", params={"year": 2026}).json()["items"]
    assert {r["report_id"] for r in listed} >= {report["report_id"], annual["report_id"]}
    assert {r["unit_code"] for r in listed} == {TINGHU}
    assert tinghu.get(f"/reports/{report['report_id']}").json() == report

    download = tinghu.get(f"/reports/{annual['report_id']}/file")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == DOCX
    assert hashlib.sha256(download.content).hexdigest() == annual["sha256"]
    assert download.headers["ETag"] == f'"{annual["sha256"]}"'
    # the city sees every unit's
    assert city.get(f"/reports/{annual['report_id']}/file").content == docx()
    by_city = city.get("/reports", params={"unit_code": TINGHU, "kind": "annual_report"})
    assert annual["report_id"] in {r["report_id"] for r in by_city.json()["items"]}


def test_another_countys_report_is_not_found(admins):
    report = upload(admins["tinghu"], pdf("盐都"), PDF, kind="implementation_plan").json()
    dafeng = admins["dafeng"]
    assert dafeng.get(f"/reports/{report['report_id']}").status_code == 404
    assert dafeng.get(f"/reports/{report['report_id']}/file").status_code == 404
    assert dafeng.get("/reports", params={"unit_code": TINGHU}).status_code == 404
    mine = dafeng.get("/reports").json()["items"]
    assert report["report_id"] not in {r["report_id"] for r in mine}
    refused = upload(dafeng, pdf(), PDF, kind="implementation_plan", unit_code=TINGHU)
    assert refused.status_code == 404


def test_an_agency_submits_its_activity_pictures(admins, city):
    picture = upload(admins["agency"], png(), PNG, kind="activity_files")
    assert picture.status_code == 201, picture.text
    assert picture.json()["unit_kind"] == "agency"
    assert picture.json()["unit_code"] == AGENCY
    # the annual report is asked of counties, not agencies
    refused = upload(admins["agency"], pdf(), PDF, kind="annual_report")
    assert refused.status_code in (409, 422) and refused.json()["code"] == "rule_violated"
    assert admins["tinghu"].get(f"/reports/{picture.json()['report_id']}").status_code == 404


def test_a_wrong_type_is_415_and_changes_nothing(admins):
    tinghu = admins["tinghu"]
    before = tinghu.get("/reports").json()["total"]
    text = upload(tinghu, "一份文本".encode(), "text/plain", kind="annual_report")
    assert text.status_code == 415
    assert text.headers["Content-Type"].startswith("application/problem+json")
    disguised = upload(tinghu, b"MZ\x90\x00 not a pdf", PDF, kind="annual_report")
    assert disguised.status_code == 415 and "not application/pdf" in disguised.json()["detail"]
    mislabelled = upload(tinghu, png(), PDF, kind="annual_report")
    assert mislabelled.status_code == 415 and "image/png" in mislabelled.json()["detail"]
    empty = upload(tinghu, b"", PDF, kind="annual_report")
    assert empty.status_code == 422
    assert upload(tinghu, pdf(), PDF, kind="no_such_kind").status_code == 422
    assert tinghu.get("/reports").json()["total"] == before


def test_an_oversize_document_is_413_before_it_is_read(platform, admins):
    address = urlsplit(platform.base)
    connection = HTTPConnection(address.hostname, address.port, timeout=10)
    connection.putrequest("POST", "/reports?kind=annual_report&year=2026")
    connection.putheader("Authorization",
                         admins["tinghu"].session.headers["Authorization"])
    connection.putheader("Content-Type", PDF)
    connection.putheader("Content-Length", str(10 * 1024 * 1024 + 1))
    connection.endheaders()
    answer = connection.getresponse()
    assert answer.status == 413
    assert answer.getheader("Content-Type").startswith("application/problem+json")


def test_reports_on_time_score_under_the_rulebook_that_names_them(admins, city, eventually):
    """Next year's annual report is on time whatever today's date: 2026.2 counts it."""
    year = datetime.now(ZoneInfo("Asia/Shanghai")).year + 1
    answer = upload(admins["dafeng"], pdf("专题报告"), PDF, kind="annual_report", year=year)
    assert answer.status_code == 201 and answer.json()["on_time"] is True

    def counted():
        explained = city.get(f"/rankings/counties/{DAFENG}",
                             params={"rulebook": "2026_reports", "period": year}).json()
        row = next(r for r in explained["rows"] if r["code"] == "reports_on_time")
        return row if row["raw"] == "1.0000" else None

    row = eventually(counted)
    assert row["label"] == "实施计划、专题报告按时报送" and row["points"] == "3.00"

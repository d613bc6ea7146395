"""What a bureau user meets on day one, through the gateway on the real services: filters
that say when a value is unknown, methods that say which are allowed, and answers timed by
route for the operator."""
from __future__ import annotations

import io
import shutil
import subprocess

import polling
import pytest
from gateway_support import TINGHU, activity_body, registration
from openpyxl import load_workbook
from test_gateway_http import assert_problem

from yinfa.ops import metrics


@pytest.mark.parametrize(("path", "name"), [
    ("/activities?theme=x", "theme"), ("/activities?status=x", "status"),
    ("/wishes?status=x", "status"), ("/volunteers?status=x", "status"),
    ("/branches?level=x", "level"), ("/branches?branch_type=x", "branch_type"),
    ("/branches?certification_level=x", "certification_level"),
])
def test_an_unknown_filter_value_is_a_422_not_an_empty_page(city, path, name):
    assert name in assert_problem(city.get(path), 422)["errors"]


def test_active_volunteers_can_be_listed(city):
    volunteer_id = city.post("/volunteers", registration()).json()["volunteer_id"]
    city.post(f"/volunteers/{volunteer_id}/verify", {"county_code": TINGHU})
    city.post(f"/volunteers/{volunteer_id}/hours", {
        "entry_id": "6f1c7a52-1d1e-4a57-8a52-3f0c7d2b9e11", "hours": "2",
        "served_on": "2026-05-04", "source": "bureau"})

    def listed() -> list:
        return [v["volunteer_id"] for v in city.get(
            "/volunteers", params={"status": "active", "limit": 200}).json()["items"]]

    assert polling.eventually(lambda: volunteer_id in listed(), timeout=10.0, every=0.2)


def test_a_fixed_path_answers_405_with_its_own_methods(city):
    answer = city.get("/volunteers/batch")
    assert_problem(answer, 405)
    assert answer.headers["Allow"] == "OPTIONS, POST" and answer.headers["X-Request-Id"]
    options = city.request("OPTIONS", "/volunteers/batch")
    assert options.status_code == 204 and options.headers["Allow"] == "OPTIONS, POST"
    one = city.request("OPTIONS", "/volunteers/some-id")
    assert one.headers["Allow"] == "GET, HEAD, OPTIONS, PATCH"
    undeclared = city.request("PUT", "/volunteers")
    assert_problem(undeclared, 405)
    assert undeclared.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert undeclared.headers["X-Request-Id"]


def test_answers_are_timed_by_route_template_and_status_class(city):
    city.get("/volunteers/no-such-volunteer")
    city.get("/volunteers")

    def counted(route: str, status_class: str) -> float:
        return sum(s.value for family in metrics.HTTP_SECONDS.collect() for s in family.samples
                   if s.name.endswith("_count") and s.labels["route"] == route
                   and s.labels["status_class"] == status_class)

    assert counted("/volunteers/<volunteer_id>", "4xx") >= 1
    assert counted("/volunteers", "2xx") >= 1


def test_a_sign_up_past_capacity_answers_the_caller_s_place_in_the_queue(city):
    body = {**activity_body(TINGHU), "capacity": 1}
    activity_id = city.post("/activities", body).json()["activity_id"]
    outcomes = []
    for _ in range(3):
        volunteer_id = city.post("/volunteers", registration()).json()["volunteer_id"]
        city.post(f"/volunteers/{volunteer_id}/verify", {"county_code": TINGHU})

        def signed(volunteer_id=volunteer_id):
            answer = city.post(f"/activities/{activity_id}/sign-ups",
                               {"volunteer_id": volunteer_id})
            return answer if answer.status_code == 201 else None

        outcomes.append(polling.eventually(signed, timeout=10.0, every=0.2).json()["sign_up"])
    assert [o["outcome"] for o in outcomes] == ["signed_up", "waitlisted", "waitlisted"]
    assert [o.get("position") for o in outcomes] == [None, 1, 2]


def test_the_ranking_spreadsheet_has_number_cells(city):
    answer = city.get("/exports/county-ranking", params={"format": "xlsx"})
    assert answer.status_code == 200, answer.text
    sheet = load_workbook(io.BytesIO(answer.content)).active
    headers = [cell.value for cell in sheet[1]]
    first = {h: cell for h, cell in zip(headers, sheet[2], strict=True)}
    assert first["总分"].data_type == "n" and first["得分"].data_type == "n"


def test_the_api_document_states_codes_and_formats(platform):
    schemas = platform.anonymous.get("/openapi.json").json()["components"]["schemas"]
    registration = schemas["RegisterVolunteerBody"]["properties"]
    assert {"male", "男"} <= set(registration["gender"]["enum"])
    assert TINGHU in registration["county_code"]["enum"]
    assert registration["birth_year"]["minimum"] == 1900


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_a_certificate_prints_a_name_with_a_middle_dot_and_an_extension_b_character(
        city, tmp_path):
    person = registration(name="买买提·艾力𠮷")
    volunteer_id = city.post("/volunteers", person).json()["volunteer_id"]
    issued = city.post(f"/volunteers/{volunteer_id}/certificates", {})
    assert issued.status_code == 201, issued.text
    pdf = city.get(issued.headers["Location"])
    assert pdf.status_code == 200 and pdf.headers["Cache-Control"] == "no-store"
    (tmp_path / "c.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "c.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "买买提·艾力𠮷" in text
    assert f"{city.base}/certificates/{issued.json()['code']}" in text

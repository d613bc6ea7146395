"""The dashboard in headless Chromium (Debian's, driven by Playwright) against the demo:
what a city or county bureau sees, and what it must not. Screenshots and exported files
are left in tests/browser/artifacts/."""
from __future__ import annotations

import csv
import re
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                       reason="Debian's chromium is not installed (/usr/bin/chromium); "
                              "bash scripts/test.sh installs it when run as root"),
]

TINGHU, YANDU = "320902", "320903"
CITY = ZoneInfo("Asia/Shanghai")


def shown(number: str) -> Decimal:
    return Decimal(number.replace(",", ""))


def test_the_city_bureau_logs_in_and_reads_the_top_county(demo, browse):
    seen = browse("top_county")
    ranking = demo.api().get(f"{demo.base}/rankings/counties", timeout=10).json()["items"]
    assert len(seen["rows"]) == 11
    top = seen["rows"][0]
    assert (top["rank"], top["county"]) == ("1", ranking[0]["county_name"])
    assert shown(top["total"]) == Decimal(ranking[0]["total"])
    assert seen["rulebook"] == "2026.1"
    assert "全市排名" in seen["title"]


def test_the_open_ranking_follows_hours_recorded_meanwhile(demo, browse):
    api = demo.api()
    ranking = api.get(f"{demo.base}/rankings/counties", timeout=10).json()["items"]
    def active(county: dict) -> list:
        return api.get(f"{demo.base}/volunteers", timeout=10, params={
            "county_code": county["county_code"], "status": "active"}).json()["items"]

    def hours_row(county: dict) -> dict:
        return next(row for row in county["rows"] if row["code"] == "service_hours")

    # below full points for service hours, and the fewest retired cadres: a day's hours
    # move its total the most
    county = min((c for c in ranking if hours_row(c)["points"] != hours_row(c)["weight"]
                  and active(c)), key=lambda c: Decimal(hours_row(c)["denominator"]))
    volunteer = api.get(f"{demo.base}/volunteers", timeout=10, params={
        "county_code": county["county_code"], "status": "active"}).json()["items"][0]
    entry = {"entry_id": str(uuid.uuid4()), "hours": "24", "source": "bureau",
             "served_on": datetime.now(CITY).date().isoformat()}
    seen = browse("live_update", county=county["county_name"],
                  volunteer_id=volunteer["volunteer_id"], entry=entry)
    assert seen["recorded"] == 201, seen["answer"]
    now = next(c for c in api.get(f"{demo.base}/rankings/counties", timeout=10).json()["items"]
               if c["county_code"] == county["county_code"])
    assert shown(seen["after"]) == Decimal(now["total"]) > shown(seen["before"])
    assert "实时排名" in seen["meta"]


def test_a_county_explained_adds_up_to_its_score_with_the_events_behind_it(demo, browse):
    ranking = demo.api().get(f"{demo.base}/rankings/counties", timeout=10).json()["items"]
    county = ranking[1]
    seen = browse("explanation", county=county["county_name"])
    assert f"/counties/{county['county_code']}/explain" in seen["url"]
    assert sum(Decimal(p) for p in seen["points"]) == Decimal(seen["total"])
    assert Decimal(seen["total"]) == Decimal(county["total"])
    assert shown(seen["county_page_total"]) == Decimal(county["total"])
    assert len(seen["points"]) == len(county["rows"])
    assert seen["events"] and all(len(e.strip()) == 36 for e in seen["events"])


def test_an_earlier_as_of_shows_another_ranking_and_bounds_are_explained(demo, browse):
    api = demo.api()
    timeline = api.get(f"{demo.base}/rankings/timeline", timeout=10).json()
    first = datetime.fromisoformat(timeline["first_event_at"])
    last = datetime.fromisoformat(timeline["last_event_at"])
    middle = (first + (last - first) / 2).astimezone(CITY).replace(microsecond=0)
    county, funnel = county_whose_wishes_moved_since(demo, api, middle)
    seen = browse("as_of", as_of=middle.strftime("%Y-%m-%d %H:%M:%S"),
                  county=county["county_name"])
    assert "as_of=" in seen["address"]
    assert len(seen["then"]) == 11
    assert [(r["county"], r["total"]) for r in seen["then"]] \
        != [(r["county"], r["total"]) for r in seen["live"]]
    assert "早于首条记录" in seen["early"]
    assert "在未来" in seen["future"]
    # the county page at that instant: its funnel is the one of then, and it says so
    on_page = seen["county"]
    assert f"/counties/{county['county_code']}" in on_page["address"]
    assert [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) 个", on_page["funnel"])] \
        == [step["count"] for step in funnel["steps"]]
    assert "实时数据" in on_page["note"] and "截至" in on_page["note"]
    stamped = [h for h in on_page["headings"] if "截至" in h]
    assert any(h.startswith("微心愿") for h in stamped)
    assert any(h.startswith("各月完成活动") for h in stamped)


def county_whose_wishes_moved_since(demo, api, instant: datetime) -> tuple[dict, dict]:
    """A county whose wish funnel then differs from now (else the page could show either),
    and its funnel then, as the API answers it."""
    for county in api.get(f"{demo.base}/rankings/counties", timeout=10).json()["items"]:
        path = f"{demo.base}/summaries/counties/{county['county_code']}/wishes"
        then = api.get(path, params={"as_of": instant.isoformat()}, timeout=10).json()
        if then["steps"] != api.get(path, timeout=10).json()["steps"]:
            return county, then
    raise AssertionError("no county's wishes changed since the middle of the demo's events")


def test_the_ranking_exports_open_as_csv_and_as_a_workbook(demo, browse):
    seen = browse("export")
    names = {c["county_name"] for c in
             demo.api().get(f"{demo.base}/rankings/counties", timeout=10).json()["items"]}
    assert seen["csv"]["name"].endswith(".csv") and seen["xlsx"]["name"].endswith(".xlsx")
    text = Path(seen["csv"]["path"]).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    assert names <= {cell for row in rows for cell in row}
    book = openpyxl.load_workbook(seen["xlsx"]["path"], read_only=True)
    cells = {cell for row in book.active.iter_rows(values_only=True) for cell in row}
    assert names <= cells


def test_a_county_bureau_cannot_reach_another_county(demo, browse):
    seen = browse("county_admin", username=demo.county_user, own=TINGHU, own_name="亭湖区",
                  other_county=YANDU)
    assert f"/counties/{TINGHU}" in seen["landing"]
    assert "无权访问" in seen["denied_text"] and "盐都区" not in seen["denied_text"]
    assert seen["other_county_answers"] == []  # the page asked the gateway for nothing
    assert seen["probe"]["status"] == 404 and "盐都区" not in seen["probe"]["body"]
    assert "/login" in seen["after_expiry"] and "登录已过期" in seen["login_text"]


def test_the_pages_fit_a_phone(demo, browse):
    seen = browse("phone")
    widths = seen["widths"]
    assert len(seen["rows"]) == 11
    assert widths["page"] <= widths["viewport"]  # no sideways scrolling of the page
    assert widths["table"] <= widths["viewport"] and widths["chart"] <= widths["viewport"]
    assert seen["county_page_width"] <= widths["viewport"]

"""What a person does on the dashboard, step by step, in headless Chromium; each scenario
answers what it saw (the tests judge it). Run by driver.py in a process of its own:
Playwright's event loop cannot run inside the eventlet-patched test process."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def log_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/dashboard/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()


def ranking_rows(page: Page) -> list[dict[str, str]]:
    """The ranking table's rows as shown: rank, county, total."""
    page.wait_for_selector("[data-testid=ranking-table] .county-link")
    rows = page.locator("[data-testid=ranking-table] .el-table__body-wrapper tbody tr")
    seen = []
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        seen.append({"rank": cells.nth(0).inner_text().strip(),
                     "county": cells.nth(1).inner_text().strip(),
                     "total": cells.nth(2).inner_text().strip()})
    return seen


def top_county(page: Page, job: dict[str, Any]) -> dict[str, Any]:
    log_in(page, job["base"], job["username"], job["password"])
    rows = ranking_rows(page)
    page.locator("canvas").first.wait_for()
    page.screenshot(path=shot(job, "city-overview"), full_page=True)
    return {"rows": rows, "rulebook": page.get_by_test_id("rulebook-version").inner_text(),
            "title": page.title()}


def live_update(page: Page, job: dict[str, Any]) -> dict[str, Any]:
    """Hours recorded while the page is open (through the API, as a county bureau's
    clerk would) move the county's total on the open page, without a reload."""
    log_in(page, job["base"], job["username"], job["password"])
    before = {r["county"]: r["total"] for r in ranking_rows(page)}[job["county"]]
    token = page.evaluate("() => JSON.parse(sessionStorage.getItem('yinfa.session')).access")
    recorded = page.request.post(
        f"{job['base']}/volunteers/{job['volunteer_id']}/hours",
        headers={"Authorization": f"Bearer {token}"}, data=job["entry"])
    after = before
    for _ in range(60):  # the page polls every 5 s; scoring folds the hours meanwhile
        page.wait_for_timeout(500)
        after = {r["county"]: r["total"] for r in ranking_rows(page)}[job["county"]]
        if after != before:
            break
    return {"recorded": recorded.status, "answer": recorded.text(), "before": before,
            "after": after, "meta": page.get_by_test_id("ranking-meta").inner_text()}


def explanation(page: Page, job: dict[str, Any]) -> dict[str, Any]:
    log_in(page, job["base"], job["username"], job["password"])
    ranking_rows(page)
    page.locator(".county-link", has_text=job["county"]).click()
    shown_total = page.get_by_test_id("county-total").inner_text()
    page.screenshot(path=shot(job, "county-page"), full_page=True)
    page.get_by_role("link", name="得分说明").first.click()
    total = page.get_by_test_id("explain-total").inner_text()
    rows = page.locator("[data-testid=explain-table] .el-table__body-wrapper tbody tr")
    points = [rows.nth(i).locator(".points").inner_text() for i in range(rows.count())]
    page.get_by_role("button", name=re.compile("依据事件")).first.click()
    page.get_by_test_id("evidence-list").locator("li").first.wait_for()
    events = page.get_by_test_id("evidence-list").locator("li").all_inner_texts()
    page.screenshot(path=shot(job, "score-explanation"), full_page=True)
    return {"county_page_total": shown_total, "total": total, "points": points,
            "events": events, "url": page.url}


def as_of(page: Page, job: dict[str, Any]) -> dict[str, Any]:
    log_in(page, job["base"], job["username"], job["password"])
    live = ranking_rows(page)
    picker = page.get_by_label("截至时间（留空为实时）")
    picker.click()
    picker.fill(job["as_of"])
    picker.press("Enter")
    page.wait_for_function("() => document.querySelector('[data-testid=ranking-meta]')"
                           ".innerText.includes('截至 ')")
    page.wait_for_timeout(500)  # the answer for the new instant replaces the rows
    then = ranking_rows(page)
    page.screenshot(path=shot(job, "as-of"), full_page=True)
    # the county page keeps the instant: its trends and funnel answer for it too
    page.locator(".county-link", has_text=job["county"]).click()
    page.get_by_test_id("funnel-counts").wait_for()
    county = {"note": page.get_by_test_id("as-of-note").inner_text(),
              "funnel": page.get_by_test_id("funnel-counts").inner_text(),
              "headings": page.locator("h2").all_inner_texts(), "address": page.url}
    page.screenshot(path=shot(job, "as-of-county"), full_page=True)
    page.goto(f"{job['base']}/dashboard/#/?as_of=2000-01-01")
    early = page.get_by_test_id("ranking-problem").inner_text()
    page.goto(f"{job['base']}/dashboard/#/?as_of=2999-01-01")
    future = page.get_by_test_id("ranking-problem").inner_text()
    return {"live": live, "then": then, "address": page.url, "early": early,
            "future": future, "county": county}


def export(page: Page, job: dict[str, Any]) -> dict[str, Any]:
    log_in(page, job["base"], job["username"], job["password"])
    ranking_rows(page)
    saved = {}
    for fmt in ("csv", "xlsx"):
        with page.expect_download() as download:
            page.get_by_test_id(f"export-{fmt}").click()
        target = Path(job["artifacts"]) / f"export.{fmt}"
        download.value.save_as(target)
        saved[fmt] = {"path": str(target), "name": download.value.suggested_filename}
    return saved


def county_admin(page: Page, job: dict[str, Any]) -> dict[str, Any]:
    other = job["other_county"]
    answers: list[dict[str, Any]] = []
    page.on("response", lambda r: answers.append({"url": r.url, "status": r.status}))
    log_in(page, job["base"], job["username"], job["password"])
    landed = page.locator("h1").filter(has_text=job["own_name"])
    landed.wait_for()
    landing = page.url
    page.goto(f"{job['base']}/dashboard/#/counties/{other}")
    page.get_by_text("无权访问").first.wait_for()
    page.screenshot(path=shot(job, "no-access"), full_page=True)
    denied_text = page.locator("main").inner_text()
    asked_by_the_page = [a for a in answers if other in a["url"]]
    # and straight at the API with the dashboard's own session: 404, no data
    probe = page.evaluate("""async (code) => {
        const session = JSON.parse(sessionStorage.getItem('yinfa.session'))
        const answer = await fetch(`/summaries/counties/${code}`,
            { headers: { Authorization: `Bearer ${session.access}` } })
        return { status: answer.status, body: await answer.text() }
    }""", other)
    # an expired session: tokens no longer valid send the page back to the login
    page.evaluate("""() => {
        const session = JSON.parse(sessionStorage.getItem('yinfa.session'))
        session.access = 'expired.' + session.access.split('.').slice(1).join('.')
        session.refresh = 'expired'
        sessionStorage.setItem('yinfa.session', JSON.stringify(session))
    }""")
    page.goto(f"{job['base']}/dashboard/#/counties/{job['own']}")
    page.reload()
    page.get_by_role("alert").filter(has_text="登录已过期").wait_for()
    page.screenshot(path=shot(job, "session-expired"), full_page=True)
    return {"landing": landing, "denied_text": denied_text, "probe": probe,
            "other_county_answers": asked_by_the_page,
            "after_expiry": page.url, "login_text": page.locator("main").inner_text()}


def phone(page: Page, job: dict[str, Any]) -> dict[str, Any]:
    log_in(page, job["base"], job["username"], job["password"])
    rows = ranking_rows(page)
    page.locator("canvas").first.wait_for()
    page.screenshot(path=shot(job, "phone-city"), full_page=True)
    widths = page.evaluate("""() => ({ page: document.documentElement.scrollWidth,
        viewport: window.innerWidth,
        table: document.querySelector('[data-testid=ranking-table]').getBoundingClientRect().width,
        chart: document.querySelector('canvas').getBoundingClientRect().width })""")
    page.locator(".county-link").first.click()
    page.get_by_test_id("county-total").wait_for()
    page.screenshot(path=shot(job, "phone-county"), full_page=True)
    county_width = page.evaluate("() => document.documentElement.scrollWidth")
    return {"rows": rows, "widths": widths, "county_page_width": county_width}


def shot(job: dict[str, Any], name: str) -> str:
    return str(Path(job["artifacts"]) / f"{job.get('prefix', '')}{name}.png")


SCENARIOS = {f.__name__: f for f in (top_county, live_update, explanation, as_of, export,
                                     county_admin, phone)}

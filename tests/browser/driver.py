"""Runs one scenario of scenarios.py in headless Chromium (Debian's, through Playwright)
and prints what it saw as JSON. The job comes as JSON on stdin."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
from scenarios import LAPTOP, PHONE, SCENARIOS  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--no-first-run"]


def main() -> None:
    job = json.load(sys.stdin)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(
                viewport=PHONE if job["scenario"] == "phone" else LAPTOP, locale="zh-CN",
                timezone_id="Asia/Shanghai", accept_downloads=True)
            context.set_default_timeout(job.get("timeout_ms", 20_000))
            page = context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            try:
                seen = SCENARIOS[job["scenario"]](page, job)
            except Exception:
                page.screenshot(path=str(Path(job["artifacts"]) / f"{job['scenario']}-failed.png"),
                                full_page=True)
                raise
            json.dump({"seen": seen, "page_errors": problems}, sys.stdout, ensure_ascii=False)
        finally:
            browser.close()


if __name__ == "__main__":
    main()

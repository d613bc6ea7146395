"""The dashboard's first page: how soon the city overview shows the ranking, and how many
bytes of JavaScript and CSS it ships, gzipped.

    python benchmarks/dashboard.py                 # the demo with its default data, ~4 min
    python benchmarks/dashboard.py --volunteers 30 --runs 3 --quick   # smoke run

Starts the demo (`python -m demo`, its own vhost and store), then loads
/dashboard/#/ in Debian's headless chromium through Playwright, signed in already (the
session is put in sessionStorage before the page loads, so no login is timed):
- **first meaningful paint**: from navigation start to the first frame after the ranking
  table's rows are in the page (a MutationObserver notes the moment, then two animation
  frames pass), cold (a new browser profile: nothing cached) and warm (the assets cached,
  the ranking asked again); also the first contentful paint and the moment the bar chart
  has been drawn;
- **bytes**: every script and style sheet the first page loads, as sent (the gateway
  gzips them) and raw.
Targets (issue 20): first meaningful paint ≤ 1 s, JS + CSS ≤ 500 KB gzipped.
Results: results/dashboard-<date>.json and a section in results/dashboard.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import Browser, sync_playwright

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--no-first-run"]
TARGET_PAINT_MS, TARGET_GZIP_KB = 1000, 500

WATCH = """
(() => {
  const seen = () => document.querySelector('[data-testid=ranking-table] .county-link');
  const mark = (name) => requestAnimationFrame(() => requestAnimationFrame(() => {
    window.__marks = { ...(window.__marks || {}), [name]: performance.now() } }));
  const observer = new MutationObserver(() => {
    if (seen() && !(window.__marks || {}).ranking_pending) {
      window.__marks = { ...(window.__marks || {}), ranking_pending: 1 };
      mark('ranking');
    }
    if (document.querySelector('canvas') && !(window.__marks || {}).chart_pending) {
      window.__marks = { ...(window.__marks || {}), chart_pending: 1 };
      setTimeout(() => mark('chart'), 0);
    }
  });
  observer.observe(document, { childList: true, subtree: true });
})();
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_demo(volunteers: int, data_dir: str) -> tuple[subprocess.Popen, str, str, float]:
    address = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "YINFA_DATA_DIR": data_dir,
           "YINFA_GATEWAY_ADDRESS": address}
    env.pop("MONGO_URI", None)
    started = time.monotonic()
    demo = subprocess.Popen([sys.executable, "-m", "demo", "--volunteers", str(volunteers)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, cwd=HERE.parent)
    assert demo.stdout is not None
    seen = []
    for line in demo.stdout:
        seen.append(line)
        if "press Ctrl-C" in line:
            break
    else:
        raise SystemExit("the demo stopped:\n" + "".join(seen)[-3000:])
    password = next(line for line in seen if "login    demo / " in line).split(" / ")[1].split()[0]
    return demo, f"http://{address}", password, time.monotonic() - started


def session_script(base: str, password: str) -> str:
    tokens = requests.post(f"{base}/auth/login", timeout=10,
                           json={"username": "demo", "password": password}).json()
    me = requests.get(f"{base}/me", timeout=10,
                      headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    session = {"access": tokens["access_token"], "refresh": tokens["refresh_token"], "me": me}
    return f"sessionStorage.setItem('yinfa.session', {json.dumps(json.dumps(session))});"


def load_once(browser: Browser, base: str, init: str, context: Any = None
              ) -> tuple[dict[str, float], list[dict[str, Any]], Any]:
    context = context or browser.new_context(viewport={"width": 1366, "height": 900},
                                             locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.add_init_script(init + WATCH)
    assets: list[dict[str, Any]] = []

    def note(response: Any) -> None:
        kind = response.request.resource_type
        if kind in ("script", "stylesheet"):
            sizes = response.request.sizes()
            assets.append({"url": response.url.split("/dashboard/")[-1], "kind": kind,
                           "sent": sizes["responseBodySize"],
                           "encoding": response.headers.get("content-encoding", ""),
                           "raw": len(response.body())})

    page.on("response", note)
    page.goto(f"{base}/dashboard/#/")
    page.wait_for_function("() => window.__marks && window.__marks.ranking"
                           " && window.__marks.chart", timeout=30_000)
    marks = page.evaluate("""() => ({ ranking: window.__marks.ranking,
        chart: window.__marks.chart,
        fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime })""")
    page.close()
    return marks, assets, context


def measure(base: str, password: str, runs: int) -> dict[str, Any]:
    init = session_script(base, password)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            load_once(browser, base, init)[2].close()  # the gateway's first answers warmed
            cold, warm, assets = [], [], []
            for _ in range(runs):
                marks, assets, context = load_once(browser, base, init)
                cold.append(marks)
                context.close()
            _, _, context = load_once(browser, base, init)
            for _ in range(runs):
                warm.append(load_once(browser, base, init, context)[0])
            context.close()
            version = browser.version
        finally:
            browser.close()
    return {"cold": cold, "warm": warm, "assets": assets, "chromium": version}


def summary(samples: list[dict[str, float]], key: str) -> dict[str, float]:
    values = sorted(s[key] for s in samples if s.get(key) is not None)
    return {"median": round(statistics.median(values), 1), "min": round(values[0], 1),
            "max": round(values[-1], 1)}


def gzipped_sizes(assets: list[dict[str, Any]]) -> dict[str, float]:
    sent = sum(a["sent"] for a in assets)
    raw = sum(a["raw"] for a in assets)
    return {"files": len(assets), "sent_kb": round(sent / 1024, 1),
            "raw_kb": round(raw / 1024, 1), "all_gzipped": all(a["encoding"] == "gzip"
                                                                for a in assets)}


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").open()
                if line.startswith("model name")), "unknown")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                            capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "python": platform.python_version(), "git_commit": commit,
            "load_before": [round(x, 2) for x in os.getloadavg()]}


def section(result: dict[str, Any]) -> str:
    m, c, w, size = result["machine"], result["cold"], result["warm"], result["bytes"]
    met_paint = c["ranking"]["median"] <= TARGET_PAINT_MS
    met_size = size["sent_kb"] <= TARGET_GZIP_KB
    return "\n".join([
        f"<!-- run {result['date']} -->", f"## {result['date']}", "",
        f"{m['nproc']} cores ({m['cpu']}), chromium {result['chromium']}, commit "
        f"{m['git_commit']}; the demo with {result['volunteers']} volunteers (loaded in "
        f"{result['demo_seconds']:.0f} s); {result['runs']} loads each; load average "
        f"before the run {', '.join(map(str, m['load_before']))}.", "",
        "| figure | median | min | max |", "| --- | ---: | ---: | ---: |",
        *[f"| {label} | {s['median']} ms | {s['min']} ms | {s['max']} ms |" for label, s in (
            ("first meaningful paint (ranking shown), cold", c["ranking"]),
            ("first meaningful paint, warm (assets cached)", w["ranking"]),
            ("first contentful paint, cold", c["fcp"]),
            ("bar chart drawn, cold", c["chart"]))],
        "", f"JS + CSS of the first page: {size['files']} files, **{size['sent_kb']} KB** "
        f"as sent (gzip), {size['raw_kb']} KB raw.", "",
        f"Targets: first paint ≤ 1 s — **{'met' if met_paint else 'not met'}**; "
        f"≤ 500 KB gzipped — **{'met' if met_size else 'not met'}**.",
        f"<!-- /run {result['date']} -->", ""])


def record(result: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"dashboard-{result['date']}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    md = RESULTS / "dashboard.md"
    header = ("# Dashboard benchmark results\n\nProduced by `python benchmarks/dashboard.py` "
              "(see `benchmarks/README.md`). Newest run first; a rerun on the same date "
              "replaces that date's section.\n\n")
    body = md.read_text()[len(header):] if md.exists() else ""
    begin, end = f"<!-- run {result['date']} -->", f"<!-- /run {result['date']} -->"
    if begin in body and end in body:
        body = body[:body.index(begin)] + body[body.index(end) + len(end):].lstrip("\n")
    md.write_text(header + section(result) + "\n" + body)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--volunteers", type=int, default=300)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="print only, record nothing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yinfa-bench-dashboard-") as data_dir:
        load_before = machine()
        demo, base, password, demo_seconds = start_demo(args.volunteers, data_dir)
        try:
            measured = measure(base, password, args.runs)
        finally:
            demo.send_signal(signal.SIGINT)
            demo.wait(timeout=120)
    result = {"date": dt.date.today().isoformat(), "volunteers": args.volunteers,
              "runs": args.runs, "demo_seconds": demo_seconds, "machine": load_before,
              "chromium": measured["chromium"],
              "cold": {k: summary(measured["cold"], k) for k in ("ranking", "fcp", "chart")},
              "warm": {k: summary(measured["warm"], k) for k in ("ranking", "fcp", "chart")},
              "bytes": gzipped_sizes(measured["assets"]), "assets": measured["assets"],
              "samples": {"cold": measured["cold"], "warm": measured["warm"]}}
    print(section(result))
    if not args.quick:
        print(f"recorded in {record(result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

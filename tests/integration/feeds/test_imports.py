"""Imports of partners' files end to end, into the real volunteers service: by the command
(killed halfway and run again, and the same file twice) and by upload (GB18030, BOM,
XLSX, JSON lines), each accepted row exactly once, each rejected one reported."""
from __future__ import annotations

import base64
import csv
import io
import json
import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager

import pytest
from gateway_support import Api, activity_body
from import_files import COUNTY, HEADER, person, roster, volunteers_csv
from nameko.standalone.rpc import ClusterRpcProxy
from openpyxl import Workbook
from polling import eventually

from contracts.volunteers.id_number import normalise
from services.feeds.imports import jobs

pytestmark = pytest.mark.integration


def run_cli(platform, path, *extra, wait=True):
    env = {**os.environ, "AMQP_URI": platform.config["AMQP_URI"],
           "MONGO_URI": platform.config["MONGO_URI"],
           "YINFA_DB_PREFIX": platform.config["DB_PREFIX"], "YINFA_OPS_PORT": "off"}
    command = [sys.executable, "-m", "services.feeds.imports.cli", str(path), *extra]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    if wait:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-2000:]
        return out
    return process


def volunteers_total(platform) -> int:
    with ClusterRpcProxy(platform.config, timeout=30) as cluster:
        return cluster.volunteers.list_volunteers(limit=1)["total"]


def test_an_import_killed_halfway_then_run_again_and_run_twice_creates_each_once(
        feeds_platform, tmp_path):
    rows, good = roster(0, 2000)
    rows.append(person(5, "重复的人"))  # p5 again: rejected as repeated
    path = tmp_path / "roster.csv"
    path.write_text(volunteers_csv(rows), encoding="gb18030")
    before = volunteers_total(feeds_platform)
    jobs = feeds_platform.db.client[f"{feeds_platform.config['DB_PREFIX']}_feeds"]["import_jobs"]

    started = run_cli(feeds_platform, path, "--kind", "volunteers", "--source", "lgw",
                      wait=False)
    eventually(lambda: jobs.find_one({"rows": {"$gte": 500}}), timeout=120)
    started.send_signal(signal.SIGKILL)
    started.wait()
    assert jobs.find_one({"status": "running"})  # cut short: it never finished

    out = run_cli(feeds_platform, path, "--kind", "volunteers", "--source", "lgw",
                  "--report", str(tmp_path / "report.csv"))
    assert f"{len(rows)} rows, {good} accepted, {len(rows) - good} rejected" in out
    assert volunteers_total(feeds_platform) - before == good
    with (tmp_path / "report.csv").open(encoding="utf-8-sig") as report:
        lines = list(csv.DictReader(report))
    rejected = {int(r["line"]): r["reason"] for r in lines if r["outcome"] == "rejected"}
    assert rejected[len(rows) + 1] == "external_id repeated (first on line 7)"
    assert all("id_number" in rejected[n + 2] for n in range(0, 2000, 20))
    assert sum(r["reason"] == "already imported" for r in lines) >= 475  # the first batch

    again = run_cli(feeds_platform, path, "--kind", "volunteers", "--source", "lgw")
    assert f"{good} accepted" in again
    assert volunteers_total(feeds_platform) - before == good


@pytest.fixture(scope="module")
def partner(feeds_platform):
    ops = feeds_platform.open_account("ops-imports", "ops")
    ops.request("PUT", "/feed-profiles/imports", json={"label": "导入", "types": {
        "HoursRecorded": ["hours"]}})
    ops.request("PUT", "/partners/mzj", json={"label": "民政局", "profile": "imports"})
    key = ops.post("/partners/mzj/api-keys", {"label": "导入"}).json()["api_key"]
    return Api(feeds_platform.base, headers={"X-Api-Key": key})


def upload(api: Api, content: bytes, file_name: str, kind: str = "volunteers") -> dict:
    answer = api.request("POST", "/imports", params={"kind": kind, "file_name": file_name},
                         data=content, headers={"Content-Type": "application/octet-stream"})
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job_id"]
    return eventually(lambda: (job := api.get(f"/imports/{job_id}").json())["status"] in (
        "done", "refused") and job, timeout=60)


def registered_names(platform, rows) -> list[str]:
    """Ask the roster again: each person is there already, under the same id."""
    with ClusterRpcProxy(platform.config, timeout=30) as cluster:
        answer = cluster.volunteers.register_volunteers(
            [dict(zip(HEADER[1:], row[1:], strict=True)) | {"skills": []} for row in rows])
        ids = [r["volunteer_id"] for r in answer["results"]]
        assert {r["status"] for r in answer["results"]} == {"exists"}
        names = cluster.volunteers.names_of(ids)
    return [names[i] for i in ids]


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_uploads_in_gb18030_and_with_a_bom_round_trip_chinese_names(
        feeds_platform, partner, encoding):
    first = 3000 if encoding == "gb18030" else 3100
    rows = [person(first + n, name) for n, name in enumerate(
        ["欧阳·娜娜", "司马·青云", "阿依古丽·买买提", "张三"])]
    rows.append(person(first + 10, "坏号码", bad_id=True))
    job = upload(partner, volunteers_csv(rows).encode(encoding), "名单.csv")
    assert (job["status"], job["accepted"], job["rejected"]) == ("done", 4, 1), job
    assert job["source"] == "mzj"
    assert registered_names(feeds_platform, rows[:4]) == [r[1] for r in rows[:4]]
    report = partner.get(f"/imports/{job['job_id']}/report")
    assert report.headers["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert [(r["line"], r["outcome"]) for r in lines][-1] == ("6", "rejected")
    assert "id_number" in lines[-1]["reason"] and normalise(rows[4][4]) not in report.text


def test_an_xlsx_upload_and_a_file_in_another_encoding(feeds_platform, partner):
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    sheet.append(person(3200, "欧阳·修"))
    out = io.BytesIO()
    book.save(out)
    job = upload(partner, out.getvalue(), "roster.xlsx")
    assert (job["status"], job["accepted"]) == ("done", 1), job
    refused = upload(partner, volunteers_csv([person(3201, "王五")]).encode("utf-16"),
                     "roster.csv")
    assert refused["status"] == "refused" and "UTF-16" in refused["refused"]
    assert partner.get(f"/imports/{uuid.uuid4()}").status_code == 404


def test_hours_imported_twice_are_in_the_ledger_once(feeds_platform, partner):
    with ClusterRpcProxy(feeds_platform.config, timeout=30) as cluster:
        volunteer = cluster.volunteers.register_volunteer(
            dict(zip(HEADER[1:], person(3300, "赵六")[1:], strict=True)) | {"skills": []})
    lines = [json.dumps({"external_id": f"h{n}", "volunteer_id": volunteer["volunteer_id"],
                         "hours": "1.5", "served_on": "2026-10-0" + str(n + 1)})
             for n in range(4)]
    lines.append(json.dumps({"external_id": "h9", "volunteer_id": volunteer["volunteer_id"],
                             "hours": "-3", "served_on": "2026-10-09"}))
    content = "\n".join(lines).encode()
    for _ in range(2):
        job = upload(partner, content, "hours.jsonl", kind="hours")
        assert (job["accepted"], job["rejected"]) == (4, 1), job
    with ClusterRpcProxy(feeds_platform.config, timeout=30) as cluster:
        hours = cluster.volunteers.get_volunteer(volunteer["volunteer_id"])["total_hours"]
    assert hours in ("6.0", "6")
    assert COUNTY == "320902"


def test_hours_may_name_the_volunteer_by_id_number_which_the_report_never_shows(
        feeds_platform, partner):
    known, unknown, bad = person(3400, "钱七"), person(3401, "孙八"), person(3402, "李九", True)
    with ClusterRpcProxy(feeds_platform.config, timeout=30) as cluster:
        volunteer = cluster.volunteers.register_volunteer(
            dict(zip(HEADER[1:], known[1:], strict=True)) | {"skills": []})
    rows = [{"external_id": "n1", "id_number": known[4], "hours": "2", "served_on": "2026-10-01"},
            {"external_id": "n2", "id_number": unknown[4], "hours": "1",
             "served_on": "2026-10-02"},
            {"external_id": "n3", "id_number": bad[4], "hours": "1", "served_on": "2026-10-03"},
            {"external_id": "n4", "volunteer_id": volunteer["volunteer_id"], "hours": "0.5",
             "served_on": "2026-10-04"}]
    job = upload(partner, "\n".join(json.dumps(r) for r in rows).encode(), "h.jsonl",
                 kind="hours")
    assert (job["accepted"], job["rejected"]) == (2, 2), job
    report = partner.get(f"/imports/{job['job_id']}/report").content.decode("utf-8-sig")
    reasons = {r["external_id"]: r["reason"] for r in csv.DictReader(io.StringIO(report))}
    assert reasons["n2"] == "no volunteer with this ID number"
    assert reasons["n3"] == "id_number: not a valid ID number"
    assert not any(number in report for number in (known[4], unknown[4], bad[4]))
    with ClusterRpcProxy(feeds_platform.config, timeout=30) as cluster:
        hours = cluster.volunteers.get_volunteer(volunteer["volunteer_id"])["total_hours"]
    assert hours in ("2.5", "2.50")


def test_a_job_that_keeps_stopping_is_tried_again_then_given_up(feeds_platform):
    db = feeds_platform.db.client[f"t_jobs_{uuid.uuid4().hex[:8]}"]  # no runner sees it
    job_id = str(uuid.uuid4())
    jobs.create(db, job_id, "mzj", "mzj", "volunteers", "名单.csv")
    piece = base64.b64encode("external_id,name\np1,欧阳·娜娜\n".encode()).decode()
    jobs.add_chunk(db, job_id, 0, piece, 10 ** 6)
    kept = str(db["import_chunks"].find_one())
    assert "欧阳" not in kept and piece not in kept  # sealed while it waits
    jobs.queue(db, job_id)

    @contextmanager
    def away():
        raise OSError("the broker is away")
        yield

    try:
        for _ in range(jobs.ATTEMPTS - 1):
            with pytest.raises(OSError):
                jobs.run_next(db, away, 10 ** 6)
            assert jobs.run_next(db, away, 10 ** 6) is None  # its lease holds it
            db["import_jobs"].update_one({"_id": job_id}, {"$set": {"lease_until": 0}})
        ended = jobs.run_next(db, away, 10 ** 6)
        assert ended["status"] == "refused" and "stopped 3 times" in ended["refused"]
        assert db["import_chunks"].count_documents({}) == 0
    finally:
        db.client.drop_database(db.name)


def test_activity_records_imported_twice_are_published_once(feeds_platform, partner):
    body = {k: v for k, v in activity_body().items() if k != "organiser"}
    rows = [{**body, "external_id": f"a{n}", "title": f"伙伴活动{n}号"} for n in range(3)]
    rows.append({**body, "external_id": "a9", "theme": "no_such_theme"})
    content = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    for _ in range(2):
        job = upload(partner, content, "activities.jsonl", kind="activities")
        assert (job["accepted"], job["rejected"]) == (3, 1), job
    with ClusterRpcProxy(feeds_platform.config, timeout=30) as cluster:
        listed = cluster.activities.list_activities(county_code=COUNTY, limit=500)
    titles = [a["title"] for a in listed["items"] if a["title"].startswith("伙伴活动")]
    assert sorted(titles) == ["伙伴活动0号", "伙伴活动1号", "伙伴活动2号"]


def test_an_upload_declared_larger_than_the_limit_is_refused_before_it_is_read(
        feeds_platform, partner):
    from http.client import HTTPConnection
    from urllib.parse import urlsplit

    address = urlsplit(feeds_platform.base)
    connection = HTTPConnection(address.hostname, address.port, timeout=10)
    connection.putrequest("POST", "/imports?kind=volunteers&file_name=big.csv")
    connection.putheader("X-Api-Key", partner.session.headers["X-Api-Key"])
    connection.putheader("Content-Length", str(10 ** 10))
    connection.endheaders()
    answer = connection.getresponse()
    assert answer.status == 413
    assert answer.getheader("Content-Type").startswith("application/problem+json")
    connection.close()

"""The partners' feed end to end: writers append through the services while one partner
follows the HTTP feed and another the AMQP exchange; profiles redact field by field;
cursors and keys are checked; every read is in the audit log."""
from __future__ import annotations

import json
import threading
import time
import uuid

import amqp
import pytest
from gateway_support import Api, registration
from nameko.standalone.rpc import ClusterRpcProxy
from polling import eventually

from contracts.feeds.public import NAME_FIELD, PUBLIC, fields_of
from gateway.pagination import encode_cursor
from gateway.settings import gateway_settings

pytestmark = pytest.mark.integration

WRITERS, ROUNDS, AT_ONCE = 4, 5, 20
FULL = {"label": "全量", "types": {t: list(fields_of(t)) for t in PUBLIC}}
HOURS_ONLY = {"label": "民政", "names": True,
              "types": {"HoursRecorded": ["hours", "served_on"], "VolunteerRegistered": []}}


@pytest.fixture(scope="module")
def partners(feeds_platform):
    ops = feeds_platform.open_account("ops-1", "ops")
    keys = {}
    for profile, body in (("full", FULL), ("mca", HOURS_ONLY)):
        assert ops.request("PUT", f"/feed-profiles/{profile}", json=body).status_code == 200
        answer = ops.request("PUT", f"/partners/p-{profile}",
                             json={"label": body["label"], "profile": profile})
        assert answer.status_code == 200, answer.text
        issued = ops.post(f"/partners/p-{profile}/api-keys", {"label": "test"})
        assert issued.status_code == 201, issued.text
        keys[profile] = Api(feeds_platform.base, headers={"X-Api-Key": issued.json()["api_key"]})
    return ops, keys


def follow(api: Api, profile: str, stop: threading.Event, seen: list) -> None:
    after = "0"
    while not stop.is_set():
        answer = api.get(f"/feeds/{profile}/events", params={"after": after, "limit": 500,
                                                              "wait": 1})
        assert answer.status_code == 200, answer.text
        seen.extend(answer.json()["events"])
        after = answer.json()["next"]


def amqp_queue(config: dict, profile: str) -> tuple[amqp.Connection, amqp.Channel, str]:
    from urllib.parse import urlparse

    uri = urlparse(config["AMQP_URI"])
    connection = amqp.Connection(f"{uri.hostname}:{uri.port}", userid=uri.username,
                                 password=uri.password, virtual_host=uri.path[1:] or "/")
    connection.connect()
    channel = connection.channel()
    channel.exchange_declare("partners.feed", "topic", durable=True, auto_delete=False)
    queue = f"partner-{profile}"
    channel.queue_declare(queue, durable=True, auto_delete=False)
    channel.queue_bind(queue, "partners.feed", f"{profile}.#")
    return connection, channel, queue


def drain(channel: amqp.Channel, queue: str) -> list[dict]:
    got = []
    while (message := channel.basic_get(queue, no_ack=True)) is not None:
        assert message.properties["delivery_mode"] == 2
        body = json.loads(message.body)
        assert message.headers["yinfa.schema_version"] == body["schema_version"]
        got.append(body)
    return got


def write(config: dict, writer: int) -> list[str]:
    ids = []
    with ClusterRpcProxy(config, timeout=30) as cluster:
        for _ in range(ROUNDS):
            answer = cluster.volunteers.register_volunteers(
                [registration(name=f"欧阳·{writer}") for _ in range(AT_ONCE)])
            created = [i["volunteer_id"] for i in answer["results"] if i["status"] == "created"]
            ids += created
            for volunteer_id in created[:3]:
                cluster.volunteers.record_hours({
                    "volunteer_id": volunteer_id, "entry_id": str(uuid.uuid4()),
                    "hours": "2.5", "served_on": "2026-10-01", "source": "bureau"})
    return ids


def public_events_of_sources(config: dict) -> dict[str, dict]:
    with ClusterRpcProxy(config, timeout=30) as cluster:
        found = {}
        for source in ("volunteers", "branches", "activities"):
            position = 0
            while batch := getattr(cluster, source).events_after(position, 5000):
                found.update({e["event_id"]: e for e in batch if e["type"] in PUBLIC})
                position = batch[-1]["position"]
    return found


def test_followers_get_every_public_event_once_in_order_while_four_writers_append(
        feeds_platform, partners):
    ops, keys = partners
    connection, channel, queue = amqp_queue(feeds_platform.config, "full")
    stop, seen = threading.Event(), []
    follower = threading.Thread(target=follow, args=(keys["full"], "full", stop, seen))
    follower.start()
    written = []
    writers = [threading.Thread(target=lambda w=w: written.extend(
        write(feeds_platform.config, w))) for w in range(WRITERS)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    expected = public_events_of_sources(feeds_platform.config)
    assert len(written) == WRITERS * ROUNDS * AT_ONCE
    eventually(lambda: {e["event_id"] for e in seen} >= set(expected), timeout=60)
    stop.set()
    follower.join()
    by_amqp: list[dict] = []
    eventually(lambda: by_amqp.extend(drain(channel, queue)) or
               {e["event_id"] for e in by_amqp} >= set(expected), timeout=60)
    connection.close()

    for followed in (seen, by_amqp):
        positions = [e["position"] for e in followed]
        assert len(set(positions)) == len(positions) == len(set(e["event_id"] for e in followed))
        assert sorted(positions) == list(range(1, len(positions) + 1))  # gapless, no repeat
        last: dict[str, int] = {}
        for entry in sorted(followed, key=lambda e: e["position"]):  # in order per stream
            assert entry["stream_version"] > last.get(entry["stream"], 0)
            last[entry["stream"]] = entry["stream_version"]
            source = expected[entry["event_id"]]
            assert (entry["stream"], entry["stream_version"]) == (source["stream_id"],
                                                                  source["version"])
    assert {e["event_id"] for e in seen} == set(expected)


def test_each_profile_shows_exactly_its_fields_and_names_but_not_the_erased(
        feeds_platform, partners):
    ops, keys = partners
    with ClusterRpcProxy(feeds_platform.config, timeout=30) as cluster:
        kept = cluster.volunteers.register_volunteer(registration(name="司马·青云"))
        erased = cluster.volunteers.register_volunteer(registration(name="上官·明月"))
        cluster.volunteers.erase_volunteer({"volunteer_id": erased["volunteer_id"]})
        head = cluster.feeds.head()
    wanted = {kept["volunteer_id"], erased["volunteer_id"]}

    def entries(profile):
        answer = keys[profile].get(f"/feeds/{profile}/events", params={"limit": 1000})
        while answer.json()["events"]:
            got = [e for e in answer.json()["events"] if e["stream"][len("volunteer-"):]
                   in wanted]
            if len(got) >= 2:
                return got
            answer = keys[profile].get(f"/feeds/{profile}/events",
                                       params={"after": answer.json()["next"], "limit": 1000})
        return None

    assert head > 0
    shown = eventually(lambda: entries("mca"), timeout=30)
    for entry in shown:
        assert entry["type"] in HOURS_ONLY["types"]
        volunteer = entry["stream"][len("volunteer-"):]
        names = {NAME_FIELD} if volunteer == kept["volunteer_id"] else set()
        assert set(entry["data"]) == set(HOURS_ONLY["types"][entry["type"]]) | names
        if names:
            assert entry["data"][NAME_FIELD] == "司马·青云"
    full = eventually(lambda: entries("full"), timeout=30)
    for entry in full:
        assert set(entry["data"]) == set(fields_of(entry["type"]))  # no names, no others
        assert "上官" not in json.dumps(entry, ensure_ascii=False)


def test_bad_cursors_are_400_and_another_profiles_feed_is_not_found(feeds_platform, partners):
    ops, keys = partners
    secret = gateway_settings(feeds_platform.config).cursor_secret
    future = encode_cursor(secret, 10 ** 9, {"feed": "full"})
    other = encode_cursor(secret, 1, {"feed": "mca"})
    good = keys["full"].get("/feeds/full/events", params={"limit": 1}).json()["next"]
    forged = good[:-1] + ("0" if good[-1] != "0" else "1")
    for after in ("garbage", forged, future, other, "-1"):
        answer = keys["full"].get("/feeds/full/events", params={"after": after})
        assert answer.status_code == 400, (after, answer.text)
        assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert keys["full"].get("/feeds/mca/events").status_code == 404
    assert keys["mca"].get("/feeds/full/events").status_code == 404
    assert ops.get("/feeds/full/events").status_code == 403
    bad_name = ops.request("PUT", "/partners/X", json={"label": "x", "profile": "full"})
    assert bad_name.status_code == 422 and "partner" in bad_name.json()["errors"]
    bad_profile = ops.request("PUT", "/feed-profiles/a.b", json=FULL)  # a routing key part
    assert bad_profile.status_code == 422 and "profile" in bad_profile.json()["errors"]


def test_every_read_is_in_the_audit_log_for_ops(feeds_platform, partners):
    ops, keys = partners
    started = time.monotonic()
    answer = keys["mca"].get("/feeds/mca/events", params={"limit": 5, "wait": 1})
    assert answer.status_code == 200
    reads = ops.get("/feed-reads", params={"partner": "p-mca", "limit": 1}).json()
    latest = reads["items"][0]
    assert latest["partner"] == "p-mca" and latest["profile"] == "mca"
    assert latest["after"] == 0 and latest["events"] == len(answer.json()["events"])
    assert reads["total"] >= 1 and time.monotonic() - started < 10
    assert keys["mca"].get("/feed-reads").status_code == 403

    end = answer.json()["next"]
    while (page := keys["mca"].get("/feeds/mca/events", params={
            "after": end, "limit": 1000}).json())["events"]:
        end = page["next"]
    before = ops.get("/feed-reads", params={"partner": "p-mca"}).json()["total"]
    started = time.monotonic()
    waited = keys["mca"].get("/feeds/mca/events", params={"after": end, "wait": 5})
    assert waited.json()["events"] == [] and time.monotonic() - started >= 4.5
    assert ops.get("/feed-reads", params={"partner": "p-mca"}).json()["total"] == before + 1


def test_health_reports_the_partners_exchange_relay(feeds_platform, partners):
    with ClusterRpcProxy(feeds_platform.config, timeout=30) as cluster:
        cluster.volunteers.register_volunteer(registration())
        eventually(lambda: cluster.feeds.head() > 0, timeout=30)
        health = eventually(lambda: (h := cluster.feeds.health())["partners_exchange"][
            "pending"] == 0 and h, timeout=30)
        relay = health["partners_exchange"]
        assert relay["published"] == relay["head"] >= 1, health
        assert health["inbox"]["volunteers"]["applied"] >= 1


def test_a_queue_bound_to_one_type_gets_that_type_redacted_by_its_profile(
        feeds_platform, partners):
    connection, channel, _ = amqp_queue(feeds_platform.config, "unused")
    channel.queue_declare("mca-hours", durable=True, auto_delete=False)
    channel.queue_bind("mca-hours", "partners.feed", "mca.HoursRecorded")
    with ClusterRpcProxy(feeds_platform.config, timeout=30) as cluster:
        volunteer = cluster.volunteers.register_volunteer(registration(name="诸葛·明"))
        cluster.volunteers.record_hours({
            "volunteer_id": volunteer["volunteer_id"], "entry_id": str(uuid.uuid4()),
            "hours": "3.0", "served_on": "2026-10-02", "source": "bureau"})
    got: list[dict] = []
    eventually(lambda: got.extend(drain(channel, "mca-hours")) or any(
        e["stream"].endswith(volunteer["volunteer_id"]) for e in got), timeout=30)
    connection.close()
    assert {e["type"] for e in got} == {"HoursRecorded"}
    mine = [e for e in got if e["stream"].endswith(volunteer["volunteer_id"])]
    assert [e["data"] for e in mine] == [
        {"hours": "3.0", "served_on": "2026-10-02", NAME_FIELD: "诸葛·明"}]

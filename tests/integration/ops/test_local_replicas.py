"""`yinfa run scoring --replicas 3` on the real broker: the replicas share the work, and the
county ranking equals a single replica's for the same events, although one replica is
killed (SIGKILL) in the middle of them and restarted by the supervisor.

The events come from the real volunteers service (in this process). A capture queue keeps a
copy of each, so the very same events can be published again to a fresh scoring database:
first one replica scores them (the reference ranking), then three.
"""
from __future__ import annotations

import json
import os
import signal
import uuid
from datetime import date

import kombu
import pytest
from ops_support import free_ports, get, get_json, scrape, summed

from contracts.volunteers.id_number import make_id_number
from services.volunteers.service import VolunteersService
from yinfa.store.event_store import EventStore

pytestmark = pytest.mark.e2e

COUNTIES = ("320902", "320972", "320903")
VOLUNTEERS = 24
SCORING_QUEUE = "evt-volunteers-#--scoring.on_volunteers_event"
CATCH_UP_TIMEOUT = 60.0


@pytest.fixture
def history(runner_factory, platform_config, rpc_proxy, rabbit_config, mongo_client,
            mongo_db, wait_for):
    """Run the volunteers service, record a small history; every event it published is
    kept (in order) on a capture queue. Returns the published messages."""
    connection = kombu.Connection(rabbit_config["AMQP_URI"])
    exchange = kombu.Exchange("volunteers.events", type="topic", durable=True)
    capture = kombu.Queue("ops-capture", exchange, routing_key="#", durable=True)(
        connection.default_channel)
    capture.declare()
    runner = runner_factory(platform_config, VolunteersService)
    runner.start()
    volunteers = rpc_proxy("volunteers")
    for seq in range(VOLUNTEERS):
        county = COUNTIES[seq % len(COUNTIES)]
        vid = volunteers.register_volunteer({
            "name": f"志愿者{seq}", "gender": "女" if seq % 2 else "男", "birth_year": 1955,
            "id_number": make_id_number(county, date(1955, 5, 1), seq * 2 + 1 - seq % 2),
            "phone": "13912345678", "county_code": county, "retirement_status": "退休",
        })["volunteer_id"]
        if seq % 4:
            volunteers.verify_volunteer({"volunteer_id": vid, "county_code": county})
        if seq % 3 == 0:
            volunteers.record_hours({"volunteer_id": vid, "entry_id": str(uuid.uuid4()),
                                     "hours": str(2 + seq % 5), "served_on": "2026-03-01",
                                     "source": "bureau"})
    head = EventStore(mongo_client[f"{mongo_db.name}_volunteers"]).head_position()
    messages = []

    def every_event_published() -> bool:
        # one message per event, so that the test can cut the history anywhere: a batch
        # message the relay sent is taken apart into its events
        while (message := capture.get(no_ack=True)) is not None:
            key, headers = message.delivery_info["routing_key"], dict(message.headers or {})
            headers.pop("yinfa.events", None)
            bodies = ([(e["type"], json.dumps(e)) for e in json.loads(message.body)]
                      if key == "batch" else [(key, message.body)])
            messages.extend((k, body, message.properties, headers) for k, body in bodies)
        return len(messages) == head

    wait_for(every_event_published, what="every event published")
    runner.stop()
    connection.release()
    assert len(messages) == head > VOLUNTEERS
    return messages


def publish(rabbit_config, messages) -> None:
    with kombu.Connection(rabbit_config["AMQP_URI"],
                          transport_options={"confirm_publish": True}) as connection:
        producer = kombu.Producer(connection.default_channel)
        for routing_key, body, properties, headers in messages:
            producer.publish(body, exchange="volunteers.events", routing_key=routing_key,
                             content_type=properties.get("content_type"),
                             content_encoding=properties.get("content_encoding"),
                             delivery_mode=2, headers=headers)


AGREEING_ANSWERS = 6  # consecutive equal rankings: RPCs go round the replicas


class Scoring:
    """One deployment of scoring (its own database) as `yinfa run scoring --replicas N`."""

    def __init__(self, test, label: str, replicas: int) -> None:
        self.test = test
        self.prefix = f"{test.mongo_db.name}_{label}"
        self.replicas = replicas
        self.port = free_ports(replicas)
        env = {**test.ops_env, "YINFA_DB_PREFIX": self.prefix, "YINFA_OPS_PORT": str(self.port)}
        args = ["run", "scoring"] + (["--replicas", str(replicas)] if replicas > 1 else [])
        self.process = test.yinfa_process(f"scoring-{label}", args, env)
        self.db = test.mongo_client[f"{self.prefix}_scoring"]

    def ready(self) -> None:
        for index in range(self.replicas):
            self.test.wait_for(
                lambda i=index: get(f"http://127.0.0.1:{self.port + i}/health/ready")[0] == 200,
                what=f"replica {index} ready")
        self.test.wait_for(lambda: self._consumers() == self.replicas,
                           what=f"{self.replicas} consumers on {SCORING_QUEUE}")

    def _consumers(self) -> int:
        return next((q.consumers for q in self.test.management.queues()
                     if q.name == SCORING_QUEUE), 0)

    def pid(self, index: int) -> int:
        return get_json(f"http://127.0.0.1:{self.port + index}/health/live")[1]["pid"]

    def consumed(self) -> list[float]:
        """Messages each replica took (journaled, skipped or dead-lettered), per process."""
        return [summed(scrape(self.port + i), "yinfa_events_consumed_total", service="scoring")
                for i in range(self.replicas)]

    def settled_ranking(self, total_events: int) -> list:
        """The ranking once every message is taken and the fold reached the journal's head."""
        self.test.wait_for(lambda: sum(self.consumed()) >= total_events,
                           timeout=CATCH_UP_TIMEOUT, what="every event taken")
        with self.test.rpc_proxy_factory() as scoring:
            self.test.wait_for(lambda: (lambda h: h["folded_position"] == h["journal_head"])(
                scoring.health()), what="folded to the journal's head")
            return scoring.county_ranking()

    def ranking_becomes(self, expected: list) -> None:
        """Every replica answers `expected` (polled: each folds the shared journal)."""
        answers: list = []
        with self.test.rpc_proxy_factory() as scoring:
            def agreed() -> bool:
                answers.append(scoring.county_ranking())
                return answers[-AGREEING_ANSWERS:] == [expected] * AGREEING_ANSWERS
            self.test.wait_for(agreed, timeout=CATCH_UP_TIMEOUT, what="the same ranking")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(30) == 0


@pytest.fixture
def test(ops_env, yinfa_process, management, wait_for, mongo_client, mongo_db,
         rabbit_config, drop_databases):
    from nameko.standalone.rpc import ServiceRpcProxy

    class Context:
        pass

    context = Context()
    context.__dict__.update(ops_env=ops_env, yinfa_process=yinfa_process,
                            management=management, wait_for=wait_for,
                            mongo_client=mongo_client, mongo_db=mongo_db)
    context.rpc_proxy_factory = lambda: ServiceRpcProxy(  # type: ignore[attr-defined]
        "scoring", {**rabbit_config, "serializer": "json"}, timeout=15)
    return context


@pytest.fixture
def reference_ranking(test, history, rabbit_config):
    """The ranking of one scoring replica that took every event."""
    single = Scoring(test, "one", 1)
    single.ready()
    publish(rabbit_config, history)
    ranking = single.settled_ranking(len(history))
    single.stop()
    assert any(county["total"] != "0.00" for county in ranking)
    return ranking


def test_three_replicas_share_the_events_and_one_killed_mid_stream_loses_nothing(
    test, history, reference_ranking, rabbit_config, wait_for
):
    three = Scoring(test, "three", 3)
    three.ready()
    pids = [three.pid(i) for i in range(3)]
    half = len(history) // 2

    publish(rabbit_config, history[:half])

    taken = wait_for(lambda: (lambda c: c if sum(c) >= half else None)(three.consumed()),
                     what="the first half taken")
    assert all(count > 0 for count in taken), f"a replica took nothing: {taken}"
    assert len(set(pids)) == 3

    publish(rabbit_config, history[half:])
    os.kill(pids[1], signal.SIGKILL)  # with messages of the second half in flight

    three.ranking_becomes(reference_ranking)
    # the supervisor put a new process in its place, on the same port
    replacement = wait_for(lambda: (lambda pid: pid if pid != pids[1] else None)(three.pid(1)),
                           what="replica 1 restarted")
    assert replacement not in pids
    assert three.process.poll() is None

    # SIGTERM to the supervisor stops every replica
    three.stop()
    for pid in (pids[0], replacement, pids[2]):
        assert not alive(pid), f"replica {pid} outlived its supervisor"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

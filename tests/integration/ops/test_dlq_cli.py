"""`yinfa dlq list|show|retry|discard` against a real dead-letter queue, filled by a real
inbox consumer whose apply refuses one event; after the cause is fixed, `retry` sends it
back to the queue it came from and the inbox applies it (its stream had moved on)."""
from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from yinfa.cli import main
from yinfa.config import settings
from yinfa.events.envelope import RecordedEvent
from yinfa.messaging.inbox import Inbox
from yinfa.service.dependencies import InboxProvider
from yinfa.service.subscriptions import every_event_of

pytestmark = pytest.mark.integration

SOURCE, CONSUMER = "opssource", "opsauditor"


class AuditorService:
    """Applies every event of `opssource`, except those whose `n` is listed as poison."""

    name = CONSUMER
    inbox: Inbox = InboxProvider()

    @every_event_of(SOURCE)
    def on_event(self, payloads: list[dict[str, Any]]) -> list[str]:
        return self.inbox.handle(payloads, self._apply)

    def _apply(self, event: RecordedEvent) -> None:
        poison = self.inbox.db["switches"].find_one({"_id": "poison"}) or {"n": []}
        if event.data["n"] in poison["n"]:
            raise ValueError(f"n={event.data['n']} cannot be audited")
        self.inbox.db["audited"].insert_one({"_id": event.event_id, "n": event.data["n"]})


@pytest.fixture
def auditor(runner_factory, service_config, mongo_db, monkeypatch):
    # a refused event is tried again three times before it is dead-lettered: quickly here
    monkeypatch.setenv("YINFA_INBOX_RETRY_SECONDS", "0.1")
    settings.cache_clear()
    runner = runner_factory(service_config, AuditorService)
    runner.start()
    return mongo_db


@pytest.fixture
def source(thing_source):
    return thing_source(SOURCE)


@pytest.fixture
def yinfa(rabbit_config):
    """`yinfa …` in this process, on the test's vhost; returns (exit code, output)."""
    import os

    env = {"AMQP_URI": rabbit_config["AMQP_URI"],
           "RABBIT_CTL_URI": os.environ.get("RABBIT_CTL_URI", "http://guest:guest@127.0.0.1:15672")}

    def run(*args: str) -> tuple[int, str]:
        settings.cache_clear()  # the command reads `env`, as its own process would
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        settings.cache_clear()
        return result.exit_code, result.output

    return run


def waiting(yinfa) -> dict[str, int]:
    code, output = yinfa("dlq", "list")
    assert code == 0, output
    rows = [line.split() for line in output.splitlines()[2:] if line.strip()]
    return {row[0]: int(row[2]) for row in rows}


def test_list_show_retry_discard_round_trip(auditor, source, yinfa, eventually):
    auditor["switches"].insert_one({"_id": "poison", "n": [1, 3]})
    ids = source(0, 1, 2, 3)
    eventually(lambda: waiting(yinfa).get(CONSUMER) == 2)
    assert auditor["audited"].count_documents({}) == 2

    code, output = yinfa("dlq", "list")
    assert output.splitlines()[0].split() == ["CONSUMER", "QUEUE", "MESSAGES"]
    assert f"dlq.{CONSUMER}" in output

    code, output = yinfa("dlq", "show", CONSUMER, "--json")
    shown = [json.loads(line) for line in output.splitlines()]
    assert code == 0 and [s["id"] for s in shown] == [ids[1], ids[3]]
    assert shown[0]["type"] == "ThingCounted" and shown[0]["payload"]["data"] == {"n": 1}
    assert "n=1 cannot be audited" in shown[0]["reason"]
    assert shown[0]["original_queue"] == f"evt-{SOURCE}-#--{CONSUMER}.on_event"
    code, table = yinfa("dlq", "show", CONSUMER)
    assert table.splitlines()[0].split()[:2] == ["ID", "TYPE"] and ids[3] in table
    assert waiting(yinfa)[CONSUMER] == 2  # showing takes nothing away

    # the cause is fixed: n=1 goes back to the consumer, which applies it now
    auditor["switches"].update_one({"_id": "poison"}, {"$set": {"n": [3]}})
    code, output = yinfa("dlq", "retry", CONSUMER, ids[1])
    assert code == 0 and "retried 1 message(s)" in output and ids[1] in output
    eventually(lambda: auditor["audited"].find_one({"_id": ids[1]}))
    assert waiting(yinfa)[CONSUMER] == 1
    assert sorted(d["n"] for d in auditor["audited"].find()) == [0, 1, 2]

    code, output = yinfa("dlq", "discard", CONSUMER, "--all")
    assert code == 0 and "discarded 1 message(s)" in output and ids[3] in output
    assert waiting(yinfa)[CONSUMER] == 0
    assert auditor["audited"].count_documents({}) == 3


def test_unknown_ids_and_queues_fail_clearly(auditor, source, yinfa, eventually):
    auditor["switches"].insert_one({"_id": "poison", "n": [0]})
    (poisoned,) = source(0)
    eventually(lambda: waiting(yinfa).get(CONSUMER) == 1)

    code, output = yinfa("dlq", "retry", CONSUMER, "no-such-id")
    assert code == 1 and "not found: no-such-id" in output
    code, output = yinfa("dlq", "discard", CONSUMER)
    assert code == 2 and "--all" in output  # neither ids nor --all: a usage error
    code, output = yinfa("dlq", "show", "nobody")
    assert code == 1 and "no dead-letter queue dlq.nobody" in output
    assert waiting(yinfa)[CONSUMER] == 1  # nothing was taken by the failed commands
    assert auditor["audited"].count_documents({}) == 0
    assert poisoned

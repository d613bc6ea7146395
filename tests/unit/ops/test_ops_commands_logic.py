"""The pure parts of the operations commands: the status table, queue ownership, dead-letter
naming and retry targets, and following a background rebuild."""
from __future__ import annotations

import pytest

from yinfa.config import load_settings
from yinfa.ops.dlq import DeadLetter, message_id, retry_target
from yinfa.ops.rabbit_api import QueueInfo, api_uri, queue_owner, vhost_of
from yinfa.ops.rebuild import RebuildError, background_fraction, rebuild_in_background
from yinfa.ops.status import HEADERS, ServiceHealth, render_status, status_rows
from yinfa.ops.table import render


def test_queue_names_tell_their_owner():
    assert queue_owner("rpc-volunteers") == "volunteers"
    assert queue_owner("evt-volunteers-#--scoring.on_volunteers_event") == "scoring"
    assert queue_owner("dlq.scoring") == "scoring"
    assert queue_owner("amq.gen-123") is None


def test_management_api_address_and_vhost_follow_the_environment():
    assert api_uri(load_settings({"YINFA_RABBIT_API": "http://a:b@mq:15672/"})) == "http://a:b@mq:15672"
    assert api_uri(load_settings({"RABBIT_CTL_URI": "http://c:d@x:1"})) == "http://c:d@x:1"
    assert api_uri(load_settings({"AMQP_URI": "amqp://u:p@broker:5672/v"})) == "http://u:p@broker:15672"
    assert vhost_of("amqp://u:p@broker:5672/") == "/"
    assert vhost_of("amqp://u:p@broker:5672/prod%2Fa") == "prod/a"


def test_table_aligns_columns_under_a_rule():
    text = render(("A", "LONGER"), [("xyz", 1), (None, 22)])
    assert text.splitlines() == ["A    LONGER", "---  ------", "xyz  1", "     22"]


def test_status_groups_queues_under_their_service_with_health_lags_and_dead_letters():
    healths = {
        "volunteers": ServiceHealth("volunteers", {"service": "volunteers", "head": 10,
                                                   "published": 7, "pending": 3, "views": 9}),
        "scoring": ServiceHealth("scoring", None, "RpcTimeout: 3"),
    }
    queues = [QueueInfo("rpc-volunteers", 2, 0, 1), QueueInfo("dlq.scoring", 0, 4, 0),
              QueueInfo("evt-volunteers-#--scoring.on_volunteers_event", 3, 50, 10),
              QueueInfo("rpc-scoring", 3, 0, 0), QueueInfo("dlq.auditor", 0, 1, 0)]

    rows = status_rows(["volunteers", "scoring"], healths, queues)

    assert rows == [
        ("volunteers", "ok", "3", "1", "rpc-volunteers", 2, 0, 1, 0),
        ("scoring", "no answer", "-", "-", "evt-volunteers-#--scoring.on_volunteers_event",
         3, 50, 10, 4),
        ("", "", "", "", "rpc-scoring", 3, 0, 0, ""),
        ("auditor", "-", "-", "-", "(no queues)", 0, 0, 0, 1),
    ]
    text = render_status(["volunteers", "scoring"], healths, queues)
    assert text.splitlines()[0].split() == " ".join(HEADERS).split()
    assert "scoring: RpcTimeout: 3" in text


def letter(body: bytes, original_queue: str | None = None) -> DeadLetter:
    return DeadLetter(message_id(body), "", "", original_queue, {}, body)


def test_a_dead_letter_is_named_by_its_event_id_or_the_hash_of_its_body():
    assert message_id(b'{"event_id": "e-1", "type": "T"}') == "e-1"
    assert message_id(b"[1, 2]").startswith("sha1:")
    assert message_id(b"not json") == message_id(b"not json")
    assert letter(b'{"type": "VolunteerRegistered"}').event_type == "VolunteerRegistered"


def test_a_retry_goes_to_the_queue_named_then_the_one_it_came_from_then_the_only_one():
    one = ["evt-volunteers-#--scoring.on_volunteers_event", "rpc-scoring"]
    several = one + ["evt-branches-#--scoring.on_branches_event"]

    assert retry_target("scoring", several, "q")(letter(b"{}", "orig")) == "q"
    assert retry_target("scoring", several)(letter(b"{}", "orig")) == "orig"
    assert retry_target("scoring", one)(letter(b"{}")) == one[0]
    assert retry_target("scoring", several)(letter(b"{}")) is None


def test_a_background_rebuild_is_followed_to_its_end_skipping_idle_replicas():
    answers = iter([
        {"phase": "idle", "running": False},  # another replica answered
        {"phase": "fold", "running": True, "folded": 5, "journal_head": 10},
        {"phase": "done", "running": False, "folded": 10, "journal_head": 10},
    ])
    seen = []

    last = rebuild_in_background(
        lambda: {"phase": "starting", "running": True}, lambda: next(answers),
        lambda answer: seen.append(background_fraction(answer)), poll_seconds=0)

    assert last["phase"] == "done"
    assert seen == [(0, 0), (5, 10), (10, 10)]


def test_a_failed_background_rebuild_is_an_error():
    with pytest.raises(RebuildError, match="boom"):
        rebuild_in_background(lambda: {"phase": "fold", "running": True},
                              lambda: {"phase": "failed", "running": False, "error": "boom"},
                              lambda answer: None, poll_seconds=0)


def test_backfill_progress_counts_the_sources_read():
    answer = {"phase": "backfill branches", "sources": {
        "volunteers": {"head": 10, "read": 10}, "branches": {"head": 30, "read": 5}}}
    assert background_fraction(answer) == (15, 40)


def test_views_lag_reads_the_kernel_views_or_a_journal_fold():
    kernel = ServiceHealth("v", {"head": 10, "views": 4, "pending": 0})
    journal = ServiceHealth("s", {"journal_head": 30, "folded_position": 28, "pending": 0})
    assert (kernel.views_lag, journal.views_lag) == ("6", "2")
    assert ServiceHealth("g", {"service": "g"}).views_lag == "-"

"""The event store contract (tests/event_store_contract.py) on the in-memory store."""
from __future__ import annotations

import sys

import pytest
from event_store_contract import WANG, EventStoreContract, a_life, registered

from yinfa.store.commits import DuplicateEventIds
from yinfa.store.memory import InMemoryEventStore


@pytest.fixture(autouse=True)
def threads_switch_often():
    """Racing writers interleave within a few bytecodes, as they would without the lock."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.fixture
def event_store():
    return InMemoryEventStore()


@pytest.fixture
def make_event_store(event_store):
    """Another store on the same events: another instance of the service."""
    return lambda registry=None: event_store.with_registry(registry)


class TestInMemoryEventStore(EventStoreContract):
    pass


def test_an_event_id_reused_anywhere_in_a_command_is_refused(event_store):
    """Stricter than the pymongo store, whose index only sees a command's first id."""
    first, second = a_life(2)
    event_store.append(WANG, [first, second])

    with pytest.raises(DuplicateEventIds):
        event_store.append(WANG, [registered(), second])

    assert event_store.head_position() == 2


def test_what_a_reader_changes_in_an_event_is_not_stored(event_store):
    event_store.append(WANG, [registered(skills=["义诊"])])

    event_store.read_stream(WANG)[0].data["skills"].append("书法")

    assert event_store.read_all()[0].data["skills"] == ["义诊"]

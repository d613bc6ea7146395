"""The event store contract (tests/event_store_contract.py) on the pymongo store."""
from __future__ import annotations

import pytest
from event_store_contract import EventStoreContract

pytestmark = pytest.mark.integration


class TestPymongoEventStore(EventStoreContract):
    """Against the embedded nx-27017, or the MongoDB at MONGO_URI; the fixtures
    `event_store` and `make_event_store` come from tests/conftest.py."""

"""One pymongo client per URI per process: pymongo pools connections itself."""
from __future__ import annotations

import threading

from pymongo import MongoClient

_clients: dict[str, MongoClient] = {}
_lock = threading.Lock()


def client_for(uri: str) -> MongoClient:
    with _lock:
        client = _clients.get(uri)
        if client is None:
            client = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=10_000)
            _clients[uri] = client
        return client

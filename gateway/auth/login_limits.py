"""Failed logins are counted per account and per address, in the gateway's store, so the
limit holds across every gateway replica: password guessing stays slow however many
instances a client spreads its tries over."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.database import Database

from gateway.problem import Problem

COLLECTION = "login_failures"
WINDOW_SECONDS = 15 * 60
MAX_PER_ACCOUNT = 10
MAX_PER_ADDRESS = 30


class LoginLimits:
    def __init__(self, db: Database) -> None:
        self.failures = db[COLLECTION]

    def ensure_indexes(self) -> None:
        # a window's counter is worthless once the window is over (MongoDB removes it)
        self.failures.create_index("expires_at", expireAfterSeconds=0)

    def check(self, username: str, address: str) -> None:
        """429 if the account or the address failed too often in this window."""
        window = _window()
        counts = {doc["_id"]: doc["count"] for doc in self.failures.find(
            {"_id": {"$in": [_key("account", username, window),
                             _key("address", address, window)]}})}
        if (counts.get(_key("account", username, window), 0) >= MAX_PER_ACCOUNT
                or counts.get(_key("address", address, window), 0) >= MAX_PER_ADDRESS):
            retry = WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS
            raise Problem(429, "too_many_logins",
                          "Too many failed logins; wait before trying again.",
                          headers={"Retry-After": str(max(1, retry))})

    def failed(self, username: str, address: str) -> None:
        window = _window()
        expires = datetime.fromtimestamp((window + 1) * WINDOW_SECONDS, UTC) + timedelta(
            minutes=1)
        for key in (_key("account", username, window), _key("address", address, window)):
            counted = self.failures.find_one_and_update(
                {"_id": key}, {"$inc": {"count": 1}}, return_document=ReturnDocument.AFTER)
            if counted is None:
                self.failures.update_one({"_id": key}, {"$inc": {"count": 1},
                                                        "$set": {"expires_at": expires}},
                                         upsert=True)


def _window() -> int:
    return int(time.time()) // WINDOW_SECONDS


def _key(kind: str, who: str, window: int) -> str:
    return f"{kind}:{who}:{window}"

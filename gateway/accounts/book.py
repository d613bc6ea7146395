"""Accounts as the gateway uses them: open, log in, find by API key, change.

Writes go through the event store (the account stream); the password hash is kept
beside it in `credentials`, one document per account, never in the log.
"""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from eventlet import tpool
from pymongo.database import Database

from gateway.accounts import account
from gateway.accounts.views import VIEWS
from gateway.auth.passwords import hash_password, verify_password
from gateway.auth.secrets import digest, key_id_of, new_api_key, same_digest
from gateway.roles import Principal
from yinfa.errors import DomainRuleViolated, NotFound
from yinfa.events.envelope import Metadata
from yinfa.projections import Projector
from yinfa.store.event_store import EventStore

PUBLIC_FIELDS = ("username", "role", "display_name", "county_code", "branch_id",
                 "volunteer_id", "active", "opened_at")


def public(doc: Mapping[str, Any]) -> dict[str, Any]:
    shown = {k: doc.get(k) for k in PUBLIC_FIELDS}
    shown["api_keys"] = [{"key_id": k["key_id"], "label": k["label"]}
                         for k in doc.get("api_keys", [])]
    return shown


def principal_of(doc: Mapping[str, Any]) -> Principal:
    return Principal(account=doc["username"], role=doc["role"],
                     county_code=doc.get("county_code"), branch_id=doc.get("branch_id"),
                     volunteer_id=doc.get("volunteer_id"))


class AccountBook:
    """`execute(stream_id, fold, decide)` comes from the kernel's EventSourcedStreams,
    or from `DirectStreams` where no service runs (the CLI)."""

    def __init__(self, db: Database, streams: Any) -> None:
        self.db = db
        self.streams = streams
        self.views = db["account_view"]
        self.credentials = db["credentials"]

    # ---- reads -------------------------------------------------------------------------

    def find(self, username: str) -> dict[str, Any] | None:
        return self.views.find_one({"_id": account.account_stream(username)}, {"_id": 0})

    def get(self, username: str) -> dict[str, Any]:
        doc = self.find(username)
        if doc is None:
            raise NotFound("no such account", field="username")
        return self._with_display_names([doc])[0]

    def list(self, role: str | None, county_code: str | None, offset: int, limit: int
             ) -> tuple[Sequence[dict[str, Any]], int]:
        query = {k: v for k, v in (("role", role), ("county_code", county_code)) if v}
        total = self.views.count_documents(query)
        docs = self.views.find(query, {"_id": 0}).sort("username", 1).skip(offset).limit(limit)
        return self._with_display_names(list(docs)), total

    def _with_display_names(self, docs: Sequence[dict[str, Any]]
                            ) -> Sequence[dict[str, Any]]:
        """Display names are kept with the credentials, outside the log."""
        names = {c["_id"]: c.get("display_name") for c in self.credentials.find(
            {"_id": {"$in": [d["username"] for d in docs]}}, {"display_name": 1})}
        return [public({**d, "display_name": names.get(d["username"])}) for d in docs]

    def authenticate(self, username: str, password: str) -> Principal | None:
        doc = self.find(username)
        stored = self.credentials.find_one({"_id": username}) if doc else None
        # argon2 takes tens of milliseconds of CPU: in a native thread, so the eventlet
        # hub keeps serving other requests meanwhile
        ok = tpool.execute(verify_password, stored["hash"] if stored else None, password)
        if not ok or doc is None or not doc["active"]:
            return None
        return principal_of(doc)

    def token_still_valid(self, username: str, issued_at: int) -> bool:
        """The account is open and its tokens were not revoked after `issued_at` (by a
        password change or a close)."""
        doc = self.find(username)
        if doc is None or not doc["active"]:
            return False
        stored = self.credentials.find_one({"_id": username}, {"tokens_after": 1})
        return issued_at >= int((stored or {}).get("tokens_after", 0))

    def revoke_tokens(self, username: str) -> None:
        # whole seconds, as a token's `iat`: a token issued in this second is refused too
        self.credentials.update_one({"_id": username},
                                    {"$set": {"tokens_after": int(time.time()) + 1}},
                                    upsert=True)

    def active_principal(self, username: str) -> Principal | None:
        doc = self.find(username)
        return principal_of(doc) if doc and doc["active"] else None

    def by_api_key(self, api_key: str) -> Principal | None:
        key_id = key_id_of(api_key)
        if key_id is None:
            return None
        doc = self.views.find_one({"api_key_ids": key_id, "active": True})
        if doc is None:
            return None
        stored = next((k for k in doc["api_keys"] if k["key_id"] == key_id), None)
        if stored is None or not same_digest(stored["digest"], api_key):
            return None
        return principal_of(doc)

    # ---- writes ------------------------------------------------------------------------

    def open(self, command: Mapping[str, Any]) -> dict[str, Any]:
        username = command["username"]
        self._execute(username, lambda state: account.open_account(state, command))
        self._store_password(username, command["password"])
        self.credentials.update_one({"_id": username},
                                    {"$set": {"display_name": command.get("display_name")}})
        return self.get(username)

    def set_password(self, username: str, password: str) -> dict[str, Any]:
        self._execute(username, account.set_password)
        self._store_password(username, password)
        self.revoke_tokens(username)
        return self.get(username)

    def close(self, username: str, reason: str, closed_by: str) -> dict[str, Any]:
        if closed_by == username:
            raise DomainRuleViolated("no one closes their own account", field="username")
        target = self.get(username)
        if target["role"] == "city_admin" and target["active"] and self.views.count_documents(
                {"role": "city_admin", "active": True}) <= 1:
            raise DomainRuleViolated("the last city administrator's account stays open",
                                     field="username")
        self._execute(username, lambda state: account.close_account(state, reason))
        self.revoke_tokens(username)
        return self.get(username)

    def issue_api_key(self, username: str, label: str) -> dict[str, Any]:
        key_id, api_key = new_api_key()
        self._execute(username, lambda state: account.issue_api_key(
            state, key_id, digest(api_key), label))
        return {"key_id": key_id, "label": label, "api_key": api_key}

    def revoke_api_key(self, username: str, key_id: str) -> None:
        self._execute(username, lambda state: account.revoke_api_key(state, key_id))

    def _execute(self, username: str, decide: Any) -> None:
        self.streams.execute(account.account_stream(username), account.fold, decide)

    def _store_password(self, username: str, password: str) -> None:
        self.credentials.update_one({"_id": username},
                                    {"$set": {"hash": hash_password(password)}}, upsert=True)


class DirectStreams:
    """The kernel's execute without a running service: used by `yinfa-create-admin`."""

    def __init__(self, db: Database, actor: str) -> None:
        self.store = EventStore(db, account.CATALOG_REGISTRY)
        self.store.ensure_indexes()
        self.projector = Projector(self.store, VIEWS)
        self.metadata = Metadata(actor=actor)

    def execute(self, stream_id: str, fold: Any, decide: Any) -> None:
        events = self.store.read_stream(stream_id)
        new_events = decide(fold(events))
        if new_events:
            self.store.append(stream_id, new_events, len(events) and events[-1].version,
                              self.metadata)
            self.projector.refresh_stream(stream_id)

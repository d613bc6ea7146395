"""The account aggregate: pure state, evolve and decisions (no I/O)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gateway.accounts.events import (
    ACCOUNT_CLOSED,
    ACCOUNT_OPENED,
    API_KEY_ISSUED,
    API_KEY_REVOKED,
    CATALOG,
    PASSWORD_SET,
)
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.events.envelope import NewEvent
from yinfa.events.fold import Fold

STREAM_PREFIX = "account-"


def account_stream(username: str) -> str:
    return f"{STREAM_PREFIX}{username}"


@dataclass(frozen=True)
class Account:
    role: str
    county_code: str | None = None
    branch_id: str | None = None
    volunteer_id: str | None = None
    active: bool = True
    api_keys: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def _opened(data: Mapping[str, Any]) -> Account:
    return Account(role=data["role"],
                   county_code=data.get("county_code"), branch_id=data.get("branch_id"),
                   volunteer_id=data.get("volunteer_id"))


def _key_issued(state: Account, data: Mapping[str, Any]) -> Account:
    keys = {**state.api_keys, data["key_id"]: {"digest": data["key_digest"],
                                                "label": data["label"]}}
    return replace(state, api_keys=keys)


def _key_revoked(state: Account, data: Mapping[str, Any]) -> Account:
    return replace(state, api_keys={k: v for k, v in state.api_keys.items()
                                    if k != data["key_id"]})


FOLD = Fold("account", ACCOUNT_OPENED, {
    ACCOUNT_OPENED: lambda _state, data: _opened(data),
    PASSWORD_SET: lambda state, data: state,
    ACCOUNT_CLOSED: lambda state, data: replace(state, active=False, api_keys={}),
    API_KEY_ISSUED: _key_issued,
    API_KEY_REVOKED: _key_revoked,
})


fold = FOLD.replay


def _open_one(state: Account | None) -> Account:
    if state is None:
        raise NotFound("no such account", field="username")
    if not state.active:
        raise DomainRuleViolated("the account is closed", field="username")
    return state


def open_account(state: Account | None, command: Mapping[str, Any]) -> list[NewEvent]:
    if state is not None:
        raise AlreadyExists("the username is taken", field="username")
    data = {k: command.get(k) for k in ("role", "county_code", "branch_id", "volunteer_id")}
    return [CATALOG.new_event(ACCOUNT_OPENED, data), CATALOG.new_event(PASSWORD_SET, {})]


def set_password(state: Account | None) -> list[NewEvent]:
    _open_one(state)
    return [CATALOG.new_event(PASSWORD_SET, {})]


def close_account(state: Account | None, reason: str) -> list[NewEvent]:
    _open_one(state)
    return [CATALOG.new_event(ACCOUNT_CLOSED, {"reason": reason})]


def issue_api_key(state: Account | None, key_id: str, key_digest: str, label: str
                  ) -> list[NewEvent]:
    account = _open_one(state)
    if account.role != "feed_client":
        raise DomainRuleViolated("only feed clients use API keys", field="username")
    return [CATALOG.new_event(API_KEY_ISSUED, {"key_id": key_id, "key_digest": key_digest,
                                                "label": label})]


def revoke_api_key(state: Account | None, key_id: str) -> list[NewEvent]:
    account = _open_one(state)
    if key_id not in account.api_keys:
        raise NotFound("no such API key", field="key_id")
    return [CATALOG.new_event(API_KEY_REVOKED, {"key_id": key_id})]

CATALOG_REGISTRY = CATALOG.registry

"""The feeds service's own documents beside its public log, over its database: profiles,
partners, the audit log of reads, and the names of volunteers asked of their service."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any

from nameko.extensions import DependencyProvider
from pymongo import DESCENDING
from pymongo.database import Database

from yinfa.errors import NotFound
from yinfa.service.dependencies import service_database

PROFILES, PARTNERS, READS = "feed_profiles", "feed_partners", "feed_reads"
ERASED = "已注销"  # what the volunteers service names an erased person: no name at all

Names = Callable[[list[str]], Mapping[str, str]]


def ensure_indexes(db: Database) -> None:
    db[READS].create_index([("partner", 1), ("at", DESCENDING)], name="partner_at")
    db[READS].create_index("at", name="at")


# --- profiles and partners ---------------------------------------------------------------


def put_profile(db: Database, profile: str, body: Mapping[str, Any]) -> dict[str, Any]:
    doc = {"profile": profile, "label": body["label"], "types": dict(body["types"]),
           "names": bool(body.get("names"))}
    db[PROFILES].replace_one({"_id": profile}, {"_id": profile, **doc}, upsert=True)
    return doc


def profiles(db: Database) -> list[dict[str, Any]]:
    return list(db[PROFILES].find({}, {"_id": 0}).sort("profile", 1))


def profile_of(db: Database, profile: str) -> dict[str, Any]:
    doc = db[PROFILES].find_one({"_id": profile}, {"_id": 0})
    if doc is None:
        raise NotFound("no such profile", field="profile")
    return doc


def put_partner(db: Database, partner: str, body: Mapping[str, Any]) -> dict[str, Any]:
    profile_of(db, body["profile"])
    doc = {"partner": partner, "label": body["label"], "profile": body["profile"]}
    db[PARTNERS].replace_one({"_id": partner}, {"_id": partner, **doc}, upsert=True)
    return doc


def partners(db: Database) -> list[dict[str, Any]]:
    return list(db[PARTNERS].find({}, {"_id": 0}).sort("partner", 1))


def profile_of_partner(db: Database, partner: str, profile: str) -> dict[str, Any]:
    """The profile, if the partner is bound to it; NotFound otherwise (a key for one
    profile cannot tell whether another exists)."""
    bound = db[PARTNERS].find_one({"_id": partner}, {"profile": 1})
    if bound is None or bound["profile"] != profile:
        raise NotFound("no such feed", field="profile")
    return profile_of(db, profile)


# --- the audit log of reads ----------------------------------------------------------------


def log_read(db: Database, partner: str, profile: str, after: int, until: int, events: int,
             scanned: int) -> None:
    db[READS].insert_one({"partner": partner, "profile": profile, "after": after,
                          "until": until, "events": events, "scanned": scanned,
                          "at": datetime.now(UTC)})


def reads(db: Database, partner: str | None, limit: int, offset: int) -> dict[str, Any]:
    query = {"partner": partner} if partner else {}
    total = db[READS].count_documents(query)
    found = db[READS].find(query, {"_id": 0}).sort("at", DESCENDING).skip(offset).limit(limit)
    return {"total": total, "items": [{**doc, "at": _aware(doc["at"]).isoformat()}
                                      for doc in found]}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- names ---------------------------------------------------------------------------------


NAMES_AT_ONCE = 100


def names_from_volunteers(config: Mapping[str, Any], timeout: float = 10.0) -> Names:
    """Names asked of the volunteers service (`names_of`), a hundred at a time."""

    def names(volunteer_ids: list[str]) -> dict[str, str]:
        from nameko.standalone.rpc import ClusterRpcProxy

        found: dict[str, str] = {}
        if not volunteer_ids:
            return found
        with ClusterRpcProxy(dict(config), timeout=timeout) as cluster:
            for at in range(0, len(volunteer_ids), NAMES_AT_ONCE):
                found.update(cluster.volunteers.names_of(volunteer_ids[at:at + NAMES_AT_ONCE]))
        return found

    return names


class VolunteerNames(DependencyProvider):
    """A worker's way to the volunteers' names (`names_of`); sets up the indexes of the
    audit log and of the imports once."""

    def setup(self) -> None:
        from services.feeds.imports import jobs

        db = service_database(self.container)
        ensure_indexes(db)
        jobs.ensure_indexes(db)
        self.names = names_from_volunteers(self.container.config)

    def get_dependency(self, worker_ctx: Any) -> Names:
        return self.names


class ServiceCalls(DependencyProvider):
    """`calls()` opens RPC to the other services for a while (an import run):
    `with calls() as call: call("volunteers", "register_volunteers", rows)`."""

    def get_dependency(self, worker_ctx: Any) -> Callable[[], Any]:
        return partial(cluster_calls, self.container.config)


@contextmanager
def cluster_calls(config: Mapping[str, Any], timeout: float = 120.0) -> Iterator[Any]:
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.feeds.imports.engine import Calls

    with ClusterRpcProxy(dict(config), timeout=timeout) as cluster:
        yield Calls(cluster)


def known_names(names: Mapping[str, str], volunteer_ids: Iterable[str]) -> dict[str, str]:
    """The names the volunteers service gave, without the erased (who get none)."""
    return {vid: names[vid] for vid in volunteer_ids if names.get(vid) not in (None, ERASED)}

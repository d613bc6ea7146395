"""Moving to another city: the handlers that release a volunteer with a signed transfer
package and that import a package from another city (docs/records.md, "Moving to another
city").

Releasing reads the whole stream (the history the package tells), the sealed personal
data (the identity it carries) and the kinds and themes of the activities served (asked
of the activities service by `activity_facts`); the package is sealed before the release
is recorded, so a refusal anywhere changes nothing. Importing opens the package
(`yinfa.city_packages`: size, canonical form, trusted sender, signature, recipient,
expiry, then decryption), loads the record with its published schema and registers the
person under this city's id for their ID number: personal data first, as a registration
does, then one commit of the arrival's events.
"""
from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError

from contracts.volunteers import events as ev
from contracts.volunteers.catalog import VolunteerCatalog, load_volunteer_catalog
from contracts.volunteers.city_transfer_events import VOLUNTEER_TRANSFERRED_IN
from contracts.volunteers.city_transfer_record import (
    MAX_PACKAGE_BYTES,
    PACKAGE_KIND,
    RECORD_FORMAT,
    RECORD_VERSION,
    VALID_DAYS,
    VolunteerRecordV1,
)
from contracts.volunteers.id_number import birth_date_of
from contracts.volunteers.streams import volunteer_stream
from services.volunteers import dependencies as personal
from services.volunteers.domain import city_transfer, commands
from services.volunteers.domain.volunteer import replay as fold_volunteer, volunteer_id_for
from yinfa.city_packages import PackageRefused, canonical, open_package, seal_package
from yinfa.city_time import local_day
from yinfa.city_trust import load_trust, own_keys
from yinfa.errors import ConcurrencyError, DomainRuleViolated, ValidationFailed
from yinfa.events.envelope import RecordedEvent
from yinfa.reference import City, load_city
from yinfa.secrets import SecretMissing
from yinfa.service.dependencies import EventSourcedStreams

ActivityFacts = Callable[[list[str]], Mapping[str, Mapping[str, Any]]]  # id -> kind, theme

# what each event says of the person's status, for the history the package tells
STATUS_OF = {
    ev.VOLUNTEER_REGISTERED: "registered", ev.VOLUNTEER_VERIFIED: "verified",
    ev.VOLUNTEER_SUSPENDED: "suspended", ev.VOLUNTEER_REINSTATED: "reinstated",
    ev.VOLUNTEER_WITHDRAWN: "withdrawn", ev.VOLUNTEER_RETURNED: "returned",
    "VolunteerTransferred": "transferred", VOLUNTEER_TRANSFERRED_IN: "transferred_in",
}


def transfer_out(streams: EventSourcedStreams, command: commands.TransferOutOfCity,
                 activity_facts: ActivityFacts) -> dict[str, Any]:
    """Release the volunteer to `to_city`; the package and what names it."""
    city, recipient, keys = load_city(), _trusted(command.to_city), _keys()
    if command.to_city == city.code:
        raise DomainRuleViolated("a move within the city is a transfer between counties",
                                 field="to_city")
    stream = volunteer_stream(command.volunteer_id)
    history = streams.store.read_stream(stream)
    state = fold_volunteer(history)
    package_id = (state.released_with if state is not None and state.released_with
                  else secrets.token_hex(16))
    city_transfer.release_to_city(state, command, package_id)  # refused here: nothing sent
    assert state is not None
    person = personal.reveal(streams.views, command.volunteer_id)
    if person is None:
        raise DomainRuleViolated("the record keeps no personal data to send",
                                 field="volunteer_id")
    now = datetime.now(UTC)
    record = build_record(city, state, history, person, _teams(streams, command.volunteer_id),
                          _certificates(streams, command.volunteer_id), activity_facts,
                          released_on=local_day(now, city.zone),
                          adopted=_adopted(streams, state))
    package = seal_package(canonical(record), kind=PACKAGE_KIND, sender=city.code, keys=keys,
                           recipient=recipient, created_at=now,
                           expires_at=now + timedelta(days=VALID_DAYS), package_id=package_id)
    recorded = streams.execute(stream, fold_volunteer, lambda current: (
        city_transfer.release_to_city(current, command, package_id)))
    if not recorded:  # a repeat: the release recorded before must be this package's
        again, _ = streams.load(stream, fold_volunteer)
        if again is None or again.released_with != package_id:
            raise ConcurrencyError("the volunteer was released meanwhile: ask again")
    return {"volunteer_id": command.volunteer_id, "to_city": command.to_city,
            "package_id": package_id, "expires_at": json.loads(package)["expires_at"],
            "package": package.decode("ascii")}


def transfer_in(streams: EventSourcedStreams, command: commands.TransferInFromCity
                ) -> str:
    """Register the person of a package from another city; their volunteer id here."""
    city, keys = load_city(), _keys()
    data = command.package.encode("utf-8")
    try:
        opened = open_package(data, own_city=city.code, keys=keys, trust=load_trust(),
                              now=datetime.now(UTC), max_bytes=MAX_PACKAGE_BYTES,
                              kind=PACKAGE_KIND)
    except PackageRefused as refused:
        raise ValidationFailed({"package": [str(refused)]},
                               f"package refused ({refused.reason})") from None
    record = load_record(opened.content)
    if record["source"]["city_code"] != opened.header["from_city"]:
        raise ValidationFailed({"package": ["The record's city is not the sending city."]},
                               "package refused (malformed)")
    person = record["person"]
    volunteer_id = personal.record_of(
        streams.views, volunteer_id_for(person["id_number"], personal.id_secret()))
    catalog = load_volunteer_catalog()
    package_id = opened.header["package_id"]

    returning: list[bool] = []  # whether the person was back on their record

    def decide(state: Any) -> list:
        decided = city_transfer.arrive_from_city(state, record, command.county_code,
                                                 package_id, catalog, here=city.code)
        returning[:] = [state is not None]
        if decided and state is None and not personal.keep(streams.views, volunteer_id, {
                "name": person["name"], "phone": person["phone"],
                "id_number": person["id_number"]}):
            raise DomainRuleViolated("other personal data is kept under this person's id: "
                                     "run the reconciliation", field="package")
        return decided

    recorded = streams.execute(volunteer_stream(volunteer_id), fold_volunteer, decide)
    if recorded and returning == [True]:  # back on their record: name and phone as now
        personal.update(streams.views, volunteer_id,
                        {"name": person["name"], "phone": person["phone"]})
    return volunteer_id


def load_record(content: bytes) -> dict[str, Any]:
    """The record a package's content holds, loaded by its published schema."""
    try:
        return VolunteerRecordV1().load(json.loads(content))
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed({"package": ["The record is not JSON."]},
                               "package refused (malformed)") from None
    except ValidationError as error:
        raise ValidationFailed({"package": {"record": error.normalized_messages()}},
                               "package refused (malformed)") from None


def _trusted(city_code: str) -> Any:
    trusted = load_trust().get(city_code)
    if trusted is None:
        raise ValidationFailed({"to_city": [f"City {city_code} is not in this platform's "
                                            "trust list."]})
    return trusted


def _keys() -> Any:
    try:
        return own_keys()
    except SecretMissing as missing:
        raise DomainRuleViolated(f"this platform cannot sign or open transfer packages: "
                                 f"{missing}") from None


def _teams(streams: EventSourcedStreams, volunteer_id: str) -> list[dict[str, str]]:
    return [{"name": t["name"], "category": t["category"]} for t in streams.views[
        "team_view"].find({"members": volunteer_id}, {"name": 1, "category": 1}).sort(
        "team_id", 1)]


def _adopted(streams: EventSourcedStreams, state: Any) -> list[dict[str, Any]]:
    """The ledger entries merges handed this record, as they count for it now, dated by
    the merged record's own ledger (which keeps them)."""
    entries = []
    for merge_id, retired_id in state.merged_from.items():
        theirs = _ledger(streams.store.read_stream(volunteer_stream(retired_id)))
        for entry_id, (hours, activity_id) in state.adopted.get(merge_id, {}).items():
            if entry_id in theirs:
                entries.append({**theirs[entry_id], "hours": str(hours),
                                "activity_id": activity_id})
    return entries


def _certificates(streams: EventSourcedStreams, volunteer_id: str) -> list[dict[str, str]]:
    return [{"code": c["code"], "issued_on": c["issued_on"], "status": c["status"]}
            for c in streams.views["certificate_view"].find(
                {"volunteer_id": volunteer_id}, {"code": 1, "issued_on": 1, "status": 1}
            ).sort("code", 1)]


# ---- the record a package carries -------------------------------------------------------


def build_record(city: City, state: Any, history: Sequence[RecordedEvent],
                 person: Mapping[str, Any], teams: list[dict[str, str]],
                 certificates: list[dict[str, str]], activity_facts: ActivityFacts,
                 released_on: date, adopted: Sequence[Mapping[str, Any]] = ()
                 ) -> dict[str, Any]:
    """The record of version 1, JSON-ready, checked by its own schema before it leaves.
    `adopted`: the ledger entries merges handed the record (on other streams)."""
    carried = [e.data for e in history if e.type == VOLUNTEER_TRANSFERRED_IN]
    entries = [*_ledger(history).values(), *adopted]
    facts = activity_facts(sorted({e["activity_id"] for e in entries if e["activity_id"]}))
    hours = [*(entry for c in carried for entry in c["entries"]),
             *({"served_in": city.code, "served_on": e["served_on"], "hours": e["hours"],
                "source": e["source"],
                "activity_kind": facts.get(e["activity_id"], {}).get("kind"),
                "theme": facts.get(e["activity_id"], {}).get("theme")}
               for e in entries)]
    county = city.units.get(state.county_code)
    record = {
        "format": RECORD_FORMAT, "version": RECORD_VERSION,
        "source": {"city_code": city.code, "city_name": city.name,
                   "county_code": state.county_code,
                   "county_name": county.name if county else state.county_code,
                   "volunteer_id": history[0].stream_id.split("-", 1)[1],
                   "released_on": released_on.isoformat()},
        "person": {"name": person["name"], "id_number": person["id_number"],
                   "phone": person["phone"], "gender": state.gender,
                   "birth_date": birth_date_of(person["id_number"]).isoformat()},
        "profile": {"retirement_status": state.retirement_status,
                    "party_member": state.party_member,
                    "former_employer": state.former_employer, "skills": list(state.skills),
                    "insurance": state.insurance},
        "verified": state.verified,
        # a person back from another city carried this city's own history there and back:
        # each fact once
        "statuses": _once([*(s for c in carried for s in c["statuses"]),
                           *({"status": STATUS_OF[e.type], "on": _day(e, city)}
                             for e in history if e.type in STATUS_OF)]),
        "hours": hours,
        "hours_total": str(sum((Decimal(h["hours"]) for h in hours), Decimal(0))),
        "star_level": state.star_level,
        "star_levels": _star_levels(history, carried, state.star_level,
                                    load_volunteer_catalog(), city),
        "teams": _once([*(t for c in carried for t in c["teams"]), *teams]),
        "certificates": _once([*(x for c in carried for x in c["certificates"]),
                               *certificates], key="code"),
    }
    VolunteerRecordV1().load(record)  # what leaves is what the receiver will accept
    return record


def _once(items: list[dict[str, Any]], key: str | None = None) -> list[dict[str, Any]]:
    """The items in their first order, each once (by `key`, the latest item of it: a
    certificate revoked since; or whole)."""
    kept: dict[Any, dict[str, Any]] = {}
    for item in items:
        if key:
            kept[item[key]] = item
        else:
            kept.setdefault(tuple(sorted(item.items())), item)
    return list(kept.values())


def _ledger(history: Iterable[RecordedEvent]) -> dict[str, dict[str, Any]]:
    """The ledger's entries by id as they stand (corrections applied), in recorded
    order."""
    entries: dict[str, dict[str, Any]] = {}
    for event in history:
        if event.type == ev.HOURS_RECORDED:
            entries[event.data["entry_id"]] = {
                "served_on": event.data["served_on"], "hours": event.data["hours"],
                "source": event.data["source"], "activity_id": event.data.get("activity_id")}
        elif event.type == ev.HOURS_CORRECTED and event.data["entry_id"] in entries:
            entries[event.data["entry_id"]]["hours"] = event.data["hours"]
    return entries


def _star_levels(history: Sequence[RecordedEvent], carried: list[Mapping[str, Any]],
                 approved: int, catalog: VolunteerCatalog, city: City
                 ) -> list[dict[str, Any]]:
    """Each level up to the approved one: when and by whom it was approved (the latest
    approval of a level, where it was approved more than once)."""
    levels: dict[int, dict[str, Any]] = {}
    for c in carried:
        for level in c["star_levels"]:
            levels[level["level"]] = dict(level)
    for event in history:
        if event.type == ev.STAR_LEVEL_APPROVED:
            levels[event.data["level"]] = {"level": event.data["level"],
                                           "authority": event.data["authority"],
                                           "approved_on": _day(event, city)}
        elif event.type == ev.STAR_LEVEL_CHANGED and event.data.get("approved_by_rule"):
            for level in range(1, min(event.data["to_level"], len(catalog.star_levels)) + 1):
                # counted as reached, then: approved by rule
                levels.setdefault(level, {"level": level, "approved_on": _day(event, city),
                                          "authority": catalog.star_authority(level)})
    return [levels[n] for n in sorted(levels) if n <= approved]


def _day(event: RecordedEvent, city: City) -> str:
    return local_day(event.occurred_at, city.zone).isoformat()



COMMAND_HANDLERS: dict[type, Callable[..., Any]] = {
    commands.TransferOutOfCity: transfer_out,
    commands.TransferInFromCity: transfer_in,
}

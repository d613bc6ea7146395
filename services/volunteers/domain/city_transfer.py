"""Moving to another city, as decisions on a volunteer's stream.

Releasing: the volunteer's county bureau (or the city) releases them to a trusted city;
the record stays, read-only (`transferred_out`), its hours counted where they were
served. A repeat of the release to the same city decides nothing, so that the package
can be issued again (a lost download), under the same package id.

Arriving: a verified package registers the person in the receiving county with the
history it carries: the hours served there are kept and count for stars
(`carried_hours`), never in a ranking here; the star level approved there stays (the
floor of the level reached); a person verified there comes in verified. The same package
twice decides nothing the second time.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from contracts.volunteers import events as ev
from contracts.volunteers.catalog import VolunteerCatalog
from contracts.volunteers.city_transfer_events import (
    VOLUNTEER_TRANSFERRED_IN,
    VOLUNTEER_TRANSFERRED_OUT,
)
from yinfa.errors import AlreadyExists, DomainRuleViolated, NotFound
from yinfa.events.envelope import NewEvent

from . import commands as c
from .city_transfer_state import TRANSFERRED_OUT
from .volunteer import SUSPENDED, Volunteer, _existing, _with_star_change

SERVING = ("registered", "verified", "active", "suspended")  # "exists here actively"


def release_to_city(state: Volunteer | None, command: c.TransferOutOfCity,
                    package_id: str) -> list[NewEvent]:
    if state is None:
        raise NotFound("no such volunteer", field="volunteer_id")
    if state.status == TRANSFERRED_OUT:
        if state.transferred_to == command.to_city:
            return []  # released already: the package is issued again
        raise DomainRuleViolated(f"the volunteer was released to city {state.transferred_to}",
                                 field="to_city", transferred_to=state.transferred_to)
    current = _existing(state, "transfer")
    if current.status == SUSPENDED:
        raise DomainRuleViolated("reinstate the volunteer before releasing them",
                                 field="volunteer_id")
    if command.acting_county not in (None, current.county_code):
        raise DomainRuleViolated("only the volunteer's own county bureau, or the city, can "
                                 "release them", field="volunteer_id",
                                 volunteer_county=current.county_code)
    return [ev.new_event(VOLUNTEER_TRANSFERRED_OUT, {
        "to_city": command.to_city, "county_code": current.county_code,
        "package_id": package_id,
        "released_by": "city" if command.acting_county is None else "county"})]


def arrive_from_city(state: Volunteer | None, record: Mapping[str, Any], county_code: str,
                     package_id: str, catalog: VolunteerCatalog, here: str
                     ) -> list[NewEvent]:
    """`record` is the package's content as `VolunteerRecordV1` loaded it; `here` this
    city's code (hours the package lists as served here are on the ledger already)."""
    if state is not None and state.arrived_with == package_id:
        return []  # this package was imported before
    if state is not None and state.status == TRANSFERRED_OUT:
        return _back(state, record, county_code, package_id, catalog, here)
    if state is not None:
        serving = state.status in SERVING
        raise AlreadyExists(
            "this person is registered here already" if serving else
            f"this person has a record here ({state.status}): its county bureau can bring "
            "it back; the package is not imported", field="package", status=state.status)
    profile, person = record["profile"], record["person"]
    decided = [
        ev.new_event(ev.VOLUNTEER_REGISTERED, {
            "gender": person["gender"], "birth_year": person["birth_date"].year,
            "county_code": county_code, "former_employer": profile["former_employer"],
            "retirement_status": profile["retirement_status"],
            "party_member": profile["party_member"], "branch_id": None,
            # skills this city's catalog knows; the others have no meaning here
            "skills": [s for s in profile["skills"] if s in catalog.skills],
            "insurance": profile["insurance"]}),
        ev.new_event(VOLUNTEER_TRANSFERRED_IN, _carried(record, county_code, package_id,
                                                        here)),
    ]
    if record["verified"]:
        decided.append(ev.new_event(ev.VOLUNTEER_VERIFIED, {
            "county_code": county_code,
            "note": f"transferred in from city {record['source']['city_code']}"}))
    return _with_star_change(None, decided, catalog)  # type: ignore[arg-type]


def _back(state: Volunteer, record: Mapping[str, Any], county_code: str, package_id: str,
          catalog: VolunteerCatalog, here: str) -> list[NewEvent]:
    """Back from the city they moved to: the record they left here stands again where it
    stood, in the county that released them (a move to another county is a transfer
    between counties, afterwards), with the hours served elsewhere carried."""
    if county_code != state.county_code:
        raise DomainRuleViolated(
            f"this person's record here is in county {state.county_code}, which released "
            "them: import the package there (and transfer them between counties after)",
            field="county_code", volunteer_county=state.county_code)
    decided = [ev.new_event(VOLUNTEER_TRANSFERRED_IN,
                            _carried(record, county_code, package_id, here))]
    if record["verified"] and not state.verified:
        decided.append(ev.new_event(ev.VOLUNTEER_VERIFIED, {
            "county_code": county_code,
            "note": f"transferred in from city {record['source']['city_code']}"}))
    return _with_star_change(state, decided, catalog)


def _carried(record: Mapping[str, Any], county_code: str, package_id: str, here: str
             ) -> dict[str, Any]:
    source = record["source"]
    elsewhere = [e for e in record["hours"] if e["served_in"] != here]
    return {
        "from_city": source["city_code"], "from_county": source["county_code"],
        "county_code": county_code, "package_id": package_id,
        "carried_hours": str(sum((e["hours"] for e in elsewhere), Decimal(0))),
        "star_level": record["star_level"], "verified": record["verified"],
        "entries": [{"served_in": e["served_in"], "served_on": e["served_on"].isoformat(),
                     "hours": str(e["hours"]), "source": e["source"],
                     "activity_kind": e["activity_kind"], "theme": e["theme"]}
                    for e in elsewhere],
        "star_levels": [{"level": s["level"], "authority": s["authority"],
                         "approved_on": s["approved_on"].isoformat()}
                        for s in record["star_levels"]],
        "statuses": [{"status": s["status"], "on": s["on"].isoformat()}
                     for s in record["statuses"]],
        "teams": [dict(t) for t in record["teams"]],
        "certificates": [{"code": x["code"], "issued_on": x["issued_on"].isoformat(),
                          "status": x["status"]} for x in record["certificates"]],
    }

"""Moving to another city, in the domain: the release leaves a read-only record whose
hours stay where they were served; the record a package carries round-trips through its
published schema; the arrival registers the person with the history carried, their
approved stars kept, the carried hours counted for stars but not as hours served here;
the same package twice changes nothing; nothing personal enters an event."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from marshmallow import ValidationError

from contracts.volunteers.catalog import load_volunteer_catalog
from contracts.volunteers.city_transfer_record import (
    MAX_PACKAGE_BYTES,
    PACKAGE_KIND,
    VolunteerRecordV1,
)
from contracts.volunteers.id_number import make_id_number
from contracts.volunteers.standing import standing_facts, standing_of
from services.scoring.domain.state import TRANSLATORS
from services.volunteers.city_transfers import build_record
from services.volunteers.domain import city_transfer, commands as c, volunteer as v
from yinfa.city_packages import (
    CityKeys,
    TrustedCity,
    canonical,
    new_secret,
    open_package,
    seal_package,
)
from yinfa.errors import AlreadyExists, DomainRuleViolated
from yinfa.reference import load_city
from yinfa.secrets import key_material

TINGHU = "320902"  # 亭湖区 (see conftest)
WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"
WANG_ID = make_id_number(TINGHU, date(1956, 10, 1), 123)

NANTONG = "3206"
PACKAGE, OTHER_PACKAGE = "a1" * 16, "b2" * 16
RELEASE = c.TransferOutOfCity(WANG, NANTONG, acting_county=TINGHU)
PERSON = {"name": "王建国", "id_number": WANG_ID, "phone": "13812345678"}
CHONGCHUAN = "320602"  # 崇川区, Nantong


SAMPLE_RECORD = {  # a record as a package carries it (docs/records.md)
    "format": "yinfa.volunteer-record", "version": 1,
    "source": {"city_code": "3209", "city_name": "盐城市", "county_code": TINGHU,
               "county_name": "亭湖区", "volunteer_id": WANG, "released_on": "2026-06-01"},
    "person": {"name": "王建国", "id_number": WANG_ID, "phone": "13812345678",
               "gender": "male", "birth_date": "1956-10-01"},
    "profile": {"retirement_status": "tuixiu", "party_member": True,
                "former_employer": "盐城市财政局", "skills": ["theory"], "insurance": True},
    "verified": True,
    "statuses": [{"status": "registered", "on": "2023-03-01"},
                 {"status": "verified", "on": "2023-03-02"}],
    "hours": [{"served_in": "3209", "served_on": "2023-10-23", "hours": "12.0",
               "source": "activity",
               "activity_kind": "clinic", "theme": "governance"}],
    "hours_total": "12.0", "star_level": 1,
    "star_levels": [{"level": 1, "authority": "county", "approved_on": "2023-11-01"}],
    "teams": [{"name": "亭湖区理论宣讲团", "category": "theory"}],
    "certificates": [{"code": "ABCD-EFGH-JKLM", "issued_on": "2024-01-05",
                      "status": "issued"}],
}


def every_city_transfer_event(holder, catalog) -> list:
    """A release to another city and an arrival from one, as the domain decides them."""
    out = city_transfer.release_to_city(holder, c.TransferOutOfCity(WANG, NANTONG), PACKAGE)
    record = VolunteerRecordV1().load(SAMPLE_RECORD)
    return out + city_transfer.arrive_from_city(None, record, CHONGCHUAN, PACKAGE, catalog,
                                                here=NANTONG)


@dataclass
class Recorded:
    """Enough of a RecordedEvent for the record builder."""

    type: str
    data: dict[str, Any]
    stream_id: str = f"volunteer-{WANG}"
    occurred_at: datetime = field(default_factory=lambda: datetime(2026, 5, 1, 2, tzinfo=UTC))


def history_of(state_events: list) -> list[Recorded]:
    return [Recorded(e.type, dict(e.data)) for e in state_events]


@pytest.fixture
def served(registering, hours, catalog, small_stars):
    """王建国 verified, 12 + 20 hours served, stars approved as reached: (state, events)."""
    events = v.register(None, registering(), small_stars)
    state = v.replay(events)
    for command_fn, command in [
            (v.verify, c.VerifyVolunteer(WANG, TINGHU)),
            (v.record_hours, hours(12, name="义诊")),
            (v.approve_star_level, c.ApproveStarLevel(WANG, 1, "county")),
            (v.record_hours, hours(20, name="宣讲", served_on=date(2024, 3, 1))),
            (v.approve_star_level, c.ApproveStarLevel(WANG, 2, "county"))]:
        new = command_fn(state, command, small_stars)
        events += new
        state = v.replay(new, state)
    return state, events


def test_a_release_leaves_the_record_read_only(served, hours, small_stars):
    state, _ = served
    events = city_transfer.release_to_city(state, RELEASE, PACKAGE)

    assert [e.type for e in events] == ["VolunteerTransferredOut"]
    assert events[0].data == {"to_city": NANTONG, "county_code": TINGHU,
                              "package_id": PACKAGE, "released_by": "county"}
    gone = v.replay(events, state)
    assert gone.status == "transferred_out" and gone.total_hours == 32
    with pytest.raises(DomainRuleViolated, match="transferred_out"):
        v.record_hours(gone, hours(3, name="迁出后"), small_stars)
    # asked again for the same city: nothing new (the same package is issued again)
    assert city_transfer.release_to_city(gone, RELEASE, PACKAGE) == []
    with pytest.raises(DomainRuleViolated, match="3206"):
        city_transfer.release_to_city(gone, c.TransferOutOfCity(WANG, "3205"), PACKAGE)


def test_only_the_own_county_or_the_city_releases_and_not_a_suspended_volunteer(
        served, small_stars):
    state, _ = served
    with pytest.raises(DomainRuleViolated, match="own county"):
        city_transfer.release_to_city(state, c.TransferOutOfCity(WANG, NANTONG, "320924"),
                                      PACKAGE)
    by_city = city_transfer.release_to_city(state, c.TransferOutOfCity(WANG, NANTONG),
                                            PACKAGE)
    assert by_city[0].data["released_by"] == "city"
    suspended = v.replay(v.suspend(state, c.SuspendVolunteer(WANG, "联系不上"), small_stars),
                         state)
    with pytest.raises(DomainRuleViolated, match="reinstate"):
        city_transfer.release_to_city(suspended, RELEASE, PACKAGE)


def test_the_released_volunteer_serves_no_more_and_their_hours_stay(served):
    state, _ = served
    out = city_transfer.release_to_city(state, RELEASE, PACKAGE)[0]
    facts = {"registered": True, "verified": True, **standing_facts(Recorded(out.type,
                                                                             out.data))}
    assert standing_of(facts) == "withdrawn"
    writes = TRANSLATORS[out.type](WANG, out.data, load_city().zone)
    assert writes == [(("volunteer", WANG), {"registered": False})]  # no hours unwritten


def record_of(served, facts=None) -> dict[str, Any]:
    state, events = served
    record = build_record(load_city(), state, history_of(events), PERSON, [
        {"name": "亭湖区理论宣讲团", "category": "theory"}], [
        {"code": "ABCD-EFGH-JKLM", "issued_on": "2026-05-02", "status": "issued"}],
        facts or (lambda ids: {}), released_on=date(2026, 6, 1))
    return VolunteerRecordV1().load(json.loads(json.dumps(record)))


def test_the_record_a_package_carries_tells_the_history(served):
    record = record_of(served)

    assert record["source"]["city_code"] == "3209"
    assert record["source"]["county_name"] == "亭湖区"
    assert record["person"]["birth_date"] == date(1956, 10, 1)
    assert record["hours_total"] == Decimal(32)
    assert [(h["served_on"], h["hours"]) for h in record["hours"]] == [
        (date(2023, 10, 23), Decimal(12)), (date(2024, 3, 1), Decimal(20))]
    assert record["star_level"] == 2
    assert [(s["level"], s["authority"]) for s in record["star_levels"]] == [
        (1, "county"), (2, "county")]
    assert [s["status"] for s in record["statuses"]] == ["registered", "verified"]
    assert record["teams"] == [{"name": "亭湖区理论宣讲团", "category": "theory"}]


def test_activity_hours_carry_their_kind_and_theme(served, registering, small_stars):
    state, events = served
    entry = Recorded("HoursRecorded", {"entry_id": "e-act", "hours": "2.5",
                                       "served_on": "2026-04-01", "source": "activity",
                                       "activity_id": "act-1"})
    asked = []

    def facts(ids):
        asked.append(ids)
        return {"act-1": {"kind": "talk", "theme": "party_history"}}

    record = build_record(load_city(), state, [*history_of(events), entry], PERSON, [], [],
                          facts, released_on=date(2026, 6, 1))
    assert asked == [["act-1"]]
    assert record["hours"][-1] == {"served_in": "3209", "served_on": "2026-04-01",
                                   "hours": "2.5",
                                   "source": "activity", "activity_kind": "talk",
                                   "theme": "party_history"}


def test_the_arrival_registers_the_person_with_their_history(served, catalog):
    record = record_of(served)

    events = city_transfer.arrive_from_city(None, record, CHONGCHUAN, PACKAGE, catalog,
                                            here=NANTONG)

    assert [e.type for e in events][:3] == ["VolunteerRegistered", "VolunteerTransferredIn",
                                            "VolunteerVerified"]
    arrived = v.replay(events)
    assert arrived.county_code == CHONGCHUAN and arrived.verified
    assert arrived.total_hours == 0  # none served here
    assert arrived.carried_hours == 32 and arrived.verified_hours == 32
    assert arrived.star_level == 2  # as approved where they served
    assert arrived.transferred_from == "3209"
    carried = events[1].data
    assert carried["carried_hours"] == "32.0" and len(carried["entries"]) == 2
    every_event = json.dumps([e.data for e in events], ensure_ascii=False)
    for personal in (PERSON["name"], WANG_ID, PERSON["phone"], "1956-10-01"):
        assert personal not in every_event


def test_carried_stars_stay_and_new_hours_build_on_the_carried_ones(served, small_stars,
                                                                   hours):
    record = record_of(served)
    arrived = v.replay(city_transfer.arrive_from_city(None, record, CHONGCHUAN, PACKAGE,
                                                      small_stars, here=NANTONG))
    assert arrived.star_level == 2 and arrived.star_level_pending is None

    new = [*v.record_hours(arrived, hours(20, name="南通义诊"), small_stars)]
    later = v.replay(new, arrived)
    new += v.record_hours(later, hours(10, name="南通宣讲"), small_stars)
    later = v.replay(new, arrived)

    # 32 carried + 30 here reach level 3 (60 hours), pending its authority here
    assert [e.type for e in new] == ["HoursRecorded", "HoursRecorded", "StarLevelChanged"]
    assert later.star_level == 2 and later.star_level_pending == 3
    assert later.total_hours == 30


def test_the_same_package_twice_changes_nothing_and_an_active_person_is_refused(
        served, catalog):
    record = record_of(served)
    arrived = v.replay(city_transfer.arrive_from_city(None, record, CHONGCHUAN, PACKAGE,
                                                      catalog, here=NANTONG))

    assert city_transfer.arrive_from_city(arrived, record, CHONGCHUAN, PACKAGE,
                                          catalog, here=NANTONG) == []
    with pytest.raises(AlreadyExists, match="already") as refused:
        city_transfer.arrive_from_city(arrived, record, CHONGCHUAN, OTHER_PACKAGE, catalog,
                                       here=NANTONG)
    assert refused.value.field == "package"


def test_an_unverified_person_arrives_unverified(served, catalog):
    record = {**record_of(served), "verified": False}
    events = city_transfer.arrive_from_city(None, record, CHONGCHUAN, PACKAGE, catalog,
                                            here=NANTONG)
    assert "VolunteerVerified" not in [e.type for e in events]
    assert v.replay(events).verified_hours == 0


def test_the_sample_record_loads_and_a_wrong_sum_or_birth_date_does_not():
    assert VolunteerRecordV1().load(SAMPLE_RECORD)["hours_total"] == Decimal(12)
    with pytest.raises(ValidationError, match="hours_total"):
        VolunteerRecordV1().load({**SAMPLE_RECORD, "hours_total": "13.0"})
    with pytest.raises(ValidationError, match="birth_date"):
        VolunteerRecordV1().load({**SAMPLE_RECORD, "person": {
            **SAMPLE_RECORD["person"], "birth_date": "1956-10-02"}})
    with pytest.raises(ValidationError, match="Unknown field"):
        VolunteerRecordV1().load({**SAMPLE_RECORD, "extra": 1})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amounts=st.lists(st.decimals(min_value=Decimal("0.1"), max_value=Decimal(24),
                                    places=1), max_size=30),
       corrected=st.data())
def test_whatever_was_served_arrives_whole_through_a_sealed_package(amounts, corrected):
    """Any ledger (corrections included) leaves in a package and arrives with its hours
    carried to the tenth, none counted as served here, nothing personal in an event."""
    history = [Recorded("VolunteerRegistered", {
        "gender": "male", "birth_year": 1956, "county_code": TINGHU, "former_employer": None,
        "retirement_status": "tuixiu", "party_member": True, "branch_id": None,
        "skills": [], "insurance": False}), Recorded("VolunteerVerified", {
            "county_code": TINGHU, "note": None})]
    for n, amount in enumerate(amounts):
        history.append(Recorded("HoursRecorded", {
            "entry_id": f"e{n}", "hours": str(amount), "served_on": "2025-01-01",
            "source": "bureau", "activity_id": None}))
        if corrected.draw(st.booleans()):
            history.append(Recorded("HoursCorrected", {
                "entry_id": f"e{n}", "hours": "1.0", "previous_hours": str(amount),
                "reason": "核对"}))
    state = v.replay(history)
    keys = {city: CityKeys.from_secret(key_material(new_secret())) for city in ("a", "b")}
    record = build_record(load_city(), state, history, PERSON, [], [], lambda ids: {},
                          released_on=date(2026, 6, 1))
    now = datetime.now(UTC)
    sealed = seal_package(canonical(record), kind=PACKAGE_KIND, sender="3209",
                          keys=keys["a"], recipient=TrustedCity.of(
                              NANTONG, "南通市", **keys["b"].public()),
                          created_at=now, expires_at=now + timedelta(days=1))
    opened = open_package(sealed, own_city=NANTONG, keys=keys["b"], trust={
        "3209": TrustedCity.of("3209", "盐城市", **keys["a"].public())}, now=now,
        max_bytes=MAX_PACKAGE_BYTES, kind=PACKAGE_KIND)
    loaded = VolunteerRecordV1().load(json.loads(opened.content))

    events = city_transfer.arrive_from_city(None, loaded, CHONGCHUAN, "c3" * 16,
                                            load_volunteer_catalog(), here=NANTONG)
    arrived = v.replay(events)

    assert arrived.carried_hours == state.total_hours
    assert arrived.total_hours == 0 and arrived.verified_hours == state.total_hours
    text = json.dumps([e.data for e in events], ensure_ascii=False)
    assert PERSON["name"] not in text and WANG_ID not in text


def test_back_from_the_city_they_moved_to_the_record_stands_again(served, small_stars,
                                                                 hours):
    """Released to Nantong, served there, released back: the record they left here
    stands where it stood, its own ledger as it was, only Nantong's hours carried."""
    state, events = served
    out = city_transfer.release_to_city(state, RELEASE, PACKAGE)
    gone = v.replay(out, state)
    record = VolunteerRecordV1().load({**SAMPLE_RECORD, "source": {
        **SAMPLE_RECORD["source"], "city_code": NANTONG, "county_code": CHONGCHUAN},
        "hours": [  # theirs from here, carried there, and one served there
            {"served_in": "3209", "served_on": "2023-10-23", "hours": "32.0",
             "source": "bureau", "activity_kind": None, "theme": None},
            {"served_in": NANTONG, "served_on": "2026-09-01", "hours": "5.0",
             "source": "activity", "activity_kind": "talk", "theme": "party_history"}],
        "hours_total": "37.0", "star_level": 2, "star_levels": [
            {"level": 1, "authority": "county", "approved_on": "2023-11-01"},
            {"level": 2, "authority": "county", "approved_on": "2024-03-02"}]})

    back_events = city_transfer.arrive_from_city(gone, record, TINGHU, OTHER_PACKAGE,
                                                 small_stars, here="3209")
    back = v.replay(back_events, gone)

    assert [e.type for e in back_events] == ["VolunteerTransferredIn"]
    assert back.status == state.status and back.county_code == TINGHU
    assert back.ledger == state.ledger and back.carried_hours == 5
    assert back.verified_hours == 37 and back.star_level == 2
    assert back.transferred_to is None and back.transferred_from == NANTONG
    # then serving here again, and the same package again changes nothing
    assert v.record_hours(back, hours(2, name="回来后"), small_stars)
    assert city_transfer.arrive_from_city(back, record, TINGHU, OTHER_PACKAGE, small_stars,
                                          here="3209") == []
    facts = {"registered": True}
    for event in [*out, *back_events]:
        facts.update(standing_facts(Recorded(event.type, event.data)))
    assert standing_of(facts) == "registered"  # serves again


def test_back_in_another_county_than_the_one_that_released_them_is_refused(served,
                                                                          catalog):
    state, _ = served
    gone = v.replay(city_transfer.release_to_city(state, RELEASE, PACKAGE), state)
    with pytest.raises(DomainRuleViolated, match="320902"):
        city_transfer.arrive_from_city(gone, record_of(served), "320924", OTHER_PACKAGE,
                                       catalog, here="3209")


def test_a_record_back_from_another_city_tells_its_history_once(served, small_stars):
    """What this city's history told the other city comes back carried: the next
    package tells each status, team and certificate once."""
    state, events = served
    out = city_transfer.release_to_city(state, RELEASE, PACKAGE)
    first = record_of(served)
    returned = VolunteerRecordV1().load(json.loads(json.dumps({
        **json.loads(json.dumps(first, default=str)),
        "source": {**first["source"], "city_code": NANTONG, "county_code": CHONGCHUAN,
                   "released_on": "2026-10-01"},
        "statuses": [*(dict(s, on=s["on"].isoformat()) for s in first["statuses"]),
                     {"status": "transferred_in", "on": "2026-06-02"}]})))
    back = city_transfer.arrive_from_city(v.replay(out, state), returned, TINGHU,
                                          OTHER_PACKAGE, small_stars, here="3209")
    history = [*history_of(events), *history_of(out), *history_of(back)]

    again = build_record(load_city(), v.replay(out + back, state), history, PERSON, [
        {"name": "亭湖区理论宣讲团", "category": "theory"}], [
        {"code": "ABCD-EFGH-JKLM", "issued_on": "2026-05-02", "status": "revoked"}],
        lambda ids: {}, released_on=date(2026, 12, 1))

    statuses = [(s["status"], s["on"]) for s in again["statuses"]]
    assert len(statuses) == len(set(statuses))
    assert again["teams"] == [{"name": "亭湖区理论宣讲团", "category": "theory"}]
    assert again["certificates"] == [
        {"code": "ABCD-EFGH-JKLM", "issued_on": "2026-05-02", "status": "revoked"}]
    assert again["hours_total"] == "32.0"  # this city's ledger, nothing carried twice

"""Moving to another city over HTTP: a county bureau releases one of its volunteers to a
trusted city and downloads the package (a file only that city opens); a county bureau
uploads a package another city sent and gets the person, once; an altered, untrusted,
oversize package or another county's upload is a problem+json and changes nothing."""
from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta

import pytest
import yaml
from gateway_support import TINGHU, registration

from contracts.volunteers.city_transfer_record import MAX_PACKAGE_BYTES, PACKAGE_KIND
from contracts.volunteers.id_number import make_id_number
from yinfa.city_packages import (
    CityKeys,
    TrustedCity,
    canonical,
    new_secret,
    open_package,
    seal_package,
)
from yinfa.config import settings
from yinfa.secrets import key_material

YANCHENG, NANTONG = "3209", "3206"
HERE, THERE = new_secret(), new_secret()  # this platform's transfer key, Nantong's
NANTONG_KEYS = CityKeys.from_secret(key_material(THERE))
YANCHENG_KEYS = CityKeys.from_secret(key_material(HERE))
ZHOU_ID = make_id_number("320602", date(1957, 7, 1), 11)


@pytest.fixture(scope="module")
def gateway_extra(tmp_path_factory):
    """This platform is Yancheng's, with its transfer key, trusting Nantong."""
    trust = tmp_path_factory.mktemp("trust") / "trust.yaml"
    trust.write_text(yaml.safe_dump({"cities": [
        {"code": NANTONG, "name": "南通市", **NANTONG_KEYS.public()}]}, allow_unicode=True))
    saved = {name: os.environ.get(name) for name in ("YINFA_TRANSFER_KEY",
                                                     "YINFA_TRANSFER_TRUST")}
    os.environ.update({"YINFA_TRANSFER_KEY": HERE, "YINFA_TRANSFER_TRUST": str(trust)})
    settings.cache_clear()
    yield {}
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    settings.cache_clear()


@pytest.fixture(scope="module")
def bureau(platform):
    return platform.open_account("county-th-moves", "county_admin", county_code=TINGHU)


def from_nantong(record_person_id: str = ZHOU_ID, to: str = YANCHENG,
                 days_ago: int = 0) -> bytes:
    record = {
        "format": "yinfa.volunteer-record", "version": 1,
        "source": {"city_code": NANTONG, "city_name": "南通市", "county_code": "320602",
                   "county_name": "崇川区", "volunteer_id": "nt-1", "released_on": "2026-11-30"},
        "person": {"name": "周丽华", "id_number": record_person_id, "phone": "13900001111",
                   "gender": "male", "birth_date": "1957-07-01"},
        "profile": {"retirement_status": "tuixiu", "party_member": True,
                    "former_employer": None, "skills": ["medicine", "unknown_there"],
                    "insurance": False},
        "verified": True,
        "statuses": [{"status": "registered", "on": "2022-01-05"},
                     {"status": "verified", "on": "2022-01-06"}],
        "hours": [{"served_in": NANTONG, "served_on": "2025-05-01", "hours": "8.0",
                   "source": "activity",
                   "activity_kind": "clinic", "theme": "governance"}],
        "hours_total": "8.0", "star_level": 0, "star_levels": [], "teams": [],
        "certificates": [],
    }
    now = datetime.now(UTC) - timedelta(days=days_ago)
    return seal_package(canonical(record), kind=PACKAGE_KIND, sender=NANTONG,
                        keys=NANTONG_KEYS,
                        recipient=TrustedCity.of(to, "盐城市", **YANCHENG_KEYS.public()),
                        created_at=now, expires_at=now + timedelta(days=30))


def upload(client, data: bytes, **params):
    return client.request("POST", "/transfers/incoming", data=data, params=params,
                          headers={"Content-Type": "application/json"})


def test_a_bureau_releases_a_volunteer_with_a_package_only_the_receiving_city_opens(
        city, bureau):
    volunteer = city.post("/volunteers", registration()).json()["volunteer_id"]
    city.post(f"/volunteers/{volunteer}/verify", {"county_code": TINGHU})

    answer = bureau.post("/transfers/outgoing", {"volunteer_id": volunteer,
                                                 "to_city": NANTONG})

    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Disposition"].startswith("attachment")
    opened = open_package(answer.content, own_city=NANTONG, keys=NANTONG_KEYS,
                          trust={YANCHENG: TrustedCity.of(YANCHENG, "盐城市",
                                                          **YANCHENG_KEYS.public())},
                          now=datetime.now(UTC), max_bytes=MAX_PACKAGE_BYTES,
                          kind=PACKAGE_KIND)
    record = json.loads(opened.content)
    assert record["person"]["name"] == "王建国" and record["source"]["county_code"] == TINGHU
    left = city.get(f"/volunteers/{volunteer}").json()
    assert left["status"] == "transferred_out" and left["transferred_to"] == NANTONG
    again = bureau.post("/transfers/outgoing", {"volunteer_id": volunteer,
                                                "to_city": NANTONG})
    assert again.headers["X-Package-Id"] == answer.headers["X-Package-Id"]


def test_a_release_to_an_untrusted_city_or_of_another_countys_volunteer_is_refused(
        city, platform):
    volunteer = city.post("/volunteers", registration()).json()["volunteer_id"]
    refused = city.post("/transfers/outgoing", {"volunteer_id": volunteer,
                                                "to_city": "3205"})
    assert refused.status_code == 422
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    dafeng = platform.open_account("county-df-moves", "county_admin", county_code="320904")
    assert dafeng.post("/transfers/outgoing", {"volunteer_id": volunteer,
                                               "to_city": NANTONG}).status_code == 404
    assert city.get(f"/volunteers/{volunteer}").json()["status"] == "registered"


def test_a_bureau_imports_a_package_once(bureau, city):
    package = from_nantong()

    first = upload(bureau, package)

    assert first.status_code == 200, first.text
    arrived = first.json()
    assert arrived["county_code"] == TINGHU and arrived["transferred_from"] == NANTONG
    assert arrived["carried_hours"] == "8.0" and arrived["total_hours"] == "0"
    assert arrived["skills"] == ["medicine"]  # what this city's catalog knows
    assert upload(bureau, package).json() == arrived
    hours = bureau.get(f"/volunteers/{arrived['volunteer_id']}/hours").json()
    assert hours["carried_hours"] == "8.0" and hours["verified_hours"] == "8.0"
    assert hours["total_hours"] == "0"
    found = city.post("/volunteers/lookup", {"id_number": ZHOU_ID}).json()
    assert found["volunteer_id"] == arrived["volunteer_id"]


def test_bad_packages_are_problems_and_change_nothing(bureau, city, platform):
    person = make_id_number("320602", date(1957, 7, 1), 13)
    package = from_nantong(person)
    flipped = bytearray(package)
    flipped[len(flipped) // 2] ^= 1
    stranger = CityKeys.from_secret(key_material(new_secret()))
    now = datetime.now(UTC)
    untrusted = seal_package(b"{}", kind=PACKAGE_KIND, sender="3205", keys=stranger,
                             recipient=TrustedCity.of(YANCHENG, "盐城市",
                                                      **YANCHENG_KEYS.public()),
                             created_at=now, expires_at=now + timedelta(days=1))
    for data, status, why in (
            (bytes(flipped), 422, "altered"), (untrusted, 422, "trust list"),
            (from_nantong(person, to="3205"), 422, "3205"), (b"not json", 422, "JSON"),
            (from_nantong(person, days_ago=31), 422, "expired"),
            (b"{" + b" " * MAX_PACKAGE_BYTES + b"}", 413, "at most")):
        answer = upload(bureau, data)
        assert answer.status_code == status, answer.text
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        assert why in answer.text, answer.text
    dafeng = platform.open_account("county-df-uploads", "county_admin",
                                   county_code="320904")
    assert upload(dafeng, package, county_code=TINGHU).status_code == 422
    assert upload(city, package).status_code == 422  # the city names the county
    assert city.post("/volunteers/lookup", {"id_number": person}).status_code == 404

from __future__ import annotations

from datetime import date

import eventlet
import pytest

from contracts.volunteers.id_number import make_id_number
from services.activities.directory import KnowsVolunteers, VolunteerDirectory
from services.volunteers.service import VolunteersService
from yinfa.errors import YinfaError

TINGHU = "320902"


@pytest.fixture
def registration():
    """A valid registration of a retired cadre of 亭湖区; `seq` makes a different person."""

    def make(seq: int = 1, county: str = TINGHU, **overrides):
        payload = {
            "name": "王建国",
            "gender": "男",
            "birth_year": 1956,
            "id_number": make_id_number(county, date(1956, 3, 8), seq * 2 + 1),
            "phone": "13812345678",
            "county_code": county,
            "former_employer": "盐城市农业农村局",
            "retirement_status": "退休",
            "party_member": True,
            "skills": ["agriculture"],
        }
        payload.update(overrides)
        return payload

    return make


@pytest.fixture
def volunteers(container_factory, service_config, rpc_proxy):
    """A running volunteers service and an RPC proxy to it, acting as 亭湖区's bureau."""
    container_factory(VolunteersService, service_config).start()
    return rpc_proxy("volunteers", context_data={"actor": "county:320902"})


class DirectoryKeeper(KnowsVolunteers):
    """A stand-in consumer service holding the replica, as branches and activities do."""

    name = "directory_keeper"


@pytest.fixture
def directory(container_factory, service_config, mongo_db):
    """The volunteer directory replica of a running consumer, in a database of its own."""
    keeper = dict(service_config, DB_NAME=mongo_db.name + "_keeper")
    container_factory(DirectoryKeeper, keeper).start()
    return VolunteerDirectory(mongo_db.client[keeper["DB_NAME"]])


@pytest.fixture
def at_once(rpc_proxy):
    """`at_once(method, *payloads)`: each payload sent at the same time by another bureau
    of 亭湖区; the answers, or the errors they raised, in order."""

    def race(method: str, *payloads: dict) -> list:
        bureaus = [rpc_proxy("volunteers", context_data={"actor": f"county:{TINGHU}:{n}"})
                   for n in range(len(payloads))]

        def attempt(proxy, payload):
            try:
                return getattr(proxy, method)(payload)
            except YinfaError as refused:
                return refused

        racing = [eventlet.spawn(attempt, proxy, payload)
                  for proxy, payload in zip(bureaus, payloads, strict=True)]
        return [thread.wait() for thread in racing]

    return race

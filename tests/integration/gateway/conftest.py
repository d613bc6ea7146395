"""The gateway in front of the real services, on the real broker and store.

One platform per test module (a vhost and databases of its own): starting five services
takes seconds, and the gateway's tests only read or add data, each under fresh ids.
"""
from __future__ import annotations

import uuid

import pytest
from gateway_support import Api, Platform, gateway_config, listening_on
from nameko.runners import ServiceRunner

from gateway.service import GatewayService
from services.activities.service import ActivitiesService
from services.branches.service import BranchesService
from services.feeds.service import FeedsService
from services.scoring.service import ScoringService
from services.volunteers.service import VolunteersService

ALL_SERVICES = (VolunteersService, BranchesService, ActivitiesService, ScoringService,
                FeedsService, GatewayService)


@pytest.fixture(scope="module")
def gateway_extra() -> dict:
    """Settings a test module gives its gateway beyond the usual (override per module)."""
    return {}


@pytest.fixture(scope="module")
def platform(module_amqp, mongo_uri, mongo_client, gateway_extra):
    prefix = f"t_gw_{uuid.uuid4().hex[:8]}"
    config = gateway_config(module_amqp, mongo_uri, prefix, **gateway_extra)
    runner = ServiceRunner(config)
    for service in ALL_SERVICES:
        runner.add_service(service)
    runner.start()
    gateway = next(c for c in runner.containers if c.service_name == "gateway")
    yield Platform(config, mongo_client[f"{prefix}_gateway"], listening_on(gateway))
    runner.stop()
    for name in mongo_client.list_database_names():
        if name.startswith(prefix):
            mongo_client.drop_database(name)


@pytest.fixture(scope="module")
def city(platform) -> Api:
    return platform.open_account("city", "city_admin")

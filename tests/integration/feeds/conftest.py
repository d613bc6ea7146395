"""The feeds service with the sources, the gateway, the real broker and store: one
platform per module, as the gateway's tests have it."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from nameko.runners import ServiceRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "gateway"))  # the gateway's helpers

from gateway_support import Platform, gateway_config, listening_on  # noqa: E402

from gateway.service import GatewayService  # noqa: E402
from services.activities.service import ActivitiesService  # noqa: E402
from services.branches.service import BranchesService  # noqa: E402
from services.feeds.service import FeedsService  # noqa: E402
from services.volunteers.service import VolunteersService  # noqa: E402

SERVICES = (VolunteersService, BranchesService, ActivitiesService, FeedsService,
            GatewayService)


@pytest.fixture(scope="module")
def feeds_platform(request, vhost_pipeline, mongo_uri, mongo_client):
    from urllib.parse import urlparse

    uri = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost:
        prefix = f"t_fd_{uuid.uuid4().hex[:8]}"
        config = gateway_config(f"{uri.scheme}://{uri.netloc}/{vhost}", mongo_uri, prefix)
        runner = ServiceRunner(config)
        for service in SERVICES:
            runner.add_service(service)
        runner.start()
        gateway = next(c for c in runner.containers if c.service_name == "gateway")
        yield Platform(config, mongo_client[f"{prefix}_gateway"], listening_on(gateway))
        runner.stop()
        for name in mongo_client.list_database_names():
            if name.startswith(prefix):
                mongo_client.drop_database(name)

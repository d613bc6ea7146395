"""The plain nameko write that the platform's one-write-a-request path is held against.

What a team without event sourcing would write, the nameko-examples way: a gateway
`@http` route → RPC → a service that inserts one document (pymongo) and dispatches one
event (nameko's `EventDispatcher`) → three services whose `@event_handler` each insert
one document. Each service runs in a process of its own, as the platform's do, on the
same broker (the run's vhost) and store. No validation, no authentication, no outbox, no
idempotence: the floor of a write that reaches three other services.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

from nameko.events import EventDispatcher, event_handler
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy, rpc
from nameko.runners import ServiceRunner
from nameko.web.handlers import http
from pymongo import MongoClient

WRITER = "plain_volunteers"
CONSUMERS = ("plain_activities", "plain_branches", "plain_scoring")
GATEWAY = "plain_gateway"
SERVICES = (GATEWAY, WRITER, *CONSUMERS)
EVENT = "volunteer_registered"


def database_name(prefix: str, service: str) -> str:
    return f"{prefix}_{service}"


def consumer_queue(service: str) -> str:
    """The queue nameko declares for a consumer's handler."""
    return f"evt-{WRITER}-{EVENT}--{service}.on_registered"


class Mongo(DependencyProvider):
    """The service's own database: `DB_PREFIX`_<service name> on `MONGO_URI`."""

    def setup(self) -> None:
        config = self.container.config
        self.client: MongoClient = MongoClient(config["MONGO_URI"])
        self.db = self.client[database_name(config["DB_PREFIX"], self.container.service_name)]

    def stop(self) -> None:
        self.client.close()

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.db


class PlainGateway:
    name = GATEWAY
    volunteers = RpcProxy(WRITER)

    @http("GET", "/ping")
    def ping(self, request: Any) -> str:
        return ""

    @http("POST", "/volunteers")
    def register(self, request: Any) -> tuple[int, str]:
        volunteer_id = self.volunteers.register(json.loads(request.get_data(as_text=True)))
        return 201, json.dumps({"volunteer_id": volunteer_id})


class PlainVolunteers:
    name = WRITER
    db = Mongo()
    dispatch = EventDispatcher()

    @rpc
    def register(self, payload: dict[str, Any]) -> str:
        volunteer_id = str(uuid.uuid4())
        self.db.volunteers.insert_one({"_id": volunteer_id, **payload})
        self.dispatch(EVENT, {"volunteer_id": volunteer_id,
                              "county_code": payload.get("county_code")})
        return volunteer_id


def consumer(service: str) -> type:
    class PlainConsumer:
        name = service
        db = Mongo()

        @event_handler(WRITER, EVENT)
        def on_registered(self, payload: dict[str, Any]) -> None:
            self.db.volunteers.insert_one({"_id": payload["volunteer_id"],
                                           "county_code": payload["county_code"]})

    return PlainConsumer


def serve(service: str, port: int, amqp_uri: str, mongo_uri: str, prefix: str) -> None:
    """Run one of SERVICES until terminated (a child of the benchmark)."""
    cls = {GATEWAY: PlainGateway, WRITER: PlainVolunteers}.get(service) or consumer(service)
    runner = ServiceRunner({"AMQP_URI": amqp_uri, "MONGO_URI": mongo_uri, "DB_PREFIX": prefix,
                            "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"})
    runner.add_service(cls)
    runner.start()
    runner.wait()

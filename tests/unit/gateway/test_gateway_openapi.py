"""The OpenAPI document covers every route with its roles and problem answers."""
from __future__ import annotations

import json

import gateway.resources  # noqa: F401 - registers the routes
from gateway.openapi import build_spec
from gateway.routing import ROUTES


def test_every_documented_route_is_in_the_document_with_problem_answers():
    spec = build_spec(ROUTES)
    json.dumps(spec)  # plain JSON throughout
    documented = [r for r in ROUTES if r.documented]
    for route in documented:
        operation = spec["paths"][route.openapi_path][route.method.lower()]
        assert str(route.status) in operation["responses"]
        assert "application/problem+json" in operation["responses"]["400"]["content"]
        if not route.public:
            assert operation["x-roles"] == list(route.roles)
    assert sum(len(ops) for ops in spec["paths"].values()) == len(documented)


def test_request_bodies_come_from_the_services_command_schemas():
    schemas = build_spec(ROUTES)["components"]["schemas"]
    body = schemas["RegisterVolunteerBody"]
    assert {"name", "id_number", "county_code"} <= set(body["required"])
    assert body["additionalProperties"] is False
    assert "volunteer_id" not in schemas["RecordHoursBody"]["properties"]

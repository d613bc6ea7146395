"""The OpenAPI document states what the server checks: a client generated from it sends
valid requests."""
from __future__ import annotations

import gateway.resources  # noqa: F401 - registers the routes
from gateway.openapi import build_spec
from gateway.routing import ROUTES

SCHEMAS = build_spec(ROUTES)["components"]["schemas"]


def test_coded_fields_list_their_codes_and_labels():
    registration = SCHEMAS["RegisterVolunteerBody"]["properties"]
    assert set(registration["gender"]["enum"]) == {"male", "female", "男", "女"}
    assert "320902" in registration["county_code"]["enum"]
    assert {"lixiu", "退休"} <= set(registration["retirement_status"]["enum"])
    theme = SCHEMAS["PublishActivityBody"]["properties"]["theme"]["enum"]
    assert "party_story" in theme and "讲好党的故事" in theme


def test_the_birth_year_has_its_range_and_ids_their_uuid_format():
    registration = SCHEMAS["RegisterVolunteerBody"]["properties"]
    assert (registration["birth_year"]["minimum"], registration["birth_year"]["maximum"]) == (
        1900, 2100)
    uuids = [name for schema in SCHEMAS.values() for name, field in
             schema.get("properties", {}).items() if field.get("format") == "uuid"]
    assert "volunteer_id" in uuids

"""City agencies (市直单位) at the gateway's boundary: the OpenAPI document lists their
codes where a unit is asked for, an account's unit matches its role, and an agency admin
is scoped to its agency like a county admin to its county."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

import gateway.resources  # noqa: F401 - registers the routes
from gateway.openapi import build_spec
from gateway.problem import Problem
from gateway.roles import Principal, check_county, county_filter, may_reveal
from gateway.routing import ROUTES
from gateway.schemas import OpenAccountBody

EDUCATION, POLICE, TINGHU = "3209A03", "3209A05", "320902"
SCHEMAS = build_spec(ROUTES)["components"]["schemas"]
OFFICE = Principal(account="edu-office", role="agency_admin", county_code=EDUCATION)


def account(**fields: str) -> dict:
    return {"username": "edu-office", "password": "a-long-password-1", **fields}


def test_the_document_lists_agency_codes_where_a_unit_is_asked_for():
    for body in ("RegisterVolunteerBody", "EstablishBranchBody", "PublishActivityBody"):
        codes = SCHEMAS[body]["properties"]["county_code"]["enum"]
        assert {TINGHU, EDUCATION} <= set(codes), body


def test_an_agency_admin_names_an_agency_and_a_county_admin_a_county():
    assert OpenAccountBody().load(account(role="agency_admin", county_code=EDUCATION))
    with pytest.raises(ValidationError) as refused:
        OpenAccountBody().load(account(role="agency_admin", county_code=TINGHU))
    assert "county_code" in refused.value.messages
    with pytest.raises(ValidationError) as refused:
        OpenAccountBody().load(account(role="county_admin", county_code=EDUCATION))
    assert "county_code" in refused.value.messages
    with pytest.raises(ValidationError) as refused:
        OpenAccountBody().load(account(role="agency_admin"))
    assert "county_code" in refused.value.messages


def test_a_secretary_of_an_agencys_branch_belongs_to_the_agency():
    loaded = OpenAccountBody().load(account(
        role="branch_secretary", county_code=EDUCATION,
        branch_id="8d3f1c1e-0000-4000-8000-000000000001"))
    assert loaded["county_code"] == EDUCATION


def test_an_agency_admin_is_scoped_to_its_agency():
    check_county(OFFICE, EDUCATION)
    for other in (POLICE, TINGHU):
        with pytest.raises(Problem) as hidden:
            check_county(OFFICE, other)
        assert hidden.value.status == 404
    assert county_filter(OFFICE, None) == EDUCATION
    assert may_reveal(OFFICE, EDUCATION, "v1") and not may_reveal(OFFICE, POLICE, "v1")

"""Factories for the volunteers unit tests. Our usual volunteer is 王建国, a retired finance
bureau cadre from 亭湖区, born on National Day 1956."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import pytest

from contracts.volunteers import commands as published
from contracts.volunteers.catalog import StarLevel, load_volunteer_catalog
from contracts.volunteers.id_number import make_id_number
from services.volunteers.domain import commands as c, volunteer as v
from yinfa.service.commands import build

TINGHU = "320902"  # 亭湖区
WANG_ID = make_id_number(TINGHU, date(1956, 10, 1), 123)
WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"  # his volunteer id


def _entry(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"yinfa-test:{name}"))


@pytest.fixture
def entry():
    """Memorable, stable ids: entry("重阳节义诊") is the same uuid in every test."""
    return _entry


@pytest.fixture
def catalog():
    return load_volunteer_catalog()


@pytest.fixture
def small_stars(catalog):
    """The default catalog with stars at 10/30/60/100/150 hours, so few entries reach them."""
    levels = tuple(
        StarLevel(stars=i + 1, hours=hours, label=f"{i + 1}★")
        for i, hours in enumerate((10, 30, 60, 100, 150))
    )
    return replace(catalog, star_levels=levels)


@pytest.fixture
def registration():
    def make(**overrides):
        return {
            "name": "王建国",
            "gender": "male",
            "birth_year": 1956,
            "id_number": WANG_ID,
            "phone": "13812345678",
            "county_code": TINGHU,
            "former_employer": "盐城市财政局",
            "retirement_status": "tuixiu",
            "party_member": True,
            "branch_id": None,
            "skills": ["theory", "economy"],
            "insurance": True,
            **overrides,
        }

    return make


@pytest.fixture
def registering(registration):
    """The registration as the domain receives it: a `RegisterVolunteer` command."""
    return lambda **overrides: build(c.RegisterVolunteer, registration(**overrides))


@pytest.fixture
def hours():
    """A ledger entry as the boundary schema hands it on (hours in tenths, a `date`)."""

    def make(amount, name="重阳节义诊", served_on=date(2023, 10, 23), source="bureau"):
        return c.LedgerEntry(**published.load_command(published.LedgerEntry, {
            "entry_id": _entry(name), "hours": amount, "served_on": served_on.isoformat(),
            "source": source}))

    return make


@pytest.fixture
def decide(catalog):
    """Run a command and return (events, state after them)."""

    def run(state, command_fn, command, using=None):
        events = command_fn(state, command, using or catalog)
        return events, v.replay(events, state)

    return run


@pytest.fixture
def volunteer(registering, hours, decide):
    """A volunteer state in a given status, with hours already on the ledger."""

    def make(status="verified", logged=(), using=None, **profile):
        if status == v.ACTIVE and not logged:
            logged = (2,)
        _, state = decide(None, v.register, registering(**profile), using)
        if status != v.REGISTERED:
            _, state = decide(state, v.verify, c.VerifyVolunteer(WANG, state.county_code),
                              using)
        for i, amount in enumerate(logged):
            _, state = decide(state, v.record_hours, hours(amount, name=f"服务{i}"), using)
        if status == v.SUSPENDED:
            _, state = decide(state, v.suspend, c.SuspendVolunteer(WANG, "长期联系不上"), using)
        if status == v.WITHDRAWN:
            _, state = decide(state, v.withdraw, c.WithdrawVolunteer(WANG, "health"), using)
        return state

    return make

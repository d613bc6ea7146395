"""Factories for the branches unit tests. Our usual branch is the retiree party branch of
the Yancheng finance bureau (财政局离退休干部党支部) in 亭湖区, set up on 1 March 2021, under
the 亭湖区 working committee when it needs a parent."""
from __future__ import annotations

import uuid
from datetime import date

import pytest

from contracts.branches.catalog import load_branch_catalog, load_checklists
from services.branches.domain import branch as b, certification as c, commands as cmd

TINGHU, YANDU = "320902", "320903"  # 亭湖区, 盐都区
FINANCE = "财政局离退休干部党支部"


def id_of(name: str) -> str:
    """Memorable, stable ids: id_of("财政局离退休干部党支部") is the same uuid in every test."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"yinfa-test:{name}"))


@pytest.fixture
def ids():
    return id_of


@pytest.fixture
def catalog():
    return load_branch_catalog()


@pytest.fixture
def checklists():
    return load_checklists()


@pytest.fixture
def establishing():
    """The command that establishes a branch; override any field."""

    def make(name=FINANCE, **overrides):
        return cmd.EstablishBranch(**{
            "branch_id": id_of(name),
            "name": name,
            "branch_type": "formal",
            "level": "branch",
            "county_code": TINGHU,
            "parent_id": None,
            "former_employer": "盐城市财政局",
            "community": None,
            "secretary_ref": "person:li-xiuying",  # names are sealed by the service
            "liaison_ref": "person:chen-zhiyuan",
            "established_on": date(2021, 3, 1),
            **overrides,
        })

    return make


@pytest.fixture
def branch(establishing, catalog):
    """A branch state: `branch("书法党小组", level="group", parent=some_branch)`."""

    def make(name=FINANCE, parent=None, status=b.ACTIVE, members=(), **overrides):
        parent_id = id_of(parent.name) if parent is not None else None
        command = establishing(name, parent_id=parent_id, **overrides)
        state = b.replay(b.establish(None, command, parent, catalog))
        for volunteer_id in members:
            state = b.replay(b.add_member(state, cmd.AddMember(command.branch_id, volunteer_id),
                                          "active"), state)
        if status == b.DISSOLVED:
            state = b.replay(b.dissolve(state, cmd.DissolveBranch(
                command.branch_id, "党员全部转出", date(2023, 6, 30))), state)
        return state

    return make


@pytest.fixture
def working_committee(branch):
    return branch("亭湖区委离退休干部工委", level="working_committee", former_employer=None)


@pytest.fixture
def application(checklists):
    """An application command with evidence for every mandatory item of a checklist."""

    def make(level="standard", name="达标申请", checklist="liuyou_yitisheng",
             applied_on=date(2022, 3, 1), evidence=None):
        items = checklists[checklist].mandatory_items
        return cmd.ApplyForCertification(
            branch_id=id_of(FINANCE), application_id=id_of(name), level=level,
            checklist=checklist, applicant="李秀英", applied_on=applied_on,
            evidence=tuple(evidence if evidence is not None else (
                cmd.Evidence(item, f"{item}：台账齐全") for item in items)))

    return make


@pytest.fixture
def decide():
    """Run a command and return (events, state after them)."""

    def run(module, state, command_fn, *args):
        events = command_fn(state, *args)
        return events, module.replay(events, state)

    return run


@pytest.fixture
def all_met(checklists):
    """Review every item of an open application as met."""

    def review(state, application_id, checklist="liuyou_yitisheng"):
        for item in checklists[checklist].items:
            state = c.replay(c.review_item(state, cmd.ReviewItem(
                id_of(FINANCE), application_id, item.code, met=True, reviewer="王评审")), state)
        return state

    return review


ROLE_OF_LEVEL = {
    "standard": ("county_bureau", TINGHU),
    "county_demo": ("county_bureau", TINGHU),
    "city_demo": ("city_bureau", None),
    "province_demo": ("city_bureau", None),
}


@pytest.fixture
def certified(branch, application, all_met, catalog, checklists):
    """The certification state of a branch that climbed to `level`, one rung a year from
    `first_grant`, each application with every item met and granted by the right role."""

    def climb(level="standard", first_grant=date(2022, 4, 1), of=None, state=None):
        subject = of or branch()
        codes = [known.code for known in catalog.certification_levels]
        for step, code in enumerate(codes[:codes.index(level) + 1]):
            granted_on = first_grant.replace(year=first_grant.year + step)
            state = grant_level(state, subject, code, granted_on)
        return state

    def grant_level(state, subject, code, granted_on, name=None):
        name = name or f"{code}申请{granted_on.year}"
        command = application(code, name, applied_on=granted_on.replace(day=1))
        state = c.replay(c.apply_for(state, command, subject, checklists, catalog), state)
        state = all_met(state, id_of(name))
        role, county = ROLE_OF_LEVEL[code]
        return c.replay(c.grant(state, cmd.GrantCertification(
            id_of(FINANCE), id_of(name), granted_by=role, granter_county=county,
            granted_on=granted_on, external_reference="苏老干〔2024〕12号",
        ), subject, catalog), state)

    climb.grant_level = grant_level
    return climb

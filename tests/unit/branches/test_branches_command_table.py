"""The branches service's command table: every command its RPC entrypoints take has a
handler, and a command is loaded by the published schema of its name into its typed object
before any handler sees it.

No broker, no database: the service is built with nameko's `worker_factory`, its
`streams` on the in-memory event store (`EventSourcing.standalone()`), and the table's
handlers are replaced by stand-ins that record what they are handed.
"""
from __future__ import annotations

import inspect
from decimal import Decimal

import pytest
from nameko.testing.services import worker_factory

from contracts.branches import commands
from contracts.branches.streams import build_registry
from services.branches import handlers
from services.branches.domain import commands as cmd
from services.branches.service import BranchesService
from yinfa.errors import ValidationFailed
from yinfa.events.envelope import Metadata
from yinfa.schemas import Command
from yinfa.service.dependencies import EventSourcedStreams, EventSourcing
from yinfa.service.rpc import Rpc
from yinfa.store.memory import InMemoryEventStore

# published schemas no entrypoint takes as a whole command, and why
NOT_A_COMMAND = {
    commands.BranchCommand: "the fields every branch command shares",
    commands.CountyScoped: "the fields of a granter's decision",
    commands.Evidence: "one row of ApplyForCertification's evidence",
    commands.BrandScore: "one row of SelectTopBrands' scores",
}
# commands loaded by another command's schema (besides any entrypoint of their own)
LOADED_BY_ANOTHER = {
    commands.ReviewItem: (commands.ReviewItems, "each row of a review_items batch"),
}
BRANCH_ID = "5f0c8a52-9a4f-4e0f-8d5e-3f5b1c2d7e91"


@pytest.fixture
def service():
    provider = EventSourcing(build_registry(), store_factory=InMemoryEventStore).standalone()
    return worker_factory(BranchesService,
                          streams=EventSourcedStreams(provider, Metadata(actor="test")))


@pytest.fixture
def handed(monkeypatch):
    """Each table handler replaced: what it was handed, as (command type, command)."""
    calls: list[tuple[type, object]] = []

    def stand_in(command_type):
        def handle(streams, command, **context):
            calls.append((command_type, command))
            raise LookupError("stand-in: the test stops here")
        return handle

    monkeypatch.setattr(handlers.COMMANDS, "handlers",
                        {known: stand_in(known) for known in handlers.COMMANDS.handlers})
    return calls


def published_schemas() -> set[type]:
    return {schema for _, schema in inspect.getmembers(commands, inspect.isclass)
            if issubclass(schema, Command) and schema.__module__ == commands.__name__}


def command_entrypoints() -> list[str]:
    """The RPC methods of the service that take a command payload."""
    return sorted(name for name, method in inspect.getmembers(BranchesService, inspect.isfunction)
                  if any(isinstance(e, Rpc) for e in getattr(method, "nameko_entrypoints", ()))
                  and "payload" in inspect.signature(method).parameters)


def test_every_published_command_has_a_handler_or_a_reason():
    table = {command_type.__name__ for command_type in handlers.COMMANDS.handlers}
    published = {schema.__name__ for schema in published_schemas()}
    not_commands = {schema.__name__ for schema in NOT_A_COMMAND}

    assert published - table - not_commands == set()
    assert table - published == set()  # each command type is loaded by its published schema
    assert table & not_commands == set()
    for schema, (loader, _why) in LOADED_BY_ANOTHER.items():
        assert loader.__name__ in table and schema in published_schemas()


def test_each_command_entrypoint_hands_the_table_a_schema_it_has_a_handler_for(
    service, monkeypatch
):
    asked: dict[str, type] = {}

    def handle(streams, schema, payload, **context):
        asked[entrypoint] = schema
        raise LookupError("stand-in: the test stops here")

    monkeypatch.setattr(handlers.COMMANDS, "handle", handle)
    for entrypoint in command_entrypoints():
        with pytest.raises(LookupError):
            getattr(service, entrypoint)({})

    assert set(asked.values()) == set(handlers.COMMANDS.handlers)
    assert len(set(asked.values())) == len(asked)  # one command per entrypoint


@pytest.mark.parametrize("entrypoint", command_entrypoints())
def test_an_unknown_field_is_refused_before_any_handler_runs(service, handed, entrypoint):
    with pytest.raises(ValidationFailed) as refused:
        getattr(service, entrypoint)({"branch_id": BRANCH_ID, "colour": "red"})

    assert refused.value.errors["colour"] == ["Unknown field."]
    assert handed == []


def test_a_handler_is_handed_the_command_as_its_schema_loaded_it(service, handed):
    with pytest.raises(LookupError):
        service.rename_branch({"branch_id": BRANCH_ID.upper(), "name": "  财政局离退休干部党支部 "})

    assert handed == [(cmd.RenameBranch, cmd.RenameBranch(BRANCH_ID, "财政局离退休干部党支部"))]


def test_a_review_batch_names_each_bad_decision_and_a_bad_shared_field_once(service, handed):
    batch = {"branch_id": BRANCH_ID, "application_id": BRANCH_ID, "reviewer": "王评审",
             "items": [{"item": "unified_signage", "met": True},
                       {"item": "outreach_talks", "met": False},
                       {"item": "outreach_talks", "met": True, "score": 5}]}

    with pytest.raises(ValidationFailed) as bad_rows:
        service.review_items(batch)
    with pytest.raises(ValidationFailed) as bad_id:
        service.review_items({**batch, "branch_id": "not-an-id", "items": batch["items"][:1] * 3})

    assert set(bad_rows.value.errors) == {"items.1.note", "items.2"}
    assert set(bad_id.value.errors) == {"branch_id"}
    assert handed == []


def test_a_review_batch_reaches_its_handler_as_review_item_commands(service, handed):
    batch = {"branch_id": BRANCH_ID, "application_id": BRANCH_ID, "reviewer": " 王评审 ",
             "items": [{"item": "unified_signage", "met": True},
                       {"item": "outreach_talks", "met": False, "note": "缺台账"}]}

    with pytest.raises(LookupError):
        service.review_items(batch)

    [(command_type, command)] = handed
    assert command_type is cmd.ReviewItems
    assert [(c.item, c.met, c.note, c.reviewer) for c in command.items] == [
        ("unified_signage", True, None, "王评审"), ("outreach_talks", False, "缺台账", "王评审")]
    assert {type(c) for c in command.items} == {cmd.ReviewItem}


def test_officers_not_given_stay_apart_from_a_post_left_vacant():
    vacant = handlers.COMMANDS.load(cmd.ChangeOfficers, {"branch_id": BRANCH_ID, "liaison": None})
    both = handlers.COMMANDS.load(cmd.ChangeOfficers, {"branch_id": BRANCH_ID,
                                                       "secretary": " 赵德明 ", "liaison": None})

    assert vacant.officers == {"liaison": None}
    assert both.officers == {"secretary": "赵德明", "liaison": None}


def test_evidence_and_scores_are_loaded_as_the_domain_reads_them():
    applied = handlers.COMMANDS.load(cmd.ApplyForCertification, {
        "branch_id": BRANCH_ID, "level": "达标", "checklist": "六有一提升", "applicant": "李秀英",
        "evidence": [{"item": "work_funds", "text": "经费到位", "links": ["https://a.cn/1"]}]})
    selection = handlers.COMMANDS.load(cmd.SelectTopBrands, {
        "year": 2021, "scores": [{"branch_id": BRANCH_ID, "score": "90.5"}]})

    assert applied.evidence == (cmd.Evidence("work_funds", "经费到位", ("https://a.cn/1",)),)
    assert (applied.level, applied.checklist) == ("standard", "liuyou_yitisheng")
    assert selection.scores == {BRANCH_ID: Decimal("90.50")}

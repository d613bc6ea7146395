"""The activities service's command table, without a broker or a database.

Every command an RPC entrypoint takes enters through `handlers.COMMANDS`: loaded once by
its published schema into a command object (`domain/commands.py`), then handled. The
entrypoints are called on a `worker_factory` service whose table is replaced by a recorder
(the views they answer from are MongoDB's, which a unit test has not); commands
themselves run on the in-memory event store.
"""
from __future__ import annotations

import inspect
from dataclasses import fields
from decimal import Decimal

import pytest
from activities_examples import ACTIVITY_ID, CLINIC_REQUEST, TINGHU, WANG, WISH_ID
from marshmallow import Schema
from nameko.testing.services import worker_factory

from contracts.activities import commands
from contracts.activities.streams import build_registry
from services.activities import handlers
from services.activities.domain import commands as c
from services.activities.domain.party import Party
from services.activities.service import ActivitiesService
from yinfa.errors import ValidationFailed
from yinfa.events.envelope import Metadata
from yinfa.service.dependencies import EventSourcedStreams, EventSourcing
from yinfa.service.rpc import Rpc
from yinfa.store.memory import InMemoryEventStore

# Schemas of the contract that no entrypoint takes alone, and why.
LOADED_BY_ANOTHER = {
    commands.ActivityCommand: "the base of the commands on one activity",
    commands.VolunteerInActivity: "the base of the commands on one volunteer's place",
    commands.WishCommand: "the base of the commands on one wish",
    commands.Organiser: "PublishActivity's organiser",
    commands.Claimant: "ClaimWish's claimant and FulfilWish's fulfilled_by",
    commands.Poster: "PostWish's posted_by and ConfirmWish's confirmed_by",
    commands.ServedLine: "a line of CompleteActivity's served and CorrectCompletion's",
}


class Recorded(Exception):
    """Stops an entrypoint once it has handed its command to the table."""


@pytest.fixture
def streams():
    provider = EventSourcing(build_registry(), store_factory=InMemoryEventStore).standalone()
    return EventSourcedStreams(provider, Metadata(actor="test"))


def command_entrypoints() -> list[str]:
    """The service's RPC methods that take a command payload."""
    return [name for name, method in inspect.getmembers(ActivitiesService, inspect.isfunction)
            if any(isinstance(e, Rpc) for e in getattr(method, "nameko_entrypoints", ()))
            and "payload" in inspect.signature(method).parameters]


def types_taken_by_entrypoints(monkeypatch, streams) -> dict[str, type]:
    taken: dict[str, type] = {}
    service = worker_factory(ActivitiesService, streams=streams)
    for name in command_entrypoints():
        def record(streams, command_type, payload, name=name, **context):
            taken[name] = command_type
            raise Recorded

        monkeypatch.setattr(handlers.COMMANDS, "handle", record)
        with pytest.raises(Recorded):
            getattr(service, name)({})
    return taken


def contract_schemas() -> set[type[Schema]]:
    return {value for value in vars(commands).values()
            if isinstance(value, type) and issubclass(value, Schema)
            and value.__module__ == commands.__name__}


def test_every_command_an_entrypoint_takes_has_its_handler(monkeypatch, streams):
    taken = types_taken_by_entrypoints(monkeypatch, streams)

    assert len(taken) == 15, sorted(taken)  # ten on activities, five on wishes
    assert set(taken.values()) == set(handlers.COMMANDS.handlers)  # no handler goes unused


def handled_schemas() -> set[type[Schema]]:
    return {type(handlers.COMMANDS.schema_of(t)) for t in handlers.COMMANDS.handlers}


def test_every_schema_of_the_contract_is_handled_or_loaded_by_another():
    assert contract_schemas() == handled_schemas() | set(LOADED_BY_ANOTHER)
    assert not handled_schemas() & set(LOADED_BY_ANOTHER)


@pytest.mark.parametrize("command_type", list(handlers.COMMANDS.handlers),
                         ids=lambda t: t.__name__)
def test_a_command_has_the_fields_of_its_published_schema(command_type):
    schema = handlers.COMMANDS.schema_of(command_type)
    assert type(schema).__name__ == command_type.__name__
    assert {f.name for f in fields(command_type)} == set(schema.fields)


@pytest.mark.parametrize("command_type", list(handlers.COMMANDS.handlers),
                         ids=lambda t: t.__name__)
def test_a_bad_payload_is_refused_before_any_handler_runs(command_type, monkeypatch, streams):
    ran = []
    for known in handlers.COMMANDS.handlers:
        monkeypatch.setitem(handlers.COMMANDS.handlers, known, lambda *a, **k: ran.append(a))

    with pytest.raises(ValidationFailed) as refused:
        handlers.COMMANDS.handle(streams, command_type, {"organiser_phone": "13812345678"})

    assert refused.value.errors["organiser_phone"] == ["Unknown field."]
    assert {"activity_id", "wish_id", "client_request_id"} & set(refused.value.errors)
    assert ran == []


def test_nested_items_are_loaded_as_the_domain_reads_them():
    completion = handlers.COMMANDS.load(c.CompleteActivity, {
        "activity_id": ACTIVITY_ID, "served": [{"volunteer_id": WANG, "hours": "2.5"}],
        "evidence": ["https://tinghu.example.cn/1.jpg"]})
    claim = handlers.COMMANDS.load(c.ClaimWish, {
        "wish_id": WISH_ID, "claimant": {"kind": "volunteer", "id": WANG.upper()}})

    assert completion.served == (c.ServedLine(WANG, Decimal("2.5")),)
    assert completion.evidence == ("https://tinghu.example.cn/1.jpg",)
    assert (completion.audience_reached, completion.endorsed, completion.outcome) == (
        0, False, None)
    assert claim.claimant == Party("volunteer", WANG)


def publication(**extra):
    return {"client_request_id": CLINIC_REQUEST, "theme": "rural_revitalisation",
            "kind": "medical", "title": "重阳节银发义诊进社区",
            "organiser": {"kind": "branch", "id": "亭湖区卫健系统离退休党支部"},
            "county_code": TINGHU, "place": "文峰街道社区卫生服务中心",
            "starts_at": "2023-10-23T09:00:00+08:00", "ends_at": "2023-10-23T11:30:00+08:00",
            "capacity": 2, **extra}


def test_a_publication_with_an_unknown_field_records_nothing(streams):
    with pytest.raises(ValidationFailed):
        handlers.COMMANDS.handle(streams, c.PublishActivity,
                                 publication(organiser_phone="13812345678"))
    assert streams.store.head_position() == 0

    handlers.COMMANDS.handle(streams, c.PublishActivity, publication())
    assert streams.store.head_position() == 1

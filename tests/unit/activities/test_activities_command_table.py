"""The activities service's command table, without a broker or a database.

Every command an RPC entrypoint takes enters through `handlers.COMMANDS`: loaded once by
its published schema, then handled. The entrypoints are called on a `worker_factory`
service whose table is replaced by a recorder (the views they answer from are MongoDB's,
which a unit test has not); commands themselves run on the in-memory event store.
"""
from __future__ import annotations

import inspect

import pytest
from activities_examples import CLINIC_REQUEST, TINGHU
from marshmallow import Schema
from nameko.testing.services import worker_factory

from contracts.activities import commands
from contracts.activities.streams import build_registry
from services.activities import handlers
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


def schemas_taken_by_entrypoints(monkeypatch, streams) -> dict[str, type[Schema]]:
    taken: dict[str, type[Schema]] = {}
    service = worker_factory(ActivitiesService, streams=streams)
    for name in command_entrypoints():
        def record(streams, schema, payload, name=name, **context):
            taken[name] = schema
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
    taken = schemas_taken_by_entrypoints(monkeypatch, streams)

    assert len(taken) == 15, sorted(taken)  # ten on activities, five on wishes
    assert set(taken.values()) == set(handlers.COMMANDS.handlers)  # no handler goes unused


def test_every_schema_of_the_contract_is_handled_or_loaded_by_another():
    assert contract_schemas() == set(handlers.COMMANDS.handlers) | set(LOADED_BY_ANOTHER)
    assert not set(handlers.COMMANDS.handlers) & set(LOADED_BY_ANOTHER)


@pytest.mark.parametrize("schema", list(handlers.COMMANDS.handlers), ids=lambda s: s.__name__)
def test_an_unknown_field_is_refused_before_any_handler_runs(schema, monkeypatch, streams):
    ran = []
    for known in handlers.COMMANDS.handlers:
        monkeypatch.setitem(handlers.COMMANDS.handlers, known, lambda *a, **k: ran.append(a))

    with pytest.raises(ValidationFailed) as refused:
        handlers.COMMANDS.handle(streams, schema, {"organiser_phone": "13812345678"})

    assert refused.value.errors["organiser_phone"] == ["Unknown field."]
    assert ran == []


def publication(**extra):
    return {"client_request_id": CLINIC_REQUEST, "theme": "rural_revitalisation",
            "kind": "medical", "title": "重阳节银发义诊进社区",
            "organiser": {"kind": "branch", "id": "亭湖区卫健系统离退休党支部"},
            "county_code": TINGHU, "place": "文峰街道社区卫生服务中心",
            "starts_at": "2023-10-23T09:00:00+08:00", "ends_at": "2023-10-23T11:30:00+08:00",
            "capacity": 2, **extra}


def test_a_publication_with_an_unknown_field_records_nothing(streams):
    with pytest.raises(ValidationFailed):
        handlers.COMMANDS.handle(streams, commands.PublishActivity,
                                 publication(organiser_phone="13812345678"))
    assert streams.store.head_position() == 0

    handlers.COMMANDS.handle(streams, commands.PublishActivity, publication())
    assert streams.store.head_position() == 1

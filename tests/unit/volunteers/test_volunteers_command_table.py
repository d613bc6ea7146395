"""The volunteers service's command table, without a broker or a database.

Every command an RPC entrypoint takes enters through `handlers.COMMANDS`: loaded once by
the published schema of its type's name into a frozen command object, then handled. The
entrypoints are called on a `worker_factory` service whose table is replaced by a recorder
(the views they answer from are MongoDB's, which a unit test has not); commands themselves
run on the in-memory event store.
"""
from __future__ import annotations

import dataclasses
import inspect
from datetime import date

import pytest
from marshmallow import Schema
from nameko.testing.services import worker_factory

from contracts.volunteers import commands as published
from contracts.volunteers.id_number import make_id_number
from contracts.volunteers.streams import build_registry
from services.volunteers import handlers
from services.volunteers.domain import commands, nomination, talent
from services.volunteers.service import VolunteersService
from yinfa.errors import ValidationFailed
from yinfa.events.envelope import Metadata
from yinfa.service.dependencies import EventSourcedStreams, EventSourcing
from yinfa.service.rpc import Rpc
from yinfa.store.memory import InMemoryEventStore

# Schemas of the contract that no entrypoint takes alone, and why.
LOADED_BY_ANOTHER = {
    "VolunteerCommand": "the base of the commands on one volunteer",
    "LedgerEntry": "a line of RecordHoursBatch's entries",
    "StarLevelDecision": "the base of approving and returning a star level",
}
WANG = "0f5c6b1e-8a7d-4c2e-9b1a-3d4e5f607182"
TEAM = "5b2e9d40-1c3a-4f6e-8d7b-2a9c0e1f3d45"
ENTRY = {"entry_id": "7d3b1c6e-0b5f-4a43-9d1c-1f2a3b4c5d6e", "hours": "2.5",
         "served_on": "2023-10-23", "source": "bureau"}
REGISTRATION = {"name": "王建国", "gender": "male", "birth_year": 1956,
                "id_number": make_id_number("320902", date(1956, 10, 1), 123),
                "phone": "13812345678", "county_code": "320902",
                "retirement_status": "tuixiu", "skills": ["theory", "theory", "economy"]}
VALID = {  # one well-formed payload of each command type
    commands.RegisterVolunteer: REGISTRATION,
    commands.RegisterVolunteers: {"items": [REGISTRATION, {"name": "?"}]},
    commands.VerifyVolunteer: {"volunteer_id": WANG, "county_code": "320902"},
    commands.SuspendVolunteer: {"volunteer_id": WANG, "reason": "长期联系不上"},
    commands.ReinstateVolunteer: {"volunteer_id": WANG},
    commands.WithdrawVolunteer: {"volunteer_id": WANG, "reason_code": "health"},
    commands.ReturnVolunteer: {"volunteer_id": WANG, "reason": "本人申请回归"},
    commands.UpdateProfile: {"volunteer_id": WANG, "former_employer": None},
    commands.CorrectRecord: {"volunteer_id": WANG, "name": "王建华", "reason": "户籍更正",
                             "authority": "household_register"},
    commands.RecordHours: {"volunteer_id": WANG, **ENTRY},
    commands.RecordHoursBatch: {"volunteer_id": WANG, "entries": [ENTRY]},
    commands.ApproveStarLevel: {"volunteer_id": WANG, "level": 1, "approver": "county"},
    commands.ReturnStarLevel: {"volunteer_id": WANG, "level": 4, "approver": "city",
                               "reason": "时长记录待核实"},
    commands.CorrectHours: {"volunteer_id": WANG, "entry_id": ENTRY["entry_id"],
                            "hours": "1", "reason": "签到表核对"},
    commands.EraseVolunteer: {"volunteer_id": WANG},
    commands.IssueCertificate: {"volunteer_id": WANG, "issued_by": "county_admin"},
    commands.RevokeCertificate: {"code": "abcd-efgh-jklm", "reason": "信息有误"},
    commands.AdoptCertificate: {"code": "ABCD-EFGH-JKLM", "volunteer_id": WANG,
                                "county_code": "320902", "total_hours": "12.0",
                                "verified_hours": "12.0", "star_level": 0,
                                "issued_on": "2026-11-01", "issued_by": "city_admin:city"},
    commands.CreateTeam: {"name": "亭湖区银发红色宣讲团", "category": "theory_outreach",
                          "county_code": "320902"},
    commands.JoinTeam: {"team_id": TEAM, "volunteer_id": WANG},
    commands.LeaveTeam: {"team_id": TEAM, "volunteer_id": WANG},
    commands.MergeVolunteers: {"volunteer_id": WANG, "duplicate_id": TEAM,
                               "reason": "同一人重复登记"},
    commands.UndoMerge: {"merge_id": TEAM, "reason": "合并有误"},
    # transfers between counties (acting_county: the gateway's, from the caller's account)
    commands.RequestTransfer: {"volunteer_id": WANG, "to_county": "320903",
                               "reason_code": "moved_home", "acting_county": "320902"},
    commands.AcceptTransfer: {"volunteer_id": WANG, "transfer_id": TEAM,
                              "acting_county": "320903"},
    commands.DeclineTransfer: {"volunteer_id": WANG, "transfer_id": TEAM,
                               "reason_code": "not_resident"},
    commands.ReleaseTransfer: {"volunteer_id": WANG, "transfer_id": TEAM},
    commands.CancelTransfer: {"volunteer_id": WANG, "transfer_id": TEAM,
                              "acting_county": None},
    commands.MoveTeamMember: {"team_id": TEAM, "volunteer_id": WANG,
                              "to_team_id": "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"},
    # moving to another city (acting_county: the gateway's; the package as uploaded)
    commands.TransferOutOfCity: {"volunteer_id": WANG, "to_city": "3206",
                                 "acting_county": "320902"},
    commands.TransferInFromCity: {"package": "{}", "county_code": "320902"},
    # model volunteers and the talent pool (stage and county: the gateway's)
    nomination.NominateVolunteer: {"volunteer_id": WANG, "title": "model_volunteer",
                                   "year": 2026, "county_code": "320902", "deeds": "义务宣讲"},
    nomination.ReviewNomination: {"nomination_id": TEAM, "title": "model_volunteer",
                                  "year": 2026, "stage": "city", "decision": "approved"},
    nomination.AnnounceTitles: {"title": "model_volunteer", "year": 2026},
    talent.RecordTalentProfile: {"volunteer_id": WANG, "specialities": ["civil_law"]},
    talent.PostTalentNeed: {"county_code": "320902", "skills": ["law"],
                            "starts_on": "2026-12-10", "ends_on": "2026-12-20",
                            "posted_by": "county_admin"},
}


class Recorded(Exception):
    """Stops an entrypoint once it has handed its command to the table."""


@pytest.fixture
def streams():
    provider = EventSourcing(build_registry(), store_factory=InMemoryEventStore).standalone()
    return EventSourcedStreams(provider, Metadata(actor="test"))


@pytest.fixture
def ran(monkeypatch):
    """Every handler replaced by a record of the command it was handed."""
    handed: list = []
    for command_type in handlers.COMMANDS.handlers:
        monkeypatch.setitem(handlers.COMMANDS.handlers, command_type,
                            lambda streams, command, **context: handed.append(command))
    return handed


def command_entrypoints() -> list[str]:
    """The service's RPC methods that take a command payload (or a roster of them)."""
    return [name for name, method in inspect.getmembers(VolunteersService, inspect.isfunction)
            if any(isinstance(e, Rpc) for e in getattr(method, "nameko_entrypoints", ()))
            and {"payload", "payloads"} & set(inspect.signature(method).parameters)]


def test_every_command_an_entrypoint_takes_has_its_handler(monkeypatch, streams):
    taken: dict[str, type] = {}
    service = worker_factory(VolunteersService, streams=streams)
    for name in command_entrypoints():
        def record(streams, command_type, payload, name=name, **context):
            taken[name] = command_type
            raise Recorded

        monkeypatch.setattr(handlers.COMMANDS, "handle", record)
        with pytest.raises(Recorded):
            getattr(service, name)({})

    # one entrypoint a command type
    assert len(taken) == len(handlers.COMMANDS.handlers), sorted(taken)
    assert set(taken.values()) == set(handlers.COMMANDS.handlers)  # no handler goes unused


def test_every_schema_of_the_contract_is_handled_or_loaded_by_another():
    schemas = {name for name, value in vars(published).items()
               if isinstance(value, type) and issubclass(value, Schema)
               and value.__module__.startswith("contracts.volunteers")}  # or re-exported
    handled = {command_type.__name__ for command_type in handlers.COMMANDS.handlers}

    assert schemas == handled | set(LOADED_BY_ANOTHER)
    assert not handled & set(LOADED_BY_ANOTHER)
    assert set(VALID) == set(handlers.COMMANDS.handlers)


@pytest.mark.parametrize("command_type", list(VALID), ids=lambda t: t.__name__)
def test_a_handler_is_handed_a_frozen_command_of_its_type(command_type, ran, streams):
    handlers.COMMANDS.handle(streams, command_type, VALID[command_type])

    [command] = ran
    assert type(command) is command_type
    with pytest.raises(dataclasses.FrozenInstanceError):
        command.extra = 1  # type: ignore[attr-defined]


def test_nested_and_repeated_fields_become_tuples_of_command_objects(streams):
    batch = handlers.COMMANDS.load(commands.RecordHoursBatch,
                                   VALID[commands.RecordHoursBatch])
    registration = handlers.COMMANDS.load(commands.RegisterVolunteer, REGISTRATION)

    assert [type(entry) for entry in batch.entries] == [commands.LedgerEntry]
    assert str(batch.entries[0].hours) == "2.5"
    assert registration.skills == ("theory", "economy")
    assert handlers.COMMANDS.load(commands.RegisterVolunteers,
                                  VALID[commands.RegisterVolunteers]).items[1] == {"name": "?"}


@pytest.mark.parametrize("command_type", list(VALID), ids=lambda t: t.__name__)
def test_a_bad_payload_is_refused_with_field_errors_before_any_handler_runs(
    command_type, ran, streams
):
    with pytest.raises(ValidationFailed) as refused:
        handlers.COMMANDS.handle(streams, command_type,
                                 {**VALID[command_type], "id_number_masked": "3209**"})

    assert refused.value.errors == {"id_number_masked": ["Unknown field."]}
    assert ran == []
    assert streams.store.head_position() == 0

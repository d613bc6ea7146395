from __future__ import annotations

import pytest
from marshmallow import Schema, fields

from yinfa.errors import ValidationFailed
from yinfa.events.registry import SchemaRegistry, UnknownEventType


class TalkGivenV1(Schema):
    speaker = fields.String(required=True)


class TalkGivenV2(Schema):
    speaker = fields.String(required=True)
    listeners = fields.Integer(required=True)


class TalkGivenV3(TalkGivenV2):
    theme = fields.String(required=True)


@pytest.fixture
def registry():
    return (
        SchemaRegistry()
        .register_module(
            {("TalkGiven", 1): TalkGivenV1, ("TalkGiven", 2): TalkGivenV2,
             ("TalkGiven", 3): TalkGivenV3},
            {("TalkGiven", 1): lambda d: {**d, "listeners": 0},
             ("TalkGiven", 2): lambda d: {**d, "theme": "讲好党的故事"}},
        )
    )


def test_the_newest_registered_version_is_current(registry):
    assert registry.current_version("TalkGiven") == 3


def test_an_old_event_is_upcast_through_every_step(registry):
    version, data = registry.upcast("TalkGiven", 1, {"speaker": "陈老"})

    assert version == 3
    assert data == {"speaker": "陈老", "listeners": 0, "theme": "讲好党的故事"}


def test_upcasting_leaves_the_stored_data_untouched(registry):
    stored = {"speaker": "陈老"}
    registry.upcast("TalkGiven", 1, stored)
    assert stored == {"speaker": "陈老"}


def test_invalid_data_is_refused_naming_the_field(registry):
    with pytest.raises(ValidationFailed) as refused:
        registry.validate("TalkGiven", 3, {"speaker": "陈老", "listeners": "many"})
    assert "listeners" in refused.value.errors["data"]


def test_an_unregistered_type_cannot_be_written(registry):
    with pytest.raises(UnknownEventType):
        registry.validate("TalkCancelled", 1, {})


def test_a_missing_upcaster_is_reported_not_skipped():
    registry = SchemaRegistry().register_module(
        {("TalkGiven", 1): TalkGivenV1, ("TalkGiven", 2): TalkGivenV2}
    )
    with pytest.raises(LookupError):
        registry.upcast("TalkGiven", 1, {"speaker": "陈老"})

"""Profiles: what one kind of partner may see of the public log.

A profile names the event types it admits and, per type, the public fields it keeps
(`types`); `names: true` adds the volunteer's name (`volunteer_name`) to the entries
about a volunteer, asked of the volunteers service at read time (never for an erased
person). Partners (feed clients) are each bound to one profile: their key reads that
profile's feed and no other.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from contracts.feeds.public import NAME_FIELD, PUBLIC, fields_of, volunteer_of

PROFILE_NAME = r"^[a-z][a-z0-9-]{1,39}$"


class ProfileBody(Schema):
    """`PUT /feed-profiles/{profile}`: a profile as ops set it."""

    label = fields.String(required=True, validate=validate.Length(min=1, max=60))
    types = fields.Dict(keys=fields.String(validate=validate.OneOf(sorted(PUBLIC))),
                        values=fields.List(fields.String()), required=True,
                        validate=validate.Length(min=1))
    names = fields.Boolean(load_default=False)

    @validates_schema
    def _known_fields(self, data: dict[str, Any], **kwargs: Any) -> None:
        unknown = {event_type: [f"Not a public field of {event_type}: {name}."
                                for name in wanted if name not in fields_of(event_type)]
                   for event_type, wanted in (data.get("types") or {}).items()
                   if event_type in PUBLIC}
        unknown = {k: v for k, v in unknown.items() if v}
        if unknown:
            raise ValidationError(unknown, "types")


class Profile(ProfileBody):
    """A profile as stored and answered."""

    profile = fields.String(required=True, validate=validate.Regexp(PROFILE_NAME))


class PartnerBody(Schema):
    """`PUT /partners/{partner}`: a partner agency bound to one profile."""

    label = fields.String(required=True, validate=validate.Length(min=1, max=60))
    profile = fields.String(required=True, validate=validate.Regexp(PROFILE_NAME))


class Partner(PartnerBody):
    partner = fields.String(required=True)


def redact(entry: Mapping[str, Any], profile: Mapping[str, Any],
           names: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The entry as the profile shows it; None if the profile does not admit its type.
    `names`: volunteer id -> name, for a profile with `names` (an erased person is not
    in it, and gets no name)."""
    kept = profile["types"].get(entry["type"])
    if kept is None:
        return None
    data = {name: entry["data"].get(name) for name in kept}
    if profile.get("names") and names is not None:
        volunteer_id = volunteer_of(entry["stream"], entry["data"])
        if volunteer_id is not None and volunteer_id in names:
            data[NAME_FIELD] = names[volunteer_id]
    return {**entry, "data": data}


def named_volunteers(entries: Sequence[Mapping[str, Any]], profile: Mapping[str, Any]
                     ) -> list[str]:
    """The volunteers whose names the profile would add to these entries."""
    if not profile.get("names"):
        return []
    wanted = {volunteer_of(e["stream"], e["data"]) for e in entries
              if e["type"] in profile["types"]}
    return sorted(v for v in wanted if v)

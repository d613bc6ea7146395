"""What the feeds service answers: feed pages, reads of the audit log, import jobs."""
from __future__ import annotations

from marshmallow import Schema, fields

from contracts.feeds.public import PUBLIC

PUBLIC_FORMS = "; ".join(f"{event_type} v{version}: {', '.join(names) or '(none)'}"
                         for event_type, (_, version, names) in PUBLIC.items())


class FeedEntry(Schema):
    position = fields.Integer(required=True, metadata={
        "description": "The entry's place in the public log: gapless, from 1."})
    event_id = fields.String(required=True, metadata={
        "description": "The source event's id: dedupe on it."})
    type = fields.String(required=True)
    schema_version = fields.Integer(required=True, metadata={
        "description": "The version of the type's public form (docs/feeds.md)."})
    stream = fields.String(required=True, metadata={
        "description": "The source stream (volunteer-…, branch-…, activity-…)."})
    stream_version = fields.Integer(required=True, metadata={
        "description": "The source stream's version: order per stream."})
    occurred_at = fields.String(required=True)
    data = fields.Dict(required=True, metadata={
        "description": "The public fields of the type that the profile keeps (and "
                       "volunteer_name where it admits names). Public forms by type and "
                       f"schema version: {PUBLIC_FORMS}."})


class FeedPage(Schema):
    events = fields.List(fields.Nested(FeedEntry), required=True)
    next = fields.String(required=True, metadata={
        "description": "The signed cursor to pass as `after` next time."})
    head = fields.Integer(required=True, metadata={
        "description": "The public log's last position when answered."})


class FeedRead(Schema):
    partner = fields.String(required=True)
    profile = fields.String(required=True)
    after = fields.Integer(required=True)
    until = fields.Integer(required=True)
    events = fields.Integer(required=True)
    scanned = fields.Integer(required=True)
    at = fields.String(required=True)


class ImportJob(Schema):
    job_id = fields.String(required=True)
    partner = fields.String(required=True)
    source = fields.String(required=True)
    kind = fields.String(required=True)
    file_name = fields.String(required=True)
    status = fields.String(required=True, metadata={
        "description": "receiving, queued, running, done or refused"})
    rows = fields.Integer(required=True)
    accepted = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    refused = fields.String(allow_none=True, metadata={
        "description": "Why the whole file was refused (encoding, size, format)."})
    created_at = fields.String(required=True)
    finished_at = fields.String(allow_none=True)

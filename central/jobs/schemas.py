"""JSON shape of a job run."""

from marshmallow import Schema, fields


class JobRunSchema(Schema):
    id = fields.Integer(dump_only=True)
    job = fields.String(dump_only=True)
    status = fields.String(
        dump_only=True, metadata={"enum": ["queued", "running", "succeeded", "failed", "skipped"]}
    )
    requested_at = fields.DateTime(dump_only=True)
    requested_by_id = fields.Integer(dump_only=True, allow_none=True)
    started_at = fields.DateTime(dump_only=True, allow_none=True)
    finished_at = fields.DateTime(dump_only=True, allow_none=True)
    duration_seconds = fields.Float(dump_only=True, allow_none=True)
    today = fields.Date(
        dump_only=True, allow_none=True, metadata={"description": "The business date it ran for."}
    )
    counts = fields.Dict(keys=fields.String(), dump_only=True)
    error = fields.String(dump_only=True, allow_none=True)

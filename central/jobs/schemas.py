"""JSON shape of a job run."""

from typing import Any

from marshmallow import Schema, fields, validate

from central.core.errors import N_
from central.jobs.models import JobStatus


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
    counts = fields.Method(
        "dump_counts",
        dump_only=True,
        metadata={"type": "object", "description": "What the run did; rounds in your reach."},
    )
    error = fields.String(dump_only=True, allow_none=True)

    def dump_counts(self, run: Any) -> dict[str, Any]:
        from flask_login import current_user

        from central.jobs.queries import counts_in_reach

        return counts_in_reach(run.counts, current_user)


class RunFilterSchema(Schema):
    """The query string of the list of runs."""

    job = fields.String()
    status = fields.String(
        validate=validate.OneOf([s.value for s in JobStatus], error=N_("Not a job run status.")),
        metadata={"refusal": N_("status is not a job run status.")},
    )

"""API: /jobs — coordinators read the job runs and queue a run (the scheduler runs it)."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from central.core.api import endpoint
from central.core.errors import N_, ValidationError
from central.core.permissions import require_role
from central.extensions import db
from central.jobs import services
from central.jobs.models import JobStatus
from central.jobs.queries import runs_query
from central.jobs.schemas import JobRunSchema

TAG = "jobs"


@endpoint(
    "/jobs/runs",
    summary="List job runs and queued requests, newest first (coordinator)",
    tag=TAG,
    response=JobRunSchema,
    many=True,
    query=[
        {"name": "job", "in": "query", "schema": {"type": "string"}},
        {
            "name": "status",
            "in": "query",
            "schema": {"type": "string", "enum": [s.value for s in JobStatus]},
        },
    ],
)
def list_runs():
    require_role(current_user, "coordinator")
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in JobStatus}:
        raise ValidationError(
            N_("status is not a job run status."), fields={"status": N_("Not a job run status.")}
        )
    return runs_query(job=request.args.get("job") or None, status=status)


@endpoint(
    "/jobs/<name>/run",
    "POST",
    summary="Queue a run of a job; the scheduler starts it within seconds (coordinator)",
    tag=TAG,
    response=JobRunSchema,
    status=202,
)
def queue_run(name: str):
    require_role(current_user, "coordinator")
    run, _created = services.queue_run(name, actor=current_user)
    db.session.commit()
    return run

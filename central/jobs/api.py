"""API: /jobs — coordinators read the job runs and queue a run (the scheduler runs it)."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from central.core.api import api
from central.core.errors import N_, ValidationError
from central.core.permissions import require_role
from central.extensions import db
from central.jobs import services
from central.jobs.models import JobStatus
from central.jobs.queries import runs_query
from central.jobs.schemas import JobRunSchema

TAG = "jobs"


@api.route("/jobs/runs", tags=[TAG])
@api.doc(
    parameters=[
        {"name": "job", "in": "query", "schema": {"type": "string"}},
        {
            "name": "status",
            "in": "query",
            "schema": {"type": "string", "enum": [s.value for s in JobStatus]},
        },
    ]
)
@api.response(200, JobRunSchema(many=True))
@api.paginate()
def list_runs():
    """List job runs and queued requests, newest first (coordinator)"""
    require_role(current_user, "coordinator")
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in JobStatus}:
        raise ValidationError(
            N_("status is not a job run status."), fields={"status": N_("Not a job run status.")}
        )
    return runs_query(job=request.args.get("job") or None, status=status)


@api.route("/jobs/<name>/run", methods=["POST"], tags=[TAG])
@api.response(202, JobRunSchema)
def queue_run(name: str):
    """Queue a run of a job; the scheduler starts it within seconds (coordinator)"""
    require_role(current_user, "coordinator")
    run, _created = services.queue_run(name, actor=current_user)
    db.session.commit()
    return run

"""API: /jobs — coordinators read the job runs and queue a run (the scheduler runs it)."""

from __future__ import annotations

from flask_login import current_user

from central.core.api import api
from central.core.permissions import require_role
from central.core.roles import Role
from central.extensions import db
from central.jobs import services
from central.jobs.queries import runs_query
from central.jobs.schemas import JobRunSchema, RunFilterSchema

TAG = "jobs"


@api.route("/jobs/runs", tags=[TAG])
@api.arguments(RunFilterSchema, location="query")
@api.response(200, JobRunSchema(many=True))
@api.paginate()
def list_runs(args):
    """List job runs and queued requests, newest first (coordinator)"""
    require_role(current_user, Role.COORDINATOR)
    return runs_query(job=args.get("job"), status=args.get("status"))


@api.route("/jobs/<name>/run", methods=["POST"], tags=[TAG])
@api.response(202, JobRunSchema)
def queue_run(name: str):
    """Queue a run of a job; the scheduler starts it within seconds (coordinator)"""
    require_role(current_user, Role.COORDINATOR)
    run, _created = services.queue_run(name, actor=current_user)
    db.session.commit()
    return run

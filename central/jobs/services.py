"""Job requests: a coordinator's "run now" only queues a run; the scheduler runs it."""

from __future__ import annotations

from sqlalchemy import select

from central.accounts.models import Role, User
from central.core import audit
from central.core.permissions import require_role
from central.extensions import db
from central.jobs.models import JobRun, JobStatus
from central.jobs.registry import get_job


def queue_run(name: str, *, actor: User) -> tuple[JobRun, bool]:
    """Queue a run of job `name` for the scheduler; a request already waiting is reused.

    Returns the queued run and whether it is new.
    """
    require_role(actor, Role.COORDINATOR)
    job = get_job(name)
    waiting = db.session.scalar(
        select(JobRun)
        .where(JobRun.job == job.name, JobRun.status == JobStatus.QUEUED)
        .order_by(JobRun.id)
        .limit(1)
    )
    if waiting is not None:
        return waiting, False
    run = JobRun(job=job.name, status=JobStatus.QUEUED, requested_by_id=actor.id)
    db.session.add(run)
    db.session.flush()
    audit.record("job_run.queued", run, actor=actor, job=job.name)
    return run, True

"""Read queries for the jobs page and API: runs newest first, the last run and queued requests."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from central.extensions import db
from central.jobs.models import JobRun, JobStatus


def runs_query(job: str | None = None, status: str | None = None) -> Select:
    """Job runs, newest request first, optionally for one job or status."""
    stmt = select(JobRun).order_by(JobRun.requested_at.desc(), JobRun.id.desc())
    if job:
        stmt = stmt.where(JobRun.job == job)
    if status:
        stmt = stmt.where(JobRun.status == status)
    return stmt


def last_runs() -> dict[str, JobRun]:
    """Each job's most recent run that was not merely queued."""
    newest = (
        select(func.max(JobRun.id))
        .where(JobRun.status != JobStatus.QUEUED)
        .group_by(JobRun.job)
        .scalar_subquery()
    )
    return {run.job: run for run in db.session.scalars(select(JobRun).where(JobRun.id.in_(newest)))}


def queued_counts() -> dict[str, int]:
    """How many requests wait per job."""
    rows = db.session.execute(
        select(JobRun.job, func.count())
        .where(JobRun.status == JobStatus.QUEUED)
        .group_by(JobRun.job)
    )
    return {job: count for job, count in rows}

"""Read queries for the jobs page and API: runs newest first, the last run and queued requests."""

from __future__ import annotations

from typing import Any

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


ROUND_ID_COUNTS = ("unassigned_round_ids",)  # counts that name rounds, of any authority


def counts_in_reach(counts: dict[str, Any] | None, user: Any) -> dict[str, Any]:
    """A run's counts as `user` may read them: jobs span every framework, so the rounds a count
    names are narrowed to those in the user's reach (the totals stay)."""
    counts = dict(counts or {})
    named = {key: counts[key] for key in ROUND_ID_COUNTS if isinstance(counts.get(key), list)}
    if not named:
        return counts
    from central.core.permissions import visible_rounds
    from central.planning.models import Round

    wanted = {rid for ids in named.values() for rid in ids}
    visible = set(
        db.session.scalars(
            visible_rounds(user).with_only_columns(Round.id).where(Round.id.in_(wanted))
        )
    )
    for key, ids in named.items():
        counts[key] = [rid for rid in ids if rid in visible]
    return counts

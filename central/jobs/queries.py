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


def _visible_round_ids(user: Any) -> Select:
    from central.planning.models import Round
    from central.planning.reach import visible_rounds

    return visible_rounds(user).with_only_columns(Round.id)


def _visible_statement_numbers(user: Any) -> Select:
    from central.reports.models import Statement
    from central.reports.reach import visible_statements

    return visible_statements(user).with_only_columns(Statement.number)


# Counts that name objects of any authority, each with the query of those a user may see: rounds
# by id, statements by number.
REACH_BOUND_COUNTS = {
    "unassigned_round_ids": _visible_round_ids,
    "numbers": _visible_statement_numbers,
}


def counts_in_reach(counts: dict[str, Any] | None, user: Any) -> dict[str, Any]:
    """A run's counts as `user` may read them: jobs span every framework, so the rounds and
    statements a count names are narrowed to those in the user's reach (the totals stay). The
    command line (no user) is the operator's and reads them whole."""
    counts = dict(counts or {})
    # `current_user` is a proxy, of None outside a request.
    if hasattr(user, "_get_current_object"):
        user = user._get_current_object()
    if user is None:
        return counts
    for key, visible in REACH_BOUND_COUNTS.items():
        named = counts.get(key)
        if not isinstance(named, list) or not named:
            continue
        query = visible(user)
        column = query.selected_columns[0]
        seen = set(db.session.scalars(query.where(column.in_(named))))
        counts[key] = [value for value in named if value in seen]
    return counts

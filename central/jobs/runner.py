"""The one runner behind the scheduler, `central jobs run` and the coordinator's "run now".

`run_job` takes the job's lock, records a job run, calls the job in its own transaction and
records the outcome: `succeeded` with the job's counts, `failed` with the error (the job's open
transaction rolled back, so a failure leaves no half-made work), or `skipped` when another run
holds the lock. Queued requests (from the web) are claimed atomically, so two schedulers never
run the same request.
"""

from __future__ import annotations

import json
import logging
from contextlib import nullcontext
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select, update

from central.core import clock
from central.core.errors import N_, DomainError
from central.core.sqlite import writer_transactions
from central.core.types import utcnow
from central.extensions import db
from central.jobs.locks import DEFAULT_LEASE_SECONDS, try_lock
from central.jobs.models import JobRun, JobStatus
from central.jobs.registry import Job, get_job, jobs

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 4000


class ClockOverrideRefused(DomainError):
    """`--today` was given where the clock may not be moved (production)."""


def check_clock_override(today: date | None) -> None:
    """Refuse a moved clock unless the configuration allows it (development, testing)."""
    if today is not None and not current_app.config.get("ALLOW_CLOCK_OVERRIDE"):
        raise ClockOverrideRefused(
            N_(
                "The clock cannot be moved (--today) in the %(name)s configuration; it is allowed "
                "only in development and testing."
            ),
            params={"name": current_app.config["NAME"]},
        )


def run_job(name: str, *, today: date | None = None, requested_run: JobRun | None = None) -> JobRun:
    """Run job `name` now under its lock and return the recorded job run.

    `today` moves the business clock for the whole run (development and testing only).
    `requested_run` is a queued request to fulfil; it is claimed first, so that it runs once.
    """
    session = db.session
    if requested_run is not None and today is None:
        today = requested_run.today
    check_clock_override(today)
    job = get_job(name)
    session.commit()  # start from a clean transaction: the lock's write comes first
    with writer_transactions():
        return _run(job, session, today, requested_run)


def _run(job: Job, session, today: date | None, requested_run: JobRun | None) -> JobRun:
    name = job.name
    if requested_run is not None:
        run = _claim(requested_run)
        if run is None:
            session.refresh(requested_run)
            return requested_run
    business_day = today or clock.today()
    if requested_run is None:
        now = utcnow()
        run = JobRun(job=name, status=JobStatus.RUNNING, requested_at=now, started_at=now)
        session.add(run)
    run.today = business_day
    lease = current_app.config.get("JOB_LOCK_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
    lock = try_lock(name, lease_seconds=lease)
    if lock is None:
        run.status = JobStatus.SKIPPED
        run.finished_at = utcnow()
        run.error = "Another run of this job holds its lock."
        session.commit()
        log.info("Job %s skipped: another run holds its lock", name)
        return run
    try:
        _close_interrupted_runs(name, run)
        session.commit()  # the run is visible as running while the job works
        try:
            with clock.frozen_today(today) if today is not None else nullcontext():
                counts = job.fn(session, business_day)
            session.commit()
        except Exception as exc:
            session.rollback()
            log.exception("Job %s failed", name)
            run.status = JobStatus.FAILED
            run.error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
        else:
            run.status = JobStatus.SUCCEEDED
            run.counts = json.loads(json.dumps(counts or {}, default=str))
        run.finished_at = utcnow()
        session.commit()
    finally:
        lock.release()
    log.info("Job %s %s: %s", name, run.status, run.counts or run.error)
    return run


def _claim(requested: JobRun) -> JobRun | None:
    """Move a queued request to `running`; None when another process claimed it first."""
    claimed = db.session.execute(
        update(JobRun)
        .where(JobRun.id == requested.id, JobRun.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, started_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    db.session.refresh(requested)
    return requested


INTERRUPTED = "Interrupted: the process running it stopped."
# A run claimed from a queued request is `running` a moment before it takes its lock: a sweep
# leaves runs younger than this to their process.
DEFAULT_INTERRUPTED_AFTER_SECONDS = 60


def _close_interrupted_runs(name: str, current: JobRun) -> None:
    """Runs left `running` by a killed process: we hold the lock, so none of them is alive."""
    db.session.flush()
    db.session.execute(
        update(JobRun)
        .where(JobRun.job == name, JobRun.status == JobStatus.RUNNING, JobRun.id != current.id)
        .values(status=JobStatus.FAILED, finished_at=utcnow(), error=INTERRUPTED)
        .execution_options(synchronize_session=False)
    )


def close_interrupted_runs() -> int:
    """Close as failed, for every job, the runs left `running` by a killed process (when a
    scheduler starts and before `central jobs list`): a job whose lock is free has no live run.
    Returns how many were closed; a second call closes none."""
    session = db.session
    session.commit()
    grace = current_app.config.get(
        "JOB_INTERRUPTED_AFTER_SECONDS", DEFAULT_INTERRUPTED_AFTER_SECONDS
    )
    names = session.scalars(
        select(JobRun.job).where(JobRun.status == JobStatus.RUNNING).distinct()
    ).all()
    closed = 0
    for name in sorted(names):
        lock = try_lock(name, lease_seconds=DEFAULT_LEASE_SECONDS)
        if lock is None:
            continue  # a live run holds it
        try:
            closed += session.execute(
                update(JobRun)
                .where(
                    JobRun.job == name,
                    JobRun.status == JobStatus.RUNNING,
                    JobRun.started_at < utcnow() - timedelta(seconds=grace),
                )
                .values(status=JobStatus.FAILED, finished_at=utcnow(), error=INTERRUPTED)
                .execution_options(synchronize_session=False)
            ).rowcount
            session.commit()
        finally:
            lock.release()
    if closed:
        log.warning("Closed %d job run(s) interrupted by a stopped process", closed)
    return closed


def queued_runs() -> list[JobRun]:
    """Queued requests, oldest first."""
    return list(
        db.session.scalars(
            select(JobRun)
            .where(JobRun.status == JobStatus.QUEUED)
            .order_by(JobRun.requested_at, JobRun.id)
        )
    )


def run_queued() -> list[JobRun]:
    """Run every queued request once (the scheduler polls this every few seconds)."""
    done = []
    for request in queued_runs():
        if request.job not in jobs():
            _fail_unknown(request)
        else:
            try:
                done.append(run_job(request.job, requested_run=request))
            except DomainError as exc:
                _fail_request(request, exc.message)
    return done


def _fail_unknown(request: JobRun) -> None:
    _fail_request(request, f"There is no job called {request.job!r}.")


def _fail_request(request: JobRun, message: str) -> None:
    db.session.execute(
        update(JobRun)
        .where(JobRun.id == request.id, JobRun.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        .values(status=JobStatus.FAILED, finished_at=utcnow(), error=message)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()

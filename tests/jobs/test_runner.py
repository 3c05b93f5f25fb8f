"""The job runner: runs are recorded, locked, skipped, failed cleanly, queued and polled."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from central.core.audit import AuditEvent
from central.core.types import utcnow
from central.extensions import db
from central.jobs import services
from central.jobs.models import JobLock, JobRun, JobStatus
from central.jobs.registry import UnknownJob
from central.jobs.runner import ClockOverrideRefused, run_job, run_queued
from central.organisations.models import Organisation
from tests.factories import make_user
from tests.jobs import sample_jobs
from tests.jobs.conftest import lock_held_elsewhere


def _orgs_named(name: str) -> int:
    return db.session.scalar(select(func.count()).where(Organisation.name == name))


def _is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def test_run_is_recorded_with_status_times_counts_and_business_date(monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    run = run_job("test-ensure-org", today=date(2027, 3, 1))
    assert run.id is not None
    assert run.status == JobStatus.SUCCEEDED
    assert run.counts == {"created": 1, "today": "2027-03-01"}
    assert run.today == date(2027, 3, 1)
    assert run.started_at <= run.finished_at
    assert run.duration_seconds >= 0
    assert run.error is None
    assert _orgs_named(sample_jobs.ORG_NAME) == 1


def test_running_a_job_twice_changes_nothing_the_second_time(monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    first = run_job("test-ensure-org")
    second = run_job("test-ensure-org")
    assert first.counts["created"] == 1
    assert second.status == JobStatus.SUCCEEDED
    assert second.counts == {"created": 0}
    assert _orgs_named(sample_jobs.ORG_NAME) == 1
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 2


def test_failed_job_is_recorded_and_leaves_nothing_half_written(monkeypatch):
    sample_jobs.register(monkeypatch, "test-half-then-fail")
    run = run_job("test-half-then-fail")
    assert run.status == JobStatus.FAILED
    assert run.error == "RuntimeError: failed half way"
    assert run.finished_at is not None
    assert _orgs_named(sample_jobs.ORG_NAME) == 0
    stored = db.session.get(JobRun, run.id)
    assert stored.status == JobStatus.FAILED


def test_lock_is_released_after_a_failure(monkeypatch):
    sample_jobs.register(monkeypatch, "test-half-then-fail")
    run_job("test-half-then-fail")
    run = run_job("test-half-then-fail")
    assert run.status == JobStatus.FAILED  # not skipped: the first run let go of its lock
    assert db.session.scalar(select(func.count()).select_from(JobLock)) == 0


def test_today_moves_the_business_clock_for_the_whole_run(monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    seen = sample_jobs.SEEN_DAYS
    seen.clear()
    run_job("test-ensure-org", today=date(2030, 1, 31))
    assert seen == [date(2030, 1, 31)]


def test_today_is_refused_in_the_production_configuration(app, monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    monkeypatch.setitem(app.config, "ALLOW_CLOCK_OVERRIDE", False)
    monkeypatch.setitem(app.config, "NAME", "production")
    with pytest.raises(ClockOverrideRefused, match="production"):
        run_job("test-ensure-org", today=date(2030, 1, 31))
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 0
    assert run_job("test-ensure-org").status == JobStatus.SUCCEEDED  # the real clock is fine


def test_unknown_job_is_refused():
    with pytest.raises(UnknownJob):
        run_job("no-such-job")


def test_run_is_skipped_while_another_run_holds_the_lock(monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    with lock_held_elsewhere("test-ensure-org"):
        run = run_job("test-ensure-org")
    assert run.status == JobStatus.SKIPPED
    assert "lock" in run.error
    assert _orgs_named(sample_jobs.ORG_NAME) == 0
    assert run_job("test-ensure-org").status == JobStatus.SUCCEEDED


def test_other_jobs_are_not_blocked_by_a_held_lock(monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    sample_jobs.register(monkeypatch, "test-batches")
    with lock_held_elsewhere("test-batches"):
        assert run_job("test-ensure-org").status == JobStatus.SUCCEEDED


def test_expired_lease_is_taken_over(monkeypatch):
    if not _is_sqlite():
        pytest.skip("leases are the SQLite lock; PostgreSQL frees advisory locks itself")
    sample_jobs.register(monkeypatch, "test-ensure-org")
    db.session.add(
        JobLock(
            job="test-ensure-org",
            holder="dead-host:1:x",
            expires_at=utcnow() - timedelta(seconds=1),
        )
    )
    db.session.flush()
    run = run_job("test-ensure-org")
    assert run.status == JobStatus.SUCCEEDED
    assert db.session.get(JobLock, "test-ensure-org") is None


def test_live_lease_is_not_taken_over(monkeypatch):
    if not _is_sqlite():
        pytest.skip("leases are the SQLite lock")
    from central.jobs.locks import LeaseLock

    first = LeaseLock(db.engine, "test-lease", 60)
    assert first.try_acquire()
    second = LeaseLock(db.engine, "test-lease", 60)
    assert not second.try_acquire()
    first._stop.set()
    lease = db.session.get(JobLock, "test-lease")
    assert lease.holder == first.holder
    first.release()
    assert db.session.get(JobLock, "test-lease") is None
    assert second.try_acquire()
    second.release()


def test_runs_left_running_by_a_killed_process_are_closed(monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    stale = JobRun(job="test-ensure-org", status=JobStatus.RUNNING, started_at=utcnow())
    db.session.add(stale)
    db.session.flush()
    run_job("test-ensure-org")
    db.session.refresh(stale)
    assert stale.status == JobStatus.FAILED
    assert stale.error.startswith("Interrupted")


def test_queued_run_is_picked_up_by_the_poll(monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    coordinator = make_user("coordinator")
    queued, created = services.queue_run("test-ensure-org", actor=coordinator)
    assert created and queued.status == JobStatus.QUEUED
    assert _orgs_named(sample_jobs.ORG_NAME) == 0  # queueing runs nothing
    done = run_queued()
    assert [run.id for run in done] == [queued.id]
    db.session.refresh(queued)
    assert queued.status == JobStatus.SUCCEEDED
    assert queued.requested_by_id == coordinator.id
    assert queued.started_at is not None and queued.finished_at is not None
    assert _orgs_named(sample_jobs.ORG_NAME) == 1
    assert run_queued() == []  # nothing is run twice


def test_queueing_twice_reuses_the_waiting_request(monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    coordinator = make_user("coordinator")
    first, _ = services.queue_run("test-ensure-org", actor=coordinator)
    second, created = services.queue_run("test-ensure-org", actor=coordinator)
    assert second.id == first.id and not created
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "job_run.queued")) == 1


def test_a_queued_request_is_claimed_once(monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    queued, _ = services.queue_run("test-ensure-org", actor=make_user("coordinator"))
    first = run_job("test-ensure-org", requested_run=queued)
    again = run_job("test-ensure-org", requested_run=queued)
    assert first.status == again.status == JobStatus.SUCCEEDED
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 1
    assert _orgs_named(sample_jobs.ORG_NAME) == 1


def test_queued_request_is_skipped_while_the_lock_is_held(monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    queued, _ = services.queue_run("test-ensure-org", actor=make_user("coordinator"))
    with lock_held_elsewhere("test-ensure-org"):
        run_queued()
    db.session.refresh(queued)
    assert queued.status == JobStatus.SKIPPED


def test_queued_request_for_a_job_no_longer_registered_fails():
    db.session.add(JobRun(job="retired-job", status=JobStatus.QUEUED))
    db.session.flush()
    run_queued()
    run = db.session.scalar(select(JobRun).where(JobRun.job == "retired-job"))
    assert run.status == JobStatus.FAILED
    assert "retired-job" in run.error


def test_only_coordinators_queue_runs(monkeypatch):
    from central.core.errors import Forbidden

    sample_jobs.register(monkeypatch, "test-ensure-org")
    for role in ("member", "provider", "admin"):
        with pytest.raises(Forbidden):
            services.queue_run("test-ensure-org", actor=make_user(role))


def _stale_run(job: str, minutes_ago: int = 90) -> JobRun:
    started = utcnow() - timedelta(minutes=minutes_ago)
    run = JobRun(job=job, status=JobStatus.RUNNING, requested_at=started, started_at=started)
    db.session.add(run)
    db.session.flush()
    return run


def test_interrupted_runs_of_every_job_are_closed_without_running_them(monkeypatch):
    from central.jobs.runner import close_interrupted_runs

    sample_jobs.register(monkeypatch, "test-ensure-org")
    first, second = _stale_run("test-ensure-org"), _stale_run("test-other")
    assert close_interrupted_runs() == 2
    for stale in (first, second):
        db.session.refresh(stale)
        assert stale.status == JobStatus.FAILED
        assert stale.error.startswith("Interrupted") and stale.finished_at is not None
    assert _orgs_named(sample_jobs.ORG_NAME) == 0  # closing runs no job
    assert close_interrupted_runs() == 0  # twice: nothing more to close


def test_a_run_whose_lock_is_held_is_alive_and_stays_running(monkeypatch):
    from central.jobs.runner import close_interrupted_runs

    sample_jobs.register(monkeypatch, "test-ensure-org")
    alive = _stale_run("test-ensure-org")
    with lock_held_elsewhere("test-ensure-org"):
        assert close_interrupted_runs() == 0
    db.session.refresh(alive)
    assert alive.status == JobStatus.RUNNING


def test_a_run_that_just_started_is_left_to_take_its_lock(monkeypatch):
    from central.jobs.runner import close_interrupted_runs

    sample_jobs.register(monkeypatch, "test-ensure-org")
    starting = _stale_run("test-ensure-org", minutes_ago=0)
    assert close_interrupted_runs() == 0
    db.session.refresh(starting)
    assert starting.status == JobStatus.RUNNING


def test_interrupted_runs_are_closed_when_the_scheduler_starts(app, monkeypatch):
    import signal

    from apscheduler.schedulers.blocking import BlockingScheduler

    from central.jobs.scheduler import run_scheduler

    sample_jobs.register(monkeypatch, "test-ensure-org")
    stale = _stale_run("test-ensure-org")
    monkeypatch.setattr(BlockingScheduler, "start", lambda self, *a, **k: None)
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    run_scheduler(app)
    db.session.refresh(stale)
    assert stale.status == JobStatus.FAILED

"""The runner across real commits and processes, on a database of its own (`commit_db`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from central.extensions import db
from central.jobs.models import JobLock, JobRun, JobStatus
from central.jobs.runner import run_job
from central.organisations.models import Organisation
from tests.jobs import sample_jobs

ROOT = Path(__file__).resolve().parents[2]


def _start(url: str, name: str, release: Path | None = None, lease: float | None = None):
    args = [sys.executable, "-m", "tests.jobs.sample_jobs", url, name]
    if release is not None:
        args.append(str(release))
    if lease is not None:
        args.append(str(lease))
    return subprocess.Popen(
        args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_until_running(name: str, process: subprocess.Popen, timeout: float = 30) -> JobRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot each time
        run = db.session.scalar(
            select(JobRun).where(JobRun.job == name, JobRun.status == JobStatus.RUNNING)
        )
        if run is not None:
            return run
        if process.poll() is not None:
            pytest.fail(f"the other process ended early: {process.stderr.read()}")
        time.sleep(0.05)
    pytest.fail("the other process never started its run")


def test_run_is_skipped_while_another_process_runs_the_job(
    commit_db, commit_database_url, monkeypatch, tmp_path
):
    release = tmp_path / "release"
    other = _start(commit_database_url, "test-slow", release)
    try:
        _wait_until_running("test-slow", other)
        sample_jobs.register(monkeypatch, "test-slow", sample_jobs.wait_for_file(release))
        mine = run_job("test-slow")
        assert mine.status == JobStatus.SKIPPED
    finally:
        release.touch()
        out, err = other.communicate(timeout=30)
    assert other.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["status"] == "succeeded"
    assert run_job("test-slow").status == JobStatus.SUCCEEDED  # the lock is free again


def test_a_killed_process_does_not_block_the_job_for_ever(
    commit_db, commit_app, commit_database_url, monkeypatch, tmp_path
):
    lease = 1.0
    monkeypatch.setitem(commit_app.config, "JOB_LOCK_LEASE_SECONDS", lease)
    other = _start(commit_database_url, "test-slow", tmp_path / "never", lease)
    stale = _wait_until_running("test-slow", other)
    os.kill(other.pid, signal.SIGKILL)
    other.wait(timeout=10)
    sample_jobs.register(monkeypatch, "test-slow", sample_jobs.wait_for_file(tmp_path))
    if db.engine.dialect.name == "sqlite":
        # The dead holder's lease still runs for a moment; once it expires the job runs again.
        db.session.rollback()
        assert db.session.get(JobLock, "test-slow") is not None
        time.sleep(lease + 0.2)
    run = run_job("test-slow")
    assert run.status == JobStatus.SUCCEEDED
    db.session.refresh(stale)
    assert stale.status == JobStatus.FAILED
    assert stale.error.startswith("Interrupted")


def test_lease_is_renewed_while_the_job_runs(commit_db, commit_app, monkeypatch):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("leases are the SQLite lock")
    lease = 0.6
    monkeypatch.setitem(commit_app.config, "JOB_LOCK_LEASE_SECONDS", lease)
    seen = []

    def long_job(session, today):
        from sqlalchemy import create_engine

        # Look from another connection, as another process would.
        engine = create_engine(db.engine.url)
        for _ in range(3):
            time.sleep(lease)
            with engine.connect() as conn:
                seen.append(conn.scalar(select(JobLock.expires_at)))
        engine.dispose()
        return {}

    sample_jobs.register(monkeypatch, "test-long", long_job)
    assert run_job("test-long").status == JobStatus.SUCCEEDED
    assert len(seen) == 3 and seen[0] < seen[1] < seen[2]


def test_a_batch_job_that_fails_keeps_its_finished_batches_and_resumes(commit_db, monkeypatch):
    sample_jobs.register(monkeypatch, "test-batches")
    monkeypatch.setattr(sample_jobs, "FAIL_AFTER_BATCHES", [2])
    failed = run_job("test-batches")
    assert failed.status == JobStatus.FAILED
    count = select(func.count()).where(Organisation.name.startswith(sample_jobs.BATCH_PREFIX))
    assert db.session.scalar(count) == 4  # two whole batches, nothing of the third

    monkeypatch.setattr(sample_jobs, "FAIL_AFTER_BATCHES", [])
    resumed = run_job("test-batches")
    assert resumed.status == JobStatus.SUCCEEDED
    assert resumed.counts == {"created": 2}
    assert db.session.scalar(count) == sample_jobs.BATCH_TOTAL
    assert run_job("test-batches").counts == {"created": 0}


def test_failed_run_is_committed_as_failed_for_other_processes(commit_db, monkeypatch):
    sample_jobs.register(monkeypatch, "test-half-then-fail")
    run = run_job("test-half-then-fail")
    db.session.remove()
    with db.engine.connect() as conn:
        status, error = conn.execute(
            select(JobRun.status, JobRun.error).where(JobRun.id == run.id)
        ).one()
        orgs = conn.scalar(select(func.count()).select_from(Organisation))
    assert status == "failed" and "half way" in error
    assert orgs == 0

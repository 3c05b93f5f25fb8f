"""`central jobs list` and `central jobs run NAME [--today]`: JSON output and exit codes."""

from __future__ import annotations

import json

from central.jobs.models import JobStatus
from tests.jobs import sample_jobs
from tests.jobs.conftest import lock_held_elsewhere


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=["jobs", *args])


def test_jobs_run_prints_the_job_run_as_json_and_exits_zero(app, monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    result = _invoke(app, "run", "test-ensure-org", "--today", "2027-06-30")
    assert result.exit_code == 0, result.output
    run = json.loads(result.output)
    assert run["job"] == "test-ensure-org"
    assert run["status"] == "succeeded"
    assert run["today"] == "2027-06-30"
    assert run["counts"] == {"created": 1, "today": "2027-06-30"}
    assert {"id", "requested_at", "started_at", "finished_at", "error"} <= set(run)


def test_jobs_run_exits_zero_when_skipped(app, monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    with lock_held_elsewhere("test-ensure-org"):
        result = _invoke(app, "run", "test-ensure-org")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == JobStatus.SKIPPED


def test_jobs_run_exits_non_zero_when_the_job_failed(app, monkeypatch):
    sample_jobs.register(monkeypatch, "test-half-then-fail")
    result = _invoke(app, "run", "test-half-then-fail")
    assert result.exit_code == 1
    run = json.loads(result.output)
    assert run["status"] == "failed"
    assert "failed half way" in run["error"]


def test_jobs_run_refuses_today_in_production(app, monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    monkeypatch.setitem(app.config, "ALLOW_CLOCK_OVERRIDE", False)
    monkeypatch.setitem(app.config, "NAME", "production")
    result = _invoke(app, "run", "test-ensure-org", "--today", "2027-06-30")
    assert result.exit_code == 1
    assert "cannot be moved" in result.output
    assert "production" in result.output


def test_jobs_run_rejects_a_bad_date_and_an_unknown_job(app, monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    bad_date = _invoke(app, "run", "test-ensure-org", "--today", "30/06/2027")
    assert bad_date.exit_code == 2
    assert "YYYY-MM-DD" in bad_date.output
    unknown = _invoke(app, "run", "no-such-job")
    assert unknown.exit_code == 2
    assert "no-such-job" in unknown.output


def test_jobs_list_shows_each_job_with_trigger_last_and_next_run(app, monkeypatch):
    sample_jobs.register(monkeypatch, "test-ensure-org")
    sample_jobs.register(monkeypatch, "mark-overdue", sample_jobs.ensure_org)
    _invoke(app, "run", "mark-overdue")
    result = _invoke(app, "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["JOB", "TRIGGER", "LAST", "RUN", "NEXT", "RUN"]
    overdue = next(line for line in lines if line.startswith("mark-overdue"))
    assert "Hourly" in overdue and "succeeded" in overdue
    assert ":10" in overdue  # the next hourly run, at ten past
    manual = next(line for line in lines if line.startswith("test-ensure-org"))
    assert "on request" in manual and "never" in manual


def test_jobs_list_shows_a_run_left_by_a_killed_process_as_failed(app, monkeypatch):
    from datetime import timedelta

    from central.core.types import utcnow
    from central.extensions import db
    from central.jobs.models import JobRun

    sample_jobs.register(monkeypatch, "test-ensure-org")
    started = utcnow() - timedelta(hours=2)
    stale = JobRun(
        job="test-ensure-org", status=JobStatus.RUNNING, requested_at=started, started_at=started
    )
    db.session.add(stale)
    db.session.flush()
    result = _invoke(app, "list")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("test-ensure-org"))
    assert "failed" in line and "running" not in line
    db.session.refresh(stale)
    assert stale.status == JobStatus.FAILED

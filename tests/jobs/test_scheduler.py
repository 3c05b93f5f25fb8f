"""The schedule: explicit ids, Brussels time, coalescing, one instance, the nightly chain after
the daylight-saving hour, and the poll for queued requests. No scheduler is ever started here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from central.jobs import scheduler as sched
from central.jobs.models import JobStatus
from central.jobs.services import queue_run
from tests.factories import make_user
from tests.jobs import sample_jobs

NIGHTLY = ("framework-status", "generate-rounds", "assign-rounds")


@pytest.fixture
def all_jobs_registered(monkeypatch):
    calls: list[str] = []

    def recorder(name):
        def fn(session, today):
            calls.append(name)
            if name == "framework-status":
                raise RuntimeError("first job of the chain fails")
            return {"ran": name}

        return fn

    for name in (*NIGHTLY, "mark-overdue", "issue-statements", "send-digests", "purge-photos"):
        sample_jobs.register(monkeypatch, name, recorder(name))
    return calls


def _built(app) -> BackgroundScheduler:
    return sched.build_scheduler(app, BackgroundScheduler)  # built, never started


def test_scheduler_has_explicit_ids_coalesces_and_runs_one_instance(app, all_jobs_registered):
    scheduler = _built(app)
    by_id = {job.id: job for job in scheduler.get_jobs()}
    assert set(by_id) == {
        "nightly-chain",
        "mark-overdue",
        "issue-statements",
        "send-digests",
        "purge-photos",
        "send-mail",
        "poll-queued",
    }
    assert str(scheduler.timezone) == "Europe/Brussels"
    for job in by_id.values():
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time > 0
    assert by_id["nightly-chain"].args[1] == NIGHTLY
    assert by_id["poll-queued"].trigger.interval.total_seconds() <= 10


def test_only_registered_jobs_are_scheduled(app, monkeypatch):
    monkeypatch.setattr("central.jobs.registry._JOBS", {})
    sample_jobs.register(monkeypatch, "generate-rounds", sample_jobs.ensure_org)
    ids = {job.id for job in _built(app).get_jobs()}
    assert ids == {"nightly-chain", "poll-queued"}
    assert sched.slot_for("generate-rounds").jobs == ("generate-rounds",)
    assert sched.slot_for("purge-photos") is None


def _next(name: str, now: datetime) -> datetime:
    return sched.next_run_at(name, now).astimezone(UTC)


def test_nightly_chain_runs_at_four_brussels_time_after_the_dst_change(all_jobs_registered):
    # Summer time starts on 29 March 2026 (02:00 → 03:00): 04:00 is 02:00 UTC that night.
    assert _next("generate-rounds", datetime(2026, 3, 28, 12, tzinfo=UTC)) == datetime(
        2026, 3, 29, 2, tzinfo=UTC
    )
    # Winter time returns on 25 October 2026 (03:00 → 02:00): 04:00 is 03:00 UTC, once.
    assert _next("framework-status", datetime(2026, 10, 24, 12, tzinfo=UTC)) == datetime(
        2026, 10, 25, 3, tzinfo=UTC
    )


def test_other_triggers_follow_the_spec(all_jobs_registered):
    now = datetime(2026, 1, 15, 12, 30, tzinfo=UTC)  # 13:30 in Brussels (winter)
    assert _next("mark-overdue", now) == datetime(2026, 1, 15, 13, 10, tzinfo=UTC)
    assert _next("issue-statements", now) == datetime(2026, 2, 1, 4, tzinfo=UTC)
    assert _next("send-digests", now) == datetime(2026, 1, 16, 6, tzinfo=UTC)
    assert _next("purge-photos", now) == datetime(2026, 1, 16, 4, 30, tzinfo=UTC)


def test_nightly_chain_runs_its_jobs_in_order_and_goes_on_after_a_failure(app, all_jobs_registered):
    from central.jobs.queries import last_runs

    sched.run_slot(app, NIGHTLY)
    assert all_jobs_registered == list(NIGHTLY)
    last = last_runs()
    assert last["framework-status"].status == JobStatus.FAILED
    assert last["generate-rounds"].status == JobStatus.SUCCEEDED
    assert last["assign-rounds"].counts == {"ran": "assign-rounds"}


def test_poll_runs_queued_requests(app, monkeypatch):
    from central.extensions import db

    sample_jobs.register(monkeypatch, "test-ensure-org")
    queued, _ = queue_run("test-ensure-org", actor=make_user("coordinator"))
    sched.poll_queued(app)
    db.session.refresh(queued)
    assert queued.status == JobStatus.SUCCEEDED


def test_embedded_scheduler_never_starts_in_tests(app):
    with pytest.raises(RuntimeError, match="never starts in tests"):
        sched.start_embedded_scheduler(app)
    assert sched._embedded is None


SPEC_JOBS = (  # SPEC section 4, in its order
    "framework-status",
    "generate-rounds",
    "assign-rounds",
    "mark-overdue",
    "issue-statements",
    "send-digests",
    "purge-photos",
    "send-mail",
)


def test_the_registry_holds_the_specs_jobs_in_the_specs_order():
    from central.jobs.registry import ordered_jobs

    assert tuple(job.name for job in ordered_jobs() if not job.name.startswith("test-")) == (
        SPEC_JOBS
    )


def test_every_job_is_declared_in_a_module_the_registry_collects():
    """A `@job(...)` outside the registry's JOB_MODULES would never run: the test walks the code."""
    import ast

    from central import PROJECT_ROOT
    from central.jobs.registry import JOB_MODULES

    declaring = set()
    for path in (PROJECT_ROOT / "central").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and getattr(d.func, "id", None) == "job"
                for d in node.decorator_list
            ):
                module = path.relative_to(PROJECT_ROOT).with_suffix("").as_posix()
                declaring.add(module.replace("/", "."))
    assert declaring == set(JOB_MODULES)


def test_a_job_is_declared_once():
    from central.core.jobs import job

    def twin(session, today):
        return {}

    with pytest.raises(ValueError, match="declared twice"):
        job("generate-rounds", order=2, description="", nightly=True)(twin)

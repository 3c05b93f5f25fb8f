"""Planning jobs with real commits and two processes, on a database of their own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from central.extensions import db
from central.jobs.models import JobRun, JobStatus
from central.jobs.runner import run_job
from central.planning import jobs as planning_jobs
from central.planning.models import Round, Task
from tests.factories import make_active_framework, make_asset, make_org, make_service_plan
from tests.planning.conftest import TODAY

ROOT = Path(__file__).resolve().parents[2]


def _setup(assets: int) -> None:
    member = make_org("authority")
    framework = make_active_framework(members=[member], providers=[make_org("provider")])
    lot = framework.lots[0]
    lot.max_tasks_per_round = 10
    make_service_plan(member, lot)
    for n in range(assets):
        make_asset(member, lat=50.93 + (n // 10) * 0.002, lon=3.10 + (n % 10) * 0.003)
    db.session.commit()


def _tasks_per_asset() -> list[int]:
    db.session.rollback()
    return list(db.session.scalars(select(func.count()).select_from(Task).group_by(Task.asset_id)))


def test_generate_rounds_that_fails_half_way_leaves_nothing_and_a_rerun_plans_it_all(
    commit_db, monkeypatch
):
    _setup(50)
    monkeypatch.setattr(planning_jobs, "BATCH_ROUNDS", 2)
    real_write = planning_jobs._write_batch
    calls = []

    def failing_write(session, batch, today, counts):
        calls.append(len(batch))
        real_write(session, batch, today, counts)
        if len(calls) == 2:
            session.flush()
            raise RuntimeError("disk full")

    monkeypatch.setattr(planning_jobs, "_write_batch", failing_write)
    failed = run_job("generate-rounds", today=TODAY)
    assert failed.status == JobStatus.FAILED and "disk full" in failed.error
    db.session.rollback()
    # One transaction under the framework's lock (rule 2, §7.1): nothing of the first batch
    # stays either.
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0

    monkeypatch.setattr(planning_jobs, "_write_batch", real_write)
    resumed = run_job("generate-rounds", today=TODAY)
    assert resumed.status == JobStatus.SUCCEEDED
    assert resumed.counts["tasks"] == 50
    assert _tasks_per_asset() == [1] * 50


def test_two_generate_rounds_at_the_same_moment_create_each_task_once(
    commit_db, commit_database_url
):
    _setup(300)
    env = {
        **os.environ,
        "CENTRAL_CONFIG": "testing",
        "TEST_DATABASE_URL": commit_database_url,
    }
    command = [
        str(Path(sys.executable).parent / "central"),
        "jobs",
        "run",
        "generate-rounds",
        "--today",
        TODAY.isoformat(),
    ]
    processes = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    statuses = sorted(json.loads(out)["status"] for out, _err in outputs)
    assert statuses in (["skipped", "succeeded"], ["succeeded", "succeeded"])
    assert _tasks_per_asset() == [1] * 300
    runs = list(db.session.scalars(select(JobRun)))
    assert sum(run.counts.get("tasks", 0) for run in runs) == 300

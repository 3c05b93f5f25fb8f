"""Tiny jobs used only by the tests (never in the app's registry), and a script that runs one in
a separate process: `python -m tests.jobs.sample_jobs DATABASE_URL JOB [RELEASE_FILE]`."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from central.core import clock
from central.core.validators import kbo_with_check_digits
from central.jobs import registry
from central.jobs.registry import Job, jobs
from central.organisations.models import Organisation

ORG_NAME = "Organisation made by a job"
BATCH_PREFIX = "Batch organisation"
BATCH_SIZE = 2
BATCH_TOTAL = 6
SEEN_DAYS: list[date] = []
FAIL_AFTER_BATCHES: list[int] = []  # a test sets one number: fail once that many batches are in


def _org(name: str, digits: str) -> Organisation:
    return Organisation(
        name=name,
        kind="authority",
        enterprise_number=kbo_with_check_digits(digits),
    )


def ensure_org(session, today: date) -> dict:
    """Idempotent: creates one organisation unless it exists (key: its name)."""
    SEEN_DAYS.append(clock.today())
    if session.scalar(select(Organisation.id).where(Organisation.name == ORG_NAME)):
        return {"created": 0}
    session.add(_org(ORG_NAME, "09999999"))
    return {"created": 1, "today": today}


def half_then_fail(session, today: date) -> dict:
    """Writes something, then fails before finishing."""
    session.add(_org(ORG_NAME, "09999999"))
    session.flush()
    raise RuntimeError("failed half way")


def batches(session, today: date) -> dict:
    """Resumable: creates the missing batch organisations, committing every BATCH_SIZE."""
    existing = session.scalar(
        select(func.count()).where(Organisation.name.startswith(BATCH_PREFIX))
    )
    created = 0
    for n in range(existing, BATCH_TOTAL):
        session.add(_org(f"{BATCH_PREFIX} {n}", f"0988{n:04d}"))
        created += 1
        if created % BATCH_SIZE == 0:
            session.commit()
            done = (n + 1) // BATCH_SIZE
            if FAIL_AFTER_BATCHES and done == FAIL_AFTER_BATCHES[0]:
                raise RuntimeError(f"failed after batch {done}")
    return {"created": created}


def wait_for_file(path: Path, timeout: float = 60):
    """A job that runs until `path` exists (another process then holds its lock meanwhile)."""

    def wait(session, today: date) -> dict:
        deadline = time.monotonic() + timeout
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return {"waited": True}

    return wait


SAMPLE_JOBS = {
    "test-ensure-org": ensure_org,
    "test-half-then-fail": half_then_fail,
    "test-batches": batches,
}


def register(monkeypatch, name: str, fn=None) -> Job:
    """Register a test job for the duration of one test (a real job's name keeps its declared
    place and schedule, with the test's function)."""
    declared = registry.declared().get(name)
    job = (
        dataclasses.replace(declared, fn=fn)
        if declared is not None and fn is not None
        else Job(name=name, fn=fn or SAMPLE_JOBS[name], description="")
    )
    monkeypatch.setitem(jobs(), name, job)
    return job


def main(url: str, name: str, release: str | None = None, lease: str | None = None) -> None:
    from central import create_app
    from central.jobs.runner import run_job
    from central.jobs.schemas import JobRunSchema

    overrides: dict = {"SQLALCHEMY_DATABASE_URI": url}
    if lease:
        overrides["JOB_LOCK_LEASE_SECONDS"] = float(lease)
    app = create_app("testing", **overrides)
    fn = wait_for_file(Path(release)) if release else SAMPLE_JOBS[name]
    jobs()[name] = Job(name=name, fn=fn, description="")
    with app.app_context():
        run = run_job(name)
        print(json.dumps(JobRunSchema().dump(run)), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])

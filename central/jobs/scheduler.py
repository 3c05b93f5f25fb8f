"""When jobs run: APScheduler 3 in Europe/Brussels time (SPEC section 4).

The scheduler runs only as `central scheduler` (its own process, BlockingScheduler) or embedded in
`central demo` (BackgroundScheduler in the one demo process) — never in tests, `central run` or
web workers. Every scheduled job goes through `run_job`, whose lock keeps a job from running twice
at the same time even with several scheduler processes. The nightly chain runs after the
daylight-saving hour (02:00–03:00), one job after the other.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from central.core.clock import BRUSSELS
from central.core.errors import N_
from central.jobs.registry import ordered_jobs
from central.jobs.runner import close_interrupted_runs, run_job, run_queued

log = logging.getLogger(__name__)

TIMEZONE = BRUSSELS
POLL_JOB_ID = "poll-queued"
POLL_SECONDS = 5
NIGHTLY_CHAIN_ID = "nightly-chain"
NIGHTLY_LABEL = N_("Nightly 04:00")


@dataclass(frozen=True)
class Slot:
    """One scheduled entry: its id in the scheduler, its trigger and the jobs it runs in order."""

    id: str
    trigger: BaseTrigger
    jobs: tuple[str, ...]
    label: str  # English; pages translate it
    misfire_grace_time: int  # seconds late a run may still start (after a restart, say)


def schedule() -> list[Slot]:
    """The scheduled entries of the registered jobs, from their declarations (central.core.jobs):
    the nightly chain at 04:00 (after the daylight-saving hour) running its jobs in their order,
    and each job with a cron trigger of its own. A job on request only is not scheduled."""
    registered = ordered_jobs()
    slots = []
    chain = tuple(job.name for job in registered if job.nightly)
    if chain:
        trigger = CronTrigger(timezone=TIMEZONE, hour=4, minute=0)
        slots.append(Slot(NIGHTLY_CHAIN_ID, trigger, chain, NIGHTLY_LABEL, 3 * 3600))
    for job in registered:
        if job.schedule is not None:
            trigger = CronTrigger(timezone=TIMEZONE, **job.schedule.cron)
            slots.append(
                Slot(job.name, trigger, (job.name,), job.schedule.label, job.schedule.grace)
            )
    return slots


def slot_for(name: str) -> Slot | None:
    """The scheduled entry that runs job `name`, if any."""
    return next((slot for slot in schedule() if name in slot.jobs), None)


def next_run_at(name: str, now: datetime) -> datetime | None:
    """When the scheduler next starts job `name` (for a chain member: when the chain starts)."""
    slot = slot_for(name)
    return slot.trigger.get_next_fire_time(None, now) if slot else None


def run_slot(app: Flask, names: tuple[str, ...]) -> None:
    """Run the slot's jobs one after the other; each job is safe on its own, so a failure is
    recorded and the chain goes on."""
    for name in names:
        with app.app_context():
            try:
                run_job(name)
            except Exception:
                log.exception("Scheduled job %s could not be run", name)


def poll_queued(app: Flask) -> None:
    """Run the coordinators' queued "run now" requests."""
    with app.app_context():
        try:
            run_queued()
        except Exception:
            log.exception("Queued job runs could not be polled")


def build_scheduler(app: Flask, scheduler_cls: type[BaseScheduler]) -> BaseScheduler:
    """A scheduler with every registered job's slot and the poll for queued requests."""
    scheduler = scheduler_cls(
        timezone=TIMEZONE,
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    for slot in schedule():
        scheduler.add_job(
            run_slot,
            trigger=slot.trigger,
            args=(app, slot.jobs),
            id=slot.id,
            name=" → ".join(slot.jobs),
            misfire_grace_time=slot.misfire_grace_time,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )
    scheduler.add_job(
        poll_queued,
        trigger=IntervalTrigger(seconds=POLL_SECONDS, timezone=TIMEZONE),
        args=(app,),
        id=POLL_JOB_ID,
        name="queued run requests",
        misfire_grace_time=POLL_SECONDS * 2,
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    return scheduler


def run_scheduler(app: Flask) -> None:
    """`central scheduler`: block, running the schedule until stopped (SIGINT or SIGTERM)."""
    import signal

    with app.app_context():
        close_interrupted_runs()
    scheduler = build_scheduler(app, BlockingScheduler)

    def stop(_signum: int, _frame: object) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    for job in scheduler.get_jobs():
        log.info("Scheduled %s (%s): %s", job.id, job.name, job.trigger)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


_embedded: BackgroundScheduler | None = None


def start_embedded_scheduler(app: Flask) -> BackgroundScheduler:
    """The scheduler in a background thread of this process (`central demo` only)."""
    global _embedded
    if app.testing:
        raise RuntimeError("The scheduler never starts in tests.")
    if _embedded is None:
        with app.app_context():
            close_interrupted_runs()
        _embedded = build_scheduler(app, BackgroundScheduler)
        _embedded.start()
        atexit.register(_embedded.shutdown, wait=False)
    return _embedded

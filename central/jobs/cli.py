"""`central jobs list`, `central jobs run NAME [--today]` and `central scheduler`."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from central.jobs.models import JobRun


def job_run_json(run: JobRun) -> dict:
    """A job run as the API shows it."""
    from central.jobs.schemas import JobRunSchema

    return JobRunSchema().dump(run)


@click.group(help="List and run the scheduled jobs.")
def jobs() -> None:
    pass


@jobs.command("list", help="Each job: its trigger, its last run and its next run.")
@with_appcontext
def list_command() -> None:
    from central.core.types import utcnow
    from central.jobs.queries import last_runs
    from central.jobs.registry import ordered_jobs
    from central.jobs.runner import close_interrupted_runs
    from central.jobs.scheduler import TIMEZONE, next_run_at, slot_for

    close_interrupted_runs()  # a run a killed process left `running` is shown as failed
    now = utcnow()
    registered = ordered_jobs()
    if not registered:
        click.echo("No jobs are registered.")
        return
    last = last_runs()
    rows = [("JOB", "TRIGGER", "LAST RUN", "NEXT RUN")]
    for job in registered:
        slot = slot_for(job.name)
        run = last.get(job.name)
        last_text = "never"
        if run is not None:
            when = run.finished_at or run.started_at or run.requested_at
            last_text = f"{run.status} {_local(when, TIMEZONE)}"
        upcoming = next_run_at(job.name, now)
        rows.append(
            (
                job.name,
                slot.label if slot else "on request",
                last_text,
                _local(upcoming, TIMEZONE) if upcoming else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _local(moment: datetime, zone) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _parse_day(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use the form YYYY-MM-DD") from None


@jobs.command("run", help="Run a job now (under its lock) and print the job run as JSON.")
@click.argument("name")
@click.option(
    "--today",
    callback=_parse_day,
    metavar="YYYY-MM-DD",
    help="Move the business clock (development and testing only).",
)
@with_appcontext
def run_command(name: str, today: date | None) -> None:
    from central.core.errors import DomainError
    from central.jobs.models import JobStatus
    from central.jobs.registry import UnknownJob, jobs
    from central.jobs.runner import run_job

    if name not in jobs():
        known = ", ".join(sorted(jobs())) or "none"
        raise click.BadParameter(f"unknown job {name!r} (registered: {known})", param_hint="NAME")
    try:
        run = run_job(name, today=today)
    except UnknownJob as exc:
        raise click.BadParameter(exc.message, param_hint="NAME") from None
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(json.dumps(job_run_json(run), indent=2))
    if run.status == JobStatus.FAILED:
        sys.exit(1)


@click.command(help="Run the job scheduler in this process (production: one such process).")
@with_appcontext
def scheduler() -> None:
    import logging

    from central.jobs.scheduler import run_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    click.echo("Scheduler started (Europe/Brussels); Ctrl+C stops.")
    run_scheduler(current_app._get_current_object())

"""Pages: the coordinator's jobs page (schedule, last and next runs, queued requests, history)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from central.accounts.models import Role
from central.core.formatting import format_number
from central.core.pagination import paginate
from central.core.permissions import require_role
from central.core.types import utcnow
from central.extensions import db
from central.jobs import services
from central.jobs.forms import RunNowForm
from central.jobs.queries import counts_in_reach, last_runs, queued_counts, runs_query
from central.jobs.registry import jobs, ordered_jobs
from central.jobs.scheduler import next_run_at, slot_for
from central.labels import JOB_COUNT_LABELS

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

JOB_STATUS_LABELS = {
    "queued": _l("Queued"),
    "running": _l("Running"),
    "succeeded": _l("Succeeded"),
    "failed": _l("Failed"),
    "skipped": _l("Skipped"),
}


@bp.context_processor
def helpers() -> dict:
    def job_status_label(status: str) -> str:
        return str(JOB_STATUS_LABELS.get(status, status))

    def counts_text(counts: dict) -> str:
        counts = counts_in_reach(counts, current_user)
        return " · ".join(
            f"{JOB_COUNT_LABELS.get(key, key.replace('_', ' '))}: {_count_value(value)}"
            for key, value in counts.items()
        )

    return {"job_status_label": job_status_label, "counts_text": counts_text}


def _count_value(value: Any) -> str:
    """A count in the reader's number format; a list (round ids, statement numbers) as its items."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return format_number(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


@bp.route("")
@login_required
def index():
    require_role(current_user, Role.COORDINATOR)
    now = utcnow()
    last = last_runs()
    queued = queued_counts()
    rows = [
        {
            "job": job,
            "slot": slot_for(job.name),
            "next_run": next_run_at(job.name, now),
            "last": last.get(job.name),
            "queued": queued.get(job.name, 0),
        }
        for job in ordered_jobs()
    ]
    job_filter = request.args.get("job") or ""
    page = paginate(runs_query(job=job_filter or None))
    return render_template(
        "jobs/index.html", rows=rows, page=page, form=RunNowForm(), job_filter=job_filter
    )


@bp.route("/<name>/run", methods=["POST"])
@login_required
def run_now(name: str):
    require_role(current_user, Role.COORDINATOR)
    if name not in jobs():
        abort(404)
    form = RunNowForm()
    if not form.validate_on_submit():
        abort(400)
    _run, created = services.queue_run(name, actor=current_user)
    db.session.commit()
    if created:
        flash(_("%(job)s is queued; it starts within seconds.", job=name), "success")
    else:
        flash(_("%(job)s was already queued.", job=name), "info")
    return redirect(url_for("jobs.index"))

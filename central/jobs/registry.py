"""The jobs Central runs on a schedule or on request, by stable id (SPEC section 4).

A job is a module-level function `fn(session, today) -> counts` that is idempotent and commits
once or in resumable batches. Only implemented jobs are listed here; each domain adds its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from central.core.errors import N_, NotFound

JobFunction = Callable[[Session, date], dict[str, Any]]

# Every id the platform knows, in the order the jobs page shows them (SPEC section 4).
JOB_IDS = (
    "framework-status",
    "generate-rounds",
    "assign-rounds",
    "mark-overdue",
    "issue-statements",
    "send-digests",
    "purge-photos",
    "send-mail",
)


@dataclass(frozen=True)
class Job:
    name: str
    fn: JobFunction
    description: Any  # a lazily translated text


class UnknownJob(NotFound):
    """No job is registered under that name (404)."""


_JOBS: dict[str, Job] | None = None


def _implemented_jobs() -> list[Job]:
    """The jobs that exist; imported here to keep the import graph flat."""
    from flask_babel import lazy_gettext as _l

    from central.core import mail
    from central.fieldwork import digests, photos
    from central.planning import jobs as planning
    from central.reports import services as reports

    return [
        Job(
            "framework-status",
            planning.framework_status,
            _l("Expires ended frameworks; recomputes exhausted and the 80/90/100 % alerts."),
        ),
        Job(
            "generate-rounds",
            planning.generate_rounds,
            _l("Plans due assets and open needs into routed rounds."),
        ),
        Job(
            "assign-rounds",
            planning.assign_rounds,
            _l("Gives unassigned rounds to providers with capacity and tells them."),
        ),
        Job(
            "mark-overdue",
            planning.mark_overdue,
            _l("Flags overdue rounds; accepts completed rounds after 14 days."),
        ),
        Job(
            "issue-statements",
            reports.issue_statements,
            _l("Issues last month's statements: one per framework, member and provider."),
        ),
        Job(
            "send-digests",
            digests.send_digests,
            _l("E-mails each user what changed for them since their last digest."),
        ),
        Job(
            "purge-photos",
            photos.purge_photos,
            _l("Deletes photos older than the retention the coordinator set (default 24 months)."),
        ),
        Job(
            "send-mail",
            mail.send_pending_mail,
            _l("Sends again the e-mails that could not be sent at once; gives up after 8 tries."),
        ),
    ]


def jobs() -> dict[str, Job]:
    """Registered jobs by id (a test may add its own job to this mapping)."""
    global _JOBS
    if _JOBS is None:
        _JOBS = {job.name: job for job in _implemented_jobs()}
    return _JOBS


def ordered_jobs() -> list[Job]:
    """Registered jobs in the spec's order; others (tests) after them by name."""
    known = jobs()
    rank = {name: i for i, name in enumerate(JOB_IDS)}
    return sorted(known.values(), key=lambda job: (rank.get(job.name, len(rank)), job.name))


def get_job(name: str) -> Job:
    """The job registered as `name`, or UnknownJob (404)."""
    job = jobs().get(name)
    if job is None:
        raise UnknownJob(N_("There is no job called %(name)r."), params={"name": name})
    return job

"""The jobs Central runs on a schedule or on request, by stable id (SPEC section 4).

Each job is declared once, beside its code, with `central.core.jobs.job`; this registry imports the
modules that declare jobs and collects them. A module that declares a job is listed in
`JOB_MODULES` (a test walks the code and fails on a declaration outside them).
"""

from __future__ import annotations

import importlib

from central.core.errors import N_, NotFound
from central.core.jobs import Job, JobFunction, declared_jobs

__all__ = [
    "JOB_MODULES",
    "Job",
    "JobFunction",
    "UnknownJob",
    "declared",
    "get_job",
    "jobs",
    "ordered_jobs",
]

JOB_MODULES = (
    "central.planning.jobs",
    "central.reports.services",
    "central.fieldwork.digests",
    "central.fieldwork.photos",
    "central.core.mail",
)


class UnknownJob(NotFound):
    """No job is registered under that name (404)."""


_JOBS: dict[str, Job] | None = None


def declared() -> dict[str, Job]:
    """Every job the code declares, by id (the modules of JOB_MODULES imported)."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    return declared_jobs()


def jobs() -> dict[str, Job]:
    """Registered jobs by id: the declared ones (a test may add its own job to this mapping)."""
    global _JOBS
    if _JOBS is None:
        _JOBS = declared()
    return _JOBS


def ordered_jobs() -> list[Job]:
    """Registered jobs in the spec's order (their declared `order`); others (tests) after them."""
    return sorted(jobs().values(), key=lambda job: (job.order, job.name))


def get_job(name: str) -> Job:
    """The job registered as `name`, or UnknownJob (404)."""
    job = jobs().get(name)
    if job is None:
        raise UnknownJob(N_("There is no job called %(name)r."), params={"name": name})
    return job

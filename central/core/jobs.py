"""How a job is declared: once, beside its code (SPEC section 4).

    @job("generate-rounds", order=2, description=_l("Plans ..."), nightly=True)
    def generate_rounds(session, today): ...

    @job("send-digests", order=6, description=_l("..."), cron={"hour": 7, "minute": 0},
         label=N_("Daily 07:00"), grace=3 * 3600)
    def send_digests(session, today): ...

A job is a module-level function `fn(session, today) -> counts` that is idempotent and commits once
or in resumable batches. `order` is its place on the jobs page (the spec's order); a job is run on
request only, in the nightly chain (after the daylight-saving hour, one after the other in `order`)
or on its own cron trigger in Brussels time. `central.jobs.registry` collects the declarations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

JobFunction = Callable[[Session, date], dict[str, Any]]


@dataclass(frozen=True)
class Schedule:
    """When the scheduler starts a job on its own: cron fields in Brussels time, the label pages
    show (English, translated where shown) and how late (seconds) a missed run may still start."""

    cron: Mapping[str, Any]
    label: str
    grace: int


@dataclass(frozen=True)
class Job:
    name: str
    fn: JobFunction
    description: Any  # a lazily translated text
    order: int = 1_000
    nightly: bool = False
    schedule: Schedule | None = None


_DECLARED: dict[str, Job] = {}


def job(
    name: str,
    *,
    order: int,
    description: Any,
    nightly: bool = False,
    cron: Mapping[str, Any] | None = None,
    label: str | None = None,
    grace: int | None = None,
) -> Callable[[JobFunction], JobFunction]:
    """Declare the decorated function as the job `name` (see the module)."""
    if nightly and cron is not None:
        raise ValueError(f"job {name!r}: nightly or its own cron trigger, not both")
    if cron is not None and (label is None or grace is None):
        raise ValueError(f"job {name!r}: a cron trigger needs its label and grace")

    def declare(fn: JobFunction) -> JobFunction:
        if name in _DECLARED and _DECLARED[name].fn is not fn:
            raise ValueError(f"job {name!r} is declared twice")
        schedule = Schedule(dict(cron), label, grace) if cron is not None else None
        _DECLARED[name] = Job(name, fn, description, order, nightly, schedule)
        return fn

    return declare


def declared_jobs() -> dict[str, Job]:
    """Every job declared by the modules imported so far (the registry imports them all)."""
    return dict(_DECLARED)

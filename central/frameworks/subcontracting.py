"""Social-economy subcontractors of an award (SPEC 7.3, Ghent): the lead coordinator records
which recognised social-economy provider does which of the lot's task types for the main
contractor, and ends a subcontracting. A task type is given to at most one subcontractor per
award at a time. Bad input answers 400/404/409 and writes nothing; every change is audited.

The reach this opens (the subcontractor's crews see and record those tasks, without prices) is
decided in `central.core.permissions`; the figures it feeds are in `central.reports.builders`
and `progress` below.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from central.core import audit
from central.core.clock import today
from central.core.errors import N_, Conflict, Message, NotFound, ValidationError
from central.core.fields import load
from central.core.types import utcnow
from central.extensions import db
from central.frameworks.models import (
    Award,
    AwardSubcontractor,
    FrameworkStatus,
    SubcontractedTaskType,
    TaskType,
)
from central.frameworks.schemas import SubcontractorSchema
from central.frameworks.services import (
    _flush_unique,
    _require_lead_coordinator,
    lock_framework,
)
from central.organisations.models import RECOGNISED_SOCIAL_ECONOMY, Organisation, OrganisationKind

MAX_TASK_TYPES = 200


def _require_running_or_draft(award: Award) -> None:
    if award.lot.framework.status in (FrameworkStatus.EXPIRED, FrameworkStatus.TERMINATED):
        raise Conflict(
            N_("This framework has ended; its subcontracting can no longer change."),
            fields={"status": award.lot.framework.status},
        )


def _task_types(award: Award, raw: Any, errors: dict[str, Any]) -> list[TaskType]:
    """The lot's task types named by code (in any case); every unknown code is named."""
    if raw in (None, "", []):
        errors["task_types"] = N_("Choose at least one task type of the lot.")
        return []
    if not isinstance(raw, list) or not all(isinstance(code, str) for code in raw):
        errors["task_types"] = N_("Give the task types as a list of their codes.")
        return []
    if len(raw) > MAX_TASK_TYPES:
        errors["task_types"] = N_("Too many task types.")
        return []
    by_code = {t.code: t for t in award.lot.task_types}
    codes = list(dict.fromkeys(code.strip().lower() for code in raw))
    unknown = [code for code in codes if code not in by_code]
    if unknown:
        errors["task_types"] = Message(
            N_("Not a task type of this lot: %(codes)s."), codes=", ".join(unknown[:10])
        )
        return []
    return [by_code[code] for code in codes]


def add_subcontractor(award: Award, values: dict[str, Any], *, actor: Any) -> AwardSubcontractor:
    """Record a social-economy subcontractor of `award` and the task types it does, from today.
    It must be a provider other than the main contractor, recognised today (the first day of
    its work); a task type of the lot already given to a running subcontractor of this award
    answers 409."""
    framework = award.lot.framework
    _require_lead_coordinator(framework, actor)
    _require_running_or_draft(award)
    loaded, errors = load(SubcontractorSchema(only=("organisation_id",)), values)
    organisation_id = loaded.get("organisation_id")
    task_types = _task_types(award, values.get("task_types"), errors)
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    if organisation_id and organisation is None:
        if errors:
            errors["organisation_id"] = N_("No such organisation.")
        else:
            raise NotFound(
                N_("No such organisation."), fields={"organisation_id": N_("No such organisation.")}
            )
    day = today()
    if organisation is not None:
        if organisation.kind != OrganisationKind.PROVIDER:
            errors["organisation_id"] = N_("Choose a provider organisation.")
        elif organisation.id == award.provider_id:
            errors["organisation_id"] = N_("The main contractor cannot be its own subcontractor.")
        elif not organisation.is_recognised_on(day):
            errors["organisation_id"] = Message(
                N_(
                    "%(name)s has no social-economy recognition valid today; only a recognised "
                    "custom-work company, LDE or social integration enterprise can be a "
                    "social-economy subcontractor."
                ),
                name=organisation.name,
            )
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    lock_framework(framework)  # one writer of this framework's subcontracting at a time
    taken = {
        row.task_type_id: row.subcontractor.organisation.name
        for row in db.session.scalars(
            select(SubcontractedTaskType).where(
                SubcontractedTaskType.award_id == award.id,
                SubcontractedTaskType.active,
                SubcontractedTaskType.task_type_id.in_([t.id for t in task_types]),
            )
        )
    }
    if taken:
        names = [f"{t.name} ({taken[t.id]})" for t in task_types if t.id in taken]
        raise Conflict(
            N_("Already subcontracted under this award: %(task_types)s. End that first."),
            fields={"task_types": N_("A task type has one subcontractor at a time.")},
            params={"task_types": ", ".join(names)},
        )
    status = organisation.social_economy_status_on(day)
    sub = AwardSubcontractor(
        award_id=award.id,
        organisation_id=organisation.id,
        social_economy_status=status,
        started_on=day,
        created_by_id=getattr(actor, "id", None),
    )
    sub.task_types = [
        SubcontractedTaskType(award_id=award.id, task_type_id=t.id, active=True) for t in task_types
    ]
    db.session.add(sub)
    _flush_unique(
        N_("A task type has one subcontractor at a time."),
        "task_types",
    )
    audit.record(
        "award.subcontractor_added",
        award,
        actor=actor,
        subcontractor_id=sub.id,
        organisation_id=organisation.id,
        social_economy_status=status,
        task_types=[t.code for t in task_types],
        started_on=day,
    )
    return sub


def end_subcontractor(sub: AwardSubcontractor, *, actor: Any) -> AwardSubcontractor:
    """End a running subcontracting today: its crews no longer reach the tasks, the main
    contractor does them again; the work done and its figures stay."""
    award = sub.award
    _require_lead_coordinator(award.lot.framework, actor)
    if sub.ended_on is not None:
        raise Conflict(N_("This subcontracting has already ended."))
    lock_framework(award.lot.framework)
    sub.ended_on = today()
    sub.ended_at = utcnow()
    sub.ended_by_id = getattr(actor, "id", None)
    for row in sub.task_types:
        row.active = False
    db.session.flush()
    audit.record(
        "award.subcontractor_ended",
        award,
        actor=actor,
        subcontractor_id=sub.id,
        organisation_id=sub.organisation_id,
        ended_on=sub.ended_on,
    )
    return sub


def subcontractors_of(award: Award) -> list[AwardSubcontractor]:
    """An award's subcontractings, running ones first, then by start."""
    return list(
        db.session.scalars(
            select(AwardSubcontractor)
            .where(AwardSubcontractor.award_id == award.id)
            .order_by(AwardSubcontractor.ended_on.is_not(None), AwardSubcontractor.id)
        )
    )


def recognised(status: str | None) -> bool:
    return status in RECOGNISED_SOCIAL_ECONOMY

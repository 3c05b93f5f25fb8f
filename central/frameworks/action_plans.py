"""The main contractor's social action plan per award (SPEC 7.3, Ghent: "sociale criteria
werk") and an award's social progress.

The provider files its plan (actions: work experience, hiring, training, subcontracting; a
target in persons or hours; a due date not in the past) and may file it again until the lead
coordinator approves it. Then it reports, per action and quarter, what it realised, with
evidence files checked like photos (at most 10 MB, an image or a PDF; larger answers 413). A
report or a file is never edited: a new one of the same quarter supersedes the earlier, which
is kept with its uploader and date. An action is late when its due date has passed and its
realised figure (the sum of its quarters' latest reports) is below its target.

An award's progress sets its lot's social clause against what recorded work and labour
realised (never a typed total): the share of the award's accepted value done by recognised
social-economy subcontractors, or the target-group hours on the award's rounds (the main
contractor's and its subcontractors') per EUR 10,000 of that value.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import case, func, select

from central.core import audit, storage
from central.core.clock import today
from central.core.errors import N_, Conflict, Forbidden, NotFound, ValidationError
from central.core.fields import load, value_of
from central.core.roles import Role
from central.core.types import utcnow
from central.extensions import db
from central.frameworks.models import (
    MAX_ACTIONS,
    ActionEvidence,
    ActionKind,
    ActionPlan,
    ActionPlanStatus,
    ActionRealisation,
    ActionUnit,
    Award,
    FrameworkStatus,
    PlanAction,
    SocialClauseKind,
)
from central.frameworks.reach import leads_framework
from central.frameworks.schemas import REALISED, PlanActionSchema, RealisationSchema
from central.frameworks.subcontracting import subcontractors_of

HUNDRED = Decimal("100")
TEN_THOUSAND = Decimal("10000")
CENT = Decimal("0.01")
PDF_MAGIC = b"%PDF-"
IMAGE_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


# --- who ------------------------------------------------------------------------------------


def _require_main_contractor(award: Award, actor: Any) -> None:
    if getattr(actor, "role", None) != Role.PROVIDER or actor.organisation_id != award.provider_id:
        raise Forbidden(N_("Only the provider of this award files and reports its action plan."))


def _require_lead(award: Award, actor: Any) -> None:
    if not leads_framework(actor, award.lot.framework):
        raise Forbidden(N_("Only a coordinator of the lead authority can do this."))


def _require_not_ended(award: Award) -> None:
    if award.lot.framework.status in (FrameworkStatus.EXPIRED, FrameworkStatus.TERMINATED):
        raise Conflict(N_("This framework has ended; its action plans can no longer change."))


# --- input ----------------------------------------------------------------------------------


def clean_actions(raw: Any) -> list[dict[str, Any]]:
    """The plan's actions, every error at once under `actions.<n>.<field>` (n from 0)."""
    errors: dict[str, Any] = {}
    if not isinstance(raw, list) or not raw:
        raise ValidationError(
            N_("Give at least one action."), fields={"actions": N_("Give at least one action.")}
        )
    if len(raw) > MAX_ACTIONS:
        raise ValidationError(
            N_("At most %(limit)d actions."),
            fields={"actions": N_("At most %(limit)d actions.")},
            params={"limit": MAX_ACTIONS},
        )
    cleaned = []
    for n, item in enumerate(raw):
        prefix = f"actions.{n}."
        if not isinstance(item, dict):
            errors[f"actions.{n}"] = N_("An action is an object.")
            continue
        loaded, found = load(PlanActionSchema(), item)
        errors.update({prefix + name: message for name, message in found.items()})
        kind, unit, target = loaded.get("kind"), loaded.get("unit"), loaded.get("target")
        due, description = loaded.get("due_date"), loaded.get("description", "")
        if unit == ActionUnit.PERSONS and target is not None and not _whole(target):
            errors[prefix + "target"] = N_("Persons are counted whole.")
        if due is not None and due < today():
            errors[prefix + "due_date"] = N_("The due date cannot be in the past.")
        cleaned.append(
            {
                "kind": kind,
                "unit": unit,
                "target": target,
                "due_date": due,
                "description": description,
            }
        )
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return cleaned


# --- the plan ---------------------------------------------------------------------------------


def plan_of(award: Award) -> ActionPlan | None:
    return db.session.scalar(select(ActionPlan).where(ActionPlan.award_id == award.id))


def file_plan(award: Award, values: dict[str, Any], *, actor: Any) -> tuple[ActionPlan, bool]:
    """File (or, until it is approved, file again) the award's action plan. Returns the plan
    and whether it is new."""
    _require_main_contractor(award, actor)
    _require_not_ended(award)
    actions = clean_actions(values.get("actions"))
    plan = plan_of(award)
    if plan is not None and plan.status == ActionPlanStatus.APPROVED:
        raise Conflict(N_("The coordinator approved this plan; it can no longer change."))
    created = plan is None
    if plan is None:
        plan = ActionPlan(award_id=award.id, status=ActionPlanStatus.SUBMITTED)
        db.session.add(plan)
    plan.actions = [PlanAction(**action) for action in actions]
    plan.submitted_at = utcnow()
    plan.submitted_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(
        "action_plan.filed" if created else "action_plan.refiled",
        plan,
        actor=actor,
        award_id=award.id,
        actions=actions,
    )
    return plan, created


def approve_plan(plan: ActionPlan, *, actor: Any) -> ActionPlan:
    _require_lead(plan.award, actor)
    _require_not_ended(plan.award)
    if plan.status == ActionPlanStatus.APPROVED:
        raise Conflict(N_("This plan is already approved."))
    plan.status = ActionPlanStatus.APPROVED
    plan.approved_at = utcnow()
    plan.approved_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record("action_plan.approved", plan, actor=actor, award_id=plan.award_id)
    return plan


def _whole(number: Decimal) -> bool:
    return number == number.to_integral_value()


def _whole_number(value: Any, name: str, errors: dict, message: str) -> int | None:
    if isinstance(value, bool) or value in (None, ""):
        errors[name] = message
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        errors[name] = message
        return None


def _quarter(values: dict[str, Any], errors: dict, plan: ActionPlan) -> tuple[int, int] | None:
    year = _whole_number(values.get("year"), "year", errors, N_("Enter a year."))
    quarter = _whole_number(
        values.get("quarter"), "quarter", errors, N_("Choose a quarter from 1 to 4.")
    )
    if year is None or quarter is None:
        return None
    if not 1 <= quarter <= 4:
        errors["quarter"] = N_("Choose a quarter from 1 to 4.")
        return None
    if (year, quarter) > quarter_of(today()):
        errors["quarter"] = N_("The quarter has not begun yet.")
        return None
    if (year, quarter) < quarter_of(plan.award.lot.framework.start_date):
        errors["quarter"] = N_("The quarter is before the framework began.")
        return None
    return year, quarter


def _action_for_report(action: PlanAction, actor: Any) -> ActionPlan:
    plan = action.plan
    _require_main_contractor(plan.award, actor)
    _require_not_ended(plan.award)
    if plan.status != ActionPlanStatus.APPROVED:
        raise Conflict(N_("Report realisation once the coordinator has approved the plan."))
    return plan


def report_realisation(
    action: PlanAction, values: dict[str, Any], *, actor: Any
) -> ActionRealisation:
    """The provider reports what it realised of an action in a quarter; a report of the same
    quarter again supersedes the earlier one (both kept)."""
    plan = _action_for_report(action, actor)
    errors: dict[str, Any] = {}
    quarter = _quarter(values, errors, plan)
    realised = value_of(REALISED, values.get("realised"), "realised", errors)
    loaded, found = load(RealisationSchema(only=("note",)), values)
    errors.update(found)
    note = loaded.get("note", "")
    if action.unit == ActionUnit.PERSONS and realised is not None and not _whole(realised):
        errors["realised"] = N_("Persons are counted whole.")
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    year, number = quarter
    earlier = db.session.scalar(
        select(ActionRealisation).where(
            ActionRealisation.action_id == action.id,
            ActionRealisation.year == year,
            ActionRealisation.quarter == number,
            ActionRealisation.superseded_by_id.is_(None),
        )
    )
    row = ActionRealisation(
        action_id=action.id,
        year=year,
        quarter=number,
        realised=realised,
        note=note,
        reported_by_id=getattr(actor, "id", None),
    )
    db.session.add(row)
    db.session.flush()
    if earlier is not None:
        earlier.superseded_by_id = row.id
    audit.record(
        "action_plan.realisation_reported",
        plan,
        actor=actor,
        action_id=action.id,
        quarter=quarter_label(year, number),
        realised=realised,
        supersedes=earlier.id if earlier is not None else None,
    )
    db.session.flush()
    return row


_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def _filename(raw: str | None) -> str:
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .") or "bewijs"
    return name[-200:]


def _file_type(data: bytes) -> str | None:
    if data.startswith(PDF_MAGIC):
        return "application/pdf"
    for magic, content_type in IMAGE_TYPES.items():
        if data.startswith(magic):
            return content_type
    return None


def add_evidence(
    action: PlanAction, values: dict[str, Any], data: bytes, filename: str | None, *, actor: Any
) -> ActionEvidence:
    """Keep an evidence file of an action's quarter (the upload, at most 10 MB, was read by
    `photos.read_upload`): a PDF as it is, a JPEG or PNG decoded and stored as the photos are
    (its location removed). `supersedes`: the id of an earlier file of the same action that
    this one replaces (it stays, marked superseded)."""
    from central.fieldwork import photos

    plan = _action_for_report(action, actor)
    errors: dict[str, Any] = {}
    quarter = _quarter(values, errors, plan)
    supersedes = values.get("supersedes")
    earlier = None
    if supersedes not in (None, ""):
        try:
            earlier = db.session.get(ActionEvidence, int(supersedes))
        except (TypeError, ValueError):
            earlier = None
        if earlier is None or earlier.action_id != action.id:
            errors["supersedes"] = N_("Not an evidence file of this action.")
        elif db.session.scalar(
            select(ActionEvidence.id).where(ActionEvidence.supersedes_id == earlier.id)
        ):
            errors["supersedes"] = N_("That file is already superseded.")
    if not data:
        errors["file"] = N_("The file is empty.")
        content_type = None
    else:
        content_type = _file_type(data)
        if content_type is None:
            errors["file"] = N_("Send a PDF, JPEG or PNG file.")
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    if content_type != "application/pdf":
        processed = photos.process_image(data, keep_location=False)
        data, content_type = processed.data, processed.content_type
    extension = "pdf" if content_type == "application/pdf" else "jpg"
    now = utcnow()
    key = f"evidence/{now:%Y/%m}/{uuid.uuid4().hex}.{extension}"
    storage.store(db.session, key, data, content_type)
    year, number = quarter
    evidence = ActionEvidence(
        action_id=action.id,
        year=year,
        quarter=number,
        filename=_filename(filename),
        storage_key=key,
        content_type=content_type,
        size_bytes=len(data),
        supersedes_id=earlier.id if earlier is not None else None,
        uploaded_by_id=getattr(actor, "id", None),
        uploaded_at=now,
    )
    db.session.add(evidence)
    db.session.flush()
    audit.record(
        "action_plan.evidence_added",
        plan,
        actor=actor,
        action_id=action.id,
        evidence_id=evidence.id,
        quarter=quarter_label(year, number),
        supersedes=evidence.supersedes_id,
        size_bytes=len(data),
    )
    return evidence


# --- progress ---------------------------------------------------------------------------------


@dataclass
class ActionProgress:
    action: PlanAction
    realised: Decimal
    quarters: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[ActionEvidence] = field(default_factory=list)

    @property
    def late(self) -> bool:
        return self.action.due_date < today() and self.realised < self.action.target

    @property
    def percent(self) -> Decimal:
        return (self.realised * HUNDRED / self.action.target).quantize(CENT, ROUND_HALF_UP)


def actions_progress(plan: ActionPlan) -> list[ActionProgress]:
    """Each action's realised figure (the sum of its quarters' latest reports), its quarters
    and its evidence files (superseded ones too, marked)."""
    ids = [a.id for a in plan.actions]
    reports: dict[int, list[ActionRealisation]] = {}
    for row in db.session.scalars(
        select(ActionRealisation)
        .where(ActionRealisation.action_id.in_(ids), ActionRealisation.superseded_by_id.is_(None))
        .order_by(ActionRealisation.year, ActionRealisation.quarter)
    ):
        reports.setdefault(row.action_id, []).append(row)
    files: dict[int, list[ActionEvidence]] = {}
    for row in db.session.scalars(
        select(ActionEvidence)
        .where(ActionEvidence.action_id.in_(ids))
        .order_by(ActionEvidence.year, ActionEvidence.quarter, ActionEvidence.id)
    ):
        files.setdefault(row.action_id, []).append(row)
    result = []
    for action in plan.actions:
        rows = reports.get(action.id, [])
        result.append(
            ActionProgress(
                action,
                sum((r.realised for r in rows), Decimal("0.00")),
                [
                    {
                        "quarter": quarter_label(r.year, r.quarter),
                        "realised": r.realised,
                        "note": r.note,
                        "reported_at": r.reported_at,
                    }
                    for r in rows
                ],
                files.get(action.id, []),
            )
        )
    return result


def superseded_ids(evidence: list[ActionEvidence]) -> set[int]:
    return {e.supersedes_id for e in evidence if e.supersedes_id is not None}


def clause_progress(award: Award) -> dict[str, Any] | None:
    """The lot's social clause against what the award's recorded work and labour realised."""
    from central.fieldwork.models import LabourEntry
    from central.planning.models import Round, Task
    from central.reports.builders import billed_task, subcontracted_social

    lot = award.lot
    if lot.social_clause_kind is None:
        return None
    of_award = (Round.lot_id == lot.id) & (Round.provider_id == award.provider_id)
    cents = func.coalesce(func.sum(func.round(Task.amount * 100)), 0)
    accepted_cents, subcontracted_cents = db.session.execute(
        select(
            cents,
            func.coalesce(
                func.sum(
                    case((subcontracted_social(award), func.round(Task.amount * 100)), else_=0)
                ),
                0,
            ),
        )
        .select_from(Task)
        .join(Round, Round.id == Task.round_id)
        .where(of_award, billed_task())
    ).one()
    accepted = (Decimal(int(accepted_cents)) / HUNDRED).quantize(CENT)
    subcontracted = (Decimal(int(subcontracted_cents)) / HUNDRED).quantize(CENT)
    hours_cents = db.session.scalar(
        select(func.coalesce(func.sum(func.round(LabourEntry.target_group_hours * 100)), 0))
        .join(Round, Round.id == LabourEntry.round_id)
        .where(of_award)
    )
    hours = (Decimal(int(hours_cents)) / HUNDRED).quantize(CENT)
    if lot.social_clause_kind == SocialClauseKind.SUBCONTRACTING_SHARE:
        realised = (
            (subcontracted * HUNDRED / accepted).quantize(CENT, ROUND_HALF_UP) if accepted else None
        )
    else:
        realised = (
            (hours * TEN_THOUSAND / accepted).quantize(CENT, ROUND_HALF_UP) if accepted else None
        )
    return {
        "kind": lot.social_clause_kind,
        "target": lot.social_clause_target,
        "realised": realised,
        "met": None if realised is None else realised >= lot.social_clause_target,
        "accepted_value": accepted,
        "subcontracted_value": subcontracted,
        "target_group_hours": hours,
    }


def progress(award: Award, *, with_plan: bool = True) -> dict[str, Any]:
    """An award's social progress: its clause against realised, its subcontractors, its plan
    with each action's target against realised and late actions flagged."""
    plan = plan_of(award) if with_plan else None
    actions = actions_progress(plan) if plan is not None else []
    return {
        "award": award,
        "clause": clause_progress(award),
        "subcontractors": subcontractors_of(award),
        "plan": plan,
        "actions": actions,
        "late": [a for a in actions if a.late],
    }


def alert_late_actions(session: Any, day: date) -> dict[str, Any]:
    """Mail, once per action, the lead coordinators and the provider of each approved plan
    with actions whose due date passed with less realised than planned (run by
    framework-status each night). Idempotent: an action is alerted once (`late_alerted_at`)."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from central.core.formatting import format_day, format_number
    from central.core.mail import queue_mail
    from central.frameworks.notifications import recipients

    plans = session.scalars(
        select(ActionPlan)
        .join(PlanAction, PlanAction.plan_id == ActionPlan.id)
        .where(
            ActionPlan.status == ActionPlanStatus.APPROVED,
            PlanAction.due_date < day,
            PlanAction.late_alerted_at.is_(None),
        )
        .distinct()
        .order_by(ActionPlan.id)
    ).all()
    alerted = 0
    now = utcnow()
    for plan in plans:
        late = [
            item
            for item in actions_progress(plan)
            if item.action.late_alerted_at is None
            and item.action.due_date < day
            and item.realised < item.action.target
        ]
        if not late:
            continue
        award = plan.award
        framework = award.lot.framework
        people = recipients(framework.lead_organisation_id, ["coordinator"]) + recipients(
            award.provider_id, [Role.PROVIDER]
        )
        for email, locale in people:
            with force_locale(locale):
                subject = _(
                    "Late social actions: %(provider)s, %(framework)s lot %(lot)s",
                    provider=award.provider.name,
                    framework=framework.reference,
                    lot=award.lot.number,
                )
                lines = [
                    _(
                        "%(kind)s: %(realised)s of %(target)s %(unit)s realised, due %(day)s.",
                        kind=_(ACTION_KIND_LABELS[item.action.kind]),
                        realised=format_number(item.realised),
                        target=format_number(item.action.target),
                        unit=_(ACTION_UNIT_LABELS[item.action.unit]),
                        day=format_day(item.action.due_date),
                    )
                    for item in late
                ]
                body = (
                    _("These actions of the social action plan are past their due date:")
                    + "\n\n"
                    + "\n".join(lines)
                )
            queue_mail(email, subject, body)
        for item in late:
            item.action.late_alerted_at = now
        alerted += len(late)
    session.flush()
    return {"late_actions_alerted": alerted} if alerted else {}


ACTION_KIND_LABELS = {
    ActionKind.WORK_EXPERIENCE: N_("work experience"),
    ActionKind.HIRING: N_("hiring"),
    ActionKind.TRAINING: N_("training"),
    ActionKind.SUBCONTRACTING: N_("subcontracting"),
}
ACTION_UNIT_LABELS = {ActionUnit.PERSONS: N_("persons"), ActionUnit.HOURS: N_("hours")}


def evidence_response(plan: ActionPlan, evidence_id: int):
    """An evidence file of the plan, streamed from the file store (its caller checked the reach)."""
    evidence = db.session.get(ActionEvidence, evidence_id)
    if evidence is None or evidence.action_id not in {a.id for a in plan.actions}:
        raise NotFound(N_("Not found."))
    try:
        response = storage.current_storage().response(evidence.storage_key, evidence.content_type)
    except (storage.FileMissing, ValueError):
        raise NotFound(N_("Not found.")) from None
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = f'attachment; filename="{evidence.filename}"'
    return response

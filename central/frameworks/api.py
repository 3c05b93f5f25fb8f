"""API: frameworks, lots, task types, prices, awards, beneficiaries and accessions.

Coordinators of the lead authority write; members read the frameworks they are named in and
request and withdraw accessions; awarded providers read. Outside reach answers 404; a visible
target whose action is not the user's answers 403.
"""

from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy import select

from central.core.api import endpoint
from central.core.errors import N_, NotFound, ValidationError
from central.core.permissions import get_visible
from central.extensions import db
from central.frameworks import action_plans, services, subcontracting
from central.frameworks.models import (
    Accession,
    ActionPlan,
    Award,
    AwardSubcontractor,
    Framework,
    FrameworkChange,
    Lot,
    PlanAction,
    PriceLine,
    TaskType,
)
from central.frameworks.reach import (
    plan_awards,
    sees_all_subcontractors,
    visible_accessions,
    visible_awards,
    visible_frameworks,
    visible_lots,
)
from central.frameworks.schemas import (
    AccessionSchema,
    ActionPlanBodySchema,
    ActionPlanSchema,
    AwardSchema,
    BeneficiariesSchema,
    ChangeSchema,
    EvidenceSchema,
    FrameworkSchema,
    LotSchema,
    PriceSchema,
    RealisationSchema,
    ReasonSchema,
    SocialProgressSchema,
    SubcontractorSchema,
    TaskTypeSchema,
    TaskTypeUpdateSchema,
    TerminateSchema,
)

TAG = "frameworks"
ACCESSIONS = "accessions"
STATUS_QUERY = [
    {
        "name": "status",
        "in": "query",
        "schema": {"type": "string", "enum": ["requested", "approved", "rejected", "withdrawn"]},
    },
    {"name": "framework", "in": "query", "schema": {"type": "integer"}},
]


def _framework(framework_id: int) -> Framework:
    return get_visible(visible_frameworks(current_user), Framework, framework_id)


def _lot(lot_id: int) -> Lot:
    return get_visible(visible_lots(current_user), Lot, lot_id)


def _task_type(task_type_id: int) -> TaskType:
    lot_ids = visible_lots(current_user).with_only_columns(Lot.id)
    return get_visible(select(TaskType).where(TaskType.lot_id.in_(lot_ids)), TaskType, task_type_id)


def _accession(accession_id: int) -> Accession:
    return get_visible(visible_accessions(current_user), Accession, accession_id)


# --- frameworks -------------------------------------------------------------------------------


@endpoint(
    "/frameworks", summary="List frameworks in reach", tag=TAG, response=FrameworkSchema, many=True
)
def list_frameworks():
    return visible_frameworks(current_user).order_by(Framework.start_date.desc(), Framework.id)


@endpoint(
    "/frameworks",
    "POST",
    summary="Create a draft framework (coordinator)",
    tag=TAG,
    body=FrameworkSchema,
    response=FrameworkSchema,
    status=201,
)
def create_framework(data):
    framework = services.create_framework(data, actor=current_user)
    db.session.commit()
    return framework


@endpoint(
    "/frameworks/<int:framework_id>", summary="Read a framework", tag=TAG, response=FrameworkSchema
)
def get_framework(framework_id: int):
    return _framework(framework_id)


@endpoint(
    "/frameworks/<int:framework_id>",
    "PATCH",
    summary="Change a framework (coordinator; an active one only in title and social target, "
    "and what is empty of its procedure on record)",
    tag=TAG,
    body=FrameworkSchema,
    partial=True,
    response=FrameworkSchema,
)
def update_framework(framework_id: int, data):
    framework = _framework(framework_id)
    services.update_framework(framework, data, actor=current_user)
    db.session.commit()
    return framework


@endpoint(
    "/frameworks/<int:framework_id>/activate",
    "POST",
    summary="Activate a draft framework (coordinator)",
    tag=TAG,
    response=FrameworkSchema,
)
def activate_framework(framework_id: int):
    framework = _framework(framework_id)
    services.activate_framework(framework, actor=current_user)
    db.session.commit()
    return framework


@endpoint(
    "/frameworks/<int:framework_id>/terminate",
    "POST",
    summary="Terminate a running framework, with a reason (coordinator)",
    tag=TAG,
    body=TerminateSchema,
    response=FrameworkSchema,
)
def terminate_framework(framework_id: int, data):
    framework = _framework(framework_id)
    services.terminate_framework(framework, data["reason"], actor=current_user)
    db.session.commit()
    return framework


@endpoint(
    "/frameworks/<int:framework_id>/changes",
    summary="The changes recorded during the framework's term (SPEC 7.2)",
    tag=TAG,
    response=ChangeSchema,
    many=True,
)
def list_changes(framework_id: int):
    framework = _framework(framework_id)
    return (
        select(FrameworkChange)
        .where(FrameworkChange.framework_id == framework.id)
        .order_by(FrameworkChange.created_at, FrameworkChange.id)
    )


@endpoint(
    "/frameworks/<int:framework_id>/changes",
    "POST",
    summary="Record a change of an active framework on a legal ground, within its limit "
    "(coordinator; 409 past it)",
    tag=TAG,
    body=ChangeSchema,
    response=ChangeSchema,
    status=201,
)
def record_change(framework_id: int, data):
    framework = _framework(framework_id)
    change = services.record_change(framework, data, actor=current_user)
    db.session.commit()
    return change


@endpoint(
    "/frameworks/<int:framework_id>/beneficiaries",
    summary="The authorities named as beneficiaries",
    tag=TAG,
    response=BeneficiariesSchema,
)
def get_beneficiaries(framework_id: int):
    framework = _framework(framework_id)
    return {"organisation_ids": [org.id for org in framework.beneficiaries]}


@endpoint(
    "/frameworks/<int:framework_id>/beneficiaries",
    "POST",
    summary="Name authorities as beneficiaries of a draft framework (coordinator)",
    tag=TAG,
    body=BeneficiariesSchema,
    response=BeneficiariesSchema,
)
def add_beneficiaries(framework_id: int, data):
    framework = _framework(framework_id)
    orgs = services.add_beneficiaries(framework, data["organisation_ids"], actor=current_user)
    db.session.commit()
    return {"organisation_ids": [org.id for org in orgs]}


# --- lots -------------------------------------------------------------------------------------


@endpoint(
    "/frameworks/<int:framework_id>/lots",
    summary="List a framework's lots",
    tag=TAG,
    response=LotSchema,
    many=True,
)
def list_lots(framework_id: int):
    framework = _framework(framework_id)
    return select(Lot).where(Lot.framework_id == framework.id).order_by(Lot.number)


@endpoint(
    "/frameworks/<int:framework_id>/lots",
    "POST",
    summary="Add a lot to a draft framework (coordinator)",
    tag=TAG,
    body=LotSchema,
    response=LotSchema,
    status=201,
)
def create_lot(framework_id: int, data):
    framework = _framework(framework_id)
    lot = services.create_lot(framework, data, actor=current_user)
    db.session.commit()
    return lot


@endpoint("/lots/<int:lot_id>", summary="Read a lot", tag=TAG, response=LotSchema)
def get_lot(lot_id: int):
    return _lot(lot_id)


@endpoint(
    "/lots/<int:lot_id>",
    "PATCH",
    summary="Change a lot (coordinator)",
    tag=TAG,
    body=LotSchema,
    partial=True,
    response=LotSchema,
)
def update_lot(lot_id: int, data):
    lot = _lot(lot_id)
    services.update_lot(lot, data, actor=current_user)
    db.session.commit()
    return lot


# --- task types -------------------------------------------------------------------------------


@endpoint(
    "/lots/<int:lot_id>/task-types",
    summary="List a lot's task types",
    tag=TAG,
    response=TaskTypeSchema,
    many=True,
)
def list_task_types(lot_id: int):
    lot = _lot(lot_id)
    return select(TaskType).where(TaskType.lot_id == lot.id).order_by(TaskType.code)


@endpoint(
    "/lots/<int:lot_id>/task-types",
    "POST",
    summary="Add a task type, with its checklist and follow-up, to a lot (coordinator)",
    tag=TAG,
    body=TaskTypeSchema,
    response=TaskTypeSchema,
    status=201,
)
def create_task_type(lot_id: int, data):
    lot = _lot(lot_id)
    task_type = services.create_task_type(lot, data, actor=current_user)
    db.session.commit()
    return task_type


@endpoint(
    "/task-types/<int:task_type_id>", summary="Read a task type", tag=TAG, response=TaskTypeSchema
)
def get_task_type(task_type_id: int):
    return _task_type(task_type_id)


@endpoint(
    "/task-types/<int:task_type_id>",
    "PATCH",
    summary="Change a task type's name, checklist or follow-up (coordinator)",
    tag=TAG,
    body=TaskTypeUpdateSchema,
    partial=True,
    response=TaskTypeSchema,
)
def update_task_type(task_type_id: int, data):
    task_type = _task_type(task_type_id)
    services.update_task_type(task_type, data, actor=current_user)
    db.session.commit()
    return task_type


# --- prices -----------------------------------------------------------------------------------


@endpoint(
    "/lots/<int:lot_id>/prices",
    summary="A lot's price schedule (every line, by task type, provider and date; "
    "`provider_id` null: the common line)",
    tag=TAG,
    response=PriceSchema,
    many=True,
)
def list_prices(lot_id: int):
    lot = _lot(lot_id)
    return (
        select(PriceLine)
        .join(TaskType, TaskType.id == PriceLine.task_type_id)
        .where(PriceLine.lot_id == lot.id)
        .order_by(
            TaskType.code,
            PriceLine.provider_id.is_not(None),
            PriceLine.provider_id,
            PriceLine.valid_from,
            PriceLine.id,
        )
    )


@endpoint(
    "/lots/<int:lot_id>/prices",
    "POST",
    summary="Add a price line, in force from its date (coordinator)",
    tag=TAG,
    body=PriceSchema,
    response=PriceSchema,
    status=201,
)
def add_price(lot_id: int, data):
    lot = _lot(lot_id)
    line = services.add_price_line(lot, data, actor=current_user)
    db.session.commit()
    return line


# --- awards -----------------------------------------------------------------------------------


@endpoint(
    "/lots/<int:lot_id>/awards",
    summary="A lot's awarded providers, by rank",
    tag=TAG,
    response=AwardSchema,
    many=True,
)
def list_awards(lot_id: int):
    lot = _lot(lot_id)
    return select(Award).where(Award.lot_id == lot.id).order_by(Award.rank)


@endpoint(
    "/lots/<int:lot_id>/awards",
    "POST",
    summary="Award a lot to a provider (coordinator)",
    tag=TAG,
    body=AwardSchema,
    response=AwardSchema,
    status=201,
)
def create_award(lot_id: int, data):
    lot = _lot(lot_id)
    award = services.award_lot(lot, data, actor=current_user)
    db.session.commit()
    return award


# --- social-economy subcontractors (SPEC 7.3) ---------------------------------------------------


def _award(award_id: int) -> Award:
    return get_visible(visible_awards(current_user), Award, award_id)


@endpoint(
    "/awards/<int:award_id>/subcontractors",
    summary="An award's social-economy subcontractors and their task types (running first)",
    tag=TAG,
    response=SubcontractorSchema,
    many=True,
)
def list_subcontractors(award_id: int):
    award = _award(award_id)
    stmt = select(AwardSubcontractor).where(AwardSubcontractor.award_id == award.id)
    if not sees_all_subcontractors(current_user, award):
        stmt = stmt.where(AwardSubcontractor.organisation_id == current_user.organisation_id)
    return stmt.order_by(AwardSubcontractor.ended_on.is_not(None), AwardSubcontractor.id)


@endpoint(
    "/awards/<int:award_id>/subcontractors",
    "POST",
    summary="Record a social-economy subcontractor of an award and the task types it does "
    "(lead coordinator; a provider recognised today; a task type has one subcontractor at a "
    "time)",
    tag=TAG,
    body=SubcontractorSchema,
    response=SubcontractorSchema,
    status=201,
)
def add_subcontractor(award_id: int, data):
    award = _award(award_id)
    sub = subcontracting.add_subcontractor(award, data, actor=current_user)
    db.session.commit()
    return sub


@endpoint(
    "/awards/<int:award_id>/subcontractors/<int:subcontractor_id>/end",
    "POST",
    summary="End a subcontracting today (lead coordinator); its work and figures stay",
    tag=TAG,
    response=SubcontractorSchema,
)
def end_subcontractor(award_id: int, subcontractor_id: int):
    award = _award(award_id)
    sub = db.session.scalar(
        select(AwardSubcontractor).where(
            AwardSubcontractor.id == subcontractor_id, AwardSubcontractor.award_id == award.id
        )
    )
    if sub is None:
        raise NotFound(N_("Not found."))
    subcontracting.end_subcontractor(sub, actor=current_user)
    db.session.commit()
    return sub


# --- the provider's social action plan and an award's social progress (SPEC 7.3) ------------


def _plan_award(award_id: int) -> Award:
    """An award in reach for its action plan: another provider's answers 404."""
    return get_visible(plan_awards(current_user), Award, award_id)


def _plan(award: Award) -> ActionPlan:
    plan = action_plans.plan_of(award)
    if plan is None:
        raise NotFound(N_("This award has no action plan yet."))
    return plan


def _action(award: Award, action_id: int) -> PlanAction:
    plan = _plan(award)
    action = next((a for a in plan.actions if a.id == action_id), None)
    if action is None:
        raise NotFound(N_("Not found."))
    return action


@endpoint(
    "/awards/<int:award_id>/action-plan",
    "POST",
    summary="File the award's social action plan (its provider); again until it is approved",
    tag=TAG,
    body=ActionPlanBodySchema,
    response=ActionPlanSchema,
    status=201,
    also=(200,),  # filed again: replaced
)
def file_action_plan(award_id: int, data):
    award = _plan_award(award_id)
    plan, created = action_plans.file_plan(award, data, actor=current_user)
    db.session.commit()
    return plan, 201 if created else 200


@endpoint(
    "/awards/<int:award_id>/action-plan",
    summary="The award's social action plan",
    tag=TAG,
    response=ActionPlanSchema,
)
def get_action_plan(award_id: int):
    return _plan(_plan_award(award_id))


@endpoint(
    "/awards/<int:award_id>/action-plan/approve",
    "POST",
    summary="Approve the award's action plan (lead coordinator)",
    tag=TAG,
    response=ActionPlanSchema,
)
def approve_action_plan(award_id: int):
    plan = _plan(_plan_award(award_id))
    action_plans.approve_plan(plan, actor=current_user)
    db.session.commit()
    return plan


@endpoint(
    "/awards/<int:award_id>/action-plan/actions/<int:action_id>/realisations",
    "POST",
    summary="Report what an action realised in a quarter (the provider; an approved plan); "
    "the same quarter again supersedes the earlier report",
    tag=TAG,
    body=RealisationSchema,
    response=RealisationSchema,
    status=201,
)
def report_realisation(award_id: int, action_id: int, data):
    action = _action(_plan_award(award_id), action_id)
    row = action_plans.report_realisation(action, data, actor=current_user)
    db.session.commit()
    return row


@endpoint(
    "/awards/<int:award_id>/action-plan/actions/<int:action_id>/evidence",
    "POST",
    summary="Add an evidence file to an action's quarter (the provider; a PDF, JPEG or PNG of "
    "at most 10 MB; form fields year, quarter and optionally supersedes)",
    tag=TAG,
    response=EvidenceSchema,
    status=201,
    multipart=True,
)
def add_evidence(award_id: int, action_id: int):
    from flask import request

    from central.fieldwork import photos

    action = _action(_plan_award(award_id), action_id)
    data = photos.read_upload()
    upload = request.files.get("file")
    evidence = action_plans.add_evidence(
        action,
        request.form.to_dict(),
        data,
        upload.filename if upload is not None else None,
        actor=current_user,
    )
    db.session.commit()
    return evidence


@endpoint(
    "/awards/<int:award_id>/action-plan/evidence/<int:evidence_id>",
    summary="An evidence file, for those who reach the award's plan",
    tag=TAG,
    produces=("application/pdf", "image/jpeg"),
)
def get_evidence(award_id: int, evidence_id: int):
    return action_plans.evidence_response(_plan(_plan_award(award_id)), evidence_id)


@endpoint(
    "/awards/<int:award_id>/social-progress",
    summary="An award's social clause against realised (from accepted work and labour), its "
    "subcontractors, and its action plan against realised with late actions flagged",
    tag=TAG,
    response=SocialProgressSchema,
)
def social_progress(award_id: int):
    return action_plans.progress(_plan_award(award_id))


# --- accessions -------------------------------------------------------------------------------


@endpoint(
    "/accessions",
    summary="List accessions in reach",
    tag=ACCESSIONS,
    response=AccessionSchema,
    many=True,
    query=STATUS_QUERY,
)
def list_accessions():
    stmt = visible_accessions(current_user).order_by(Accession.requested_at.desc(), Accession.id)
    status = request.args.get("status")
    if status:
        if status not in ("requested", "approved", "rejected", "withdrawn"):
            raise ValidationError(N_("Unknown status."), fields={"status": N_("Unknown status.")})
        stmt = stmt.where(Accession.status == status)
    framework = request.args.get("framework")
    if framework:
        if not framework.isdigit():
            raise ValidationError(N_("framework is an id."), fields={"framework": N_("Not an id.")})
        stmt = stmt.where(Accession.framework_id == int(framework))
    return stmt


@endpoint(
    "/accessions",
    "POST",
    summary="Request accession to lots of a framework (member)",
    tag=ACCESSIONS,
    body=AccessionSchema,
    response=AccessionSchema,
    status=201,
)
def request_accession(data):
    framework = _framework(data["framework_id"])
    accession = services.request_accession(
        framework, data["lot_ids"], data["order_reference"], actor=current_user
    )
    db.session.commit()
    return accession


@endpoint(
    "/accessions/<int:accession_id>",
    summary="Read an accession",
    tag=ACCESSIONS,
    response=AccessionSchema,
)
def get_accession(accession_id: int):
    return _accession(accession_id)


@endpoint(
    "/accessions/<int:accession_id>/approve",
    "POST",
    summary="Approve a requested accession (coordinator of the lead authority)",
    tag=ACCESSIONS,
    response=AccessionSchema,
)
def approve_accession(accession_id: int):
    accession = _accession(accession_id)
    services.approve_accession(accession, actor=current_user)
    db.session.commit()
    return accession


@endpoint(
    "/accessions/<int:accession_id>/reject",
    "POST",
    summary="Reject a requested accession, with a reason (coordinator of the lead authority)",
    tag=ACCESSIONS,
    body=ReasonSchema,
    response=AccessionSchema,
)
def reject_accession(accession_id: int, data):
    accession = _accession(accession_id)
    services.reject_accession(accession, data["reason"], actor=current_user)
    db.session.commit()
    return accession


@endpoint(
    "/accessions/<int:accession_id>/withdraw",
    "POST",
    summary="Withdraw a requested or approved accession (the member)",
    tag=ACCESSIONS,
    response=AccessionSchema,
)
def withdraw_accession(accession_id: int):
    accession = _accession(accession_id)
    services.withdraw_accession(accession, actor=current_user)
    db.session.commit()
    return accession

"""API: frameworks, lots, task types, prices, awards, beneficiaries and accessions.

Coordinators of the lead authority write; members read the frameworks they are named in and
request and withdraw accessions; awarded providers read. Outside reach answers 404; a visible
target whose action is not the user's answers 403.
"""

from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy import select

from central.core.api import UPLOAD_BODY, answers, api
from central.core.errors import N_, NotFound
from central.core.permissions import get_visible, get_visible_for
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
    visible_frameworks,
)
from central.frameworks.schemas import (
    AccessionFilterSchema,
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


# --- frameworks -------------------------------------------------------------------------------


@api.route("/frameworks", tags=[TAG])
@api.response(200, FrameworkSchema(many=True))
@api.paginate()
def list_frameworks():
    """List frameworks in reach"""
    return visible_frameworks(current_user).order_by(Framework.start_date.desc(), Framework.id)


@api.route("/frameworks", methods=["POST"], tags=[TAG])
@api.arguments(FrameworkSchema)
@api.response(201, FrameworkSchema)
def create_framework(data):
    """Create a draft framework (coordinator)"""
    framework = services.create_framework(data, actor=current_user)
    db.session.commit()
    return framework


@api.route("/frameworks/<int:framework_id>", tags=[TAG])
@api.response(200, FrameworkSchema)
def get_framework(framework_id: int):
    """Read a framework"""
    return get_visible_for(current_user, Framework, framework_id)


@api.route("/frameworks/<int:framework_id>", methods=["PATCH"], tags=[TAG])
@api.doc(
    summary="Change a framework (coordinator; an active one only in title and social target, and "
    "what is empty of its procedure on record)"
)
@api.arguments(FrameworkSchema(partial=True))
@api.response(200, FrameworkSchema)
def update_framework(data, framework_id: int):
    framework = get_visible_for(current_user, Framework, framework_id)
    services.update_framework(framework, data, actor=current_user)
    db.session.commit()
    return framework


@api.route("/frameworks/<int:framework_id>/activate", methods=["POST"], tags=[TAG])
@api.response(200, FrameworkSchema)
def activate_framework(framework_id: int):
    """Activate a draft framework (coordinator)"""
    framework = get_visible_for(current_user, Framework, framework_id)
    services.activate_framework(framework, actor=current_user)
    db.session.commit()
    return framework


@api.route("/frameworks/<int:framework_id>/terminate", methods=["POST"], tags=[TAG])
@api.arguments(TerminateSchema)
@api.response(200, FrameworkSchema)
def terminate_framework(data, framework_id: int):
    """Terminate a running framework, with a reason (coordinator)"""
    framework = get_visible_for(current_user, Framework, framework_id)
    services.terminate_framework(framework, data["reason"], actor=current_user)
    db.session.commit()
    return framework


@api.route("/frameworks/<int:framework_id>/changes", tags=[TAG])
@api.response(200, ChangeSchema(many=True))
@api.paginate()
def list_changes(framework_id: int):
    """The changes recorded during the framework's term (SPEC 7.2)"""
    framework = get_visible_for(current_user, Framework, framework_id)
    return (
        select(FrameworkChange)
        .where(FrameworkChange.framework_id == framework.id)
        .order_by(FrameworkChange.created_at, FrameworkChange.id)
    )


@api.route("/frameworks/<int:framework_id>/changes", methods=["POST"], tags=[TAG])
@api.doc(
    summary="Record a change of an active framework on a legal ground, within its limit "
    "(coordinator; 409 past it)"
)
@api.arguments(ChangeSchema)
@api.response(201, ChangeSchema)
def record_change(data, framework_id: int):
    framework = get_visible_for(current_user, Framework, framework_id)
    change = services.record_change(framework, data, actor=current_user)
    db.session.commit()
    return change


@api.route("/frameworks/<int:framework_id>/beneficiaries", tags=[TAG])
@api.response(200, BeneficiariesSchema)
def get_beneficiaries(framework_id: int):
    """The authorities named as beneficiaries"""
    framework = get_visible_for(current_user, Framework, framework_id)
    return {"organisation_ids": [org.id for org in framework.beneficiaries]}


@api.route("/frameworks/<int:framework_id>/beneficiaries", methods=["POST"], tags=[TAG])
@api.arguments(BeneficiariesSchema)
@api.response(200, BeneficiariesSchema)
def add_beneficiaries(data, framework_id: int):
    """Name authorities as beneficiaries of a draft framework (coordinator)"""
    framework = get_visible_for(current_user, Framework, framework_id)
    orgs = services.add_beneficiaries(framework, data["organisation_ids"], actor=current_user)
    db.session.commit()
    return {"organisation_ids": [org.id for org in orgs]}


# --- lots -------------------------------------------------------------------------------------


@api.route("/frameworks/<int:framework_id>/lots", tags=[TAG])
@api.response(200, LotSchema(many=True))
@api.paginate()
def list_lots(framework_id: int):
    """List a framework's lots"""
    framework = get_visible_for(current_user, Framework, framework_id)
    return select(Lot).where(Lot.framework_id == framework.id).order_by(Lot.number)


@api.route("/frameworks/<int:framework_id>/lots", methods=["POST"], tags=[TAG])
@api.arguments(LotSchema)
@api.response(201, LotSchema)
def create_lot(data, framework_id: int):
    """Add a lot to a draft framework (coordinator)"""
    framework = get_visible_for(current_user, Framework, framework_id)
    lot = services.create_lot(framework, data, actor=current_user)
    db.session.commit()
    return lot


@api.route("/lots/<int:lot_id>", tags=[TAG])
@api.response(200, LotSchema)
def get_lot(lot_id: int):
    """Read a lot"""
    return get_visible_for(current_user, Lot, lot_id)


@api.route("/lots/<int:lot_id>", methods=["PATCH"], tags=[TAG])
@api.arguments(LotSchema(partial=True))
@api.response(200, LotSchema)
def update_lot(data, lot_id: int):
    """Change a lot (coordinator)"""
    lot = get_visible_for(current_user, Lot, lot_id)
    services.update_lot(lot, data, actor=current_user)
    db.session.commit()
    return lot


# --- task types -------------------------------------------------------------------------------


@api.route("/lots/<int:lot_id>/task-types", tags=[TAG])
@api.response(200, TaskTypeSchema(many=True))
@api.paginate()
def list_task_types(lot_id: int):
    """List a lot's task types"""
    lot = get_visible_for(current_user, Lot, lot_id)
    return select(TaskType).where(TaskType.lot_id == lot.id).order_by(TaskType.code)


@api.route("/lots/<int:lot_id>/task-types", methods=["POST"], tags=[TAG])
@api.arguments(TaskTypeSchema)
@api.response(201, TaskTypeSchema)
def create_task_type(data, lot_id: int):
    """Add a task type, with its checklist and follow-up, to a lot (coordinator)"""
    lot = get_visible_for(current_user, Lot, lot_id)
    task_type = services.create_task_type(lot, data, actor=current_user)
    db.session.commit()
    return task_type


@api.route("/task-types/<int:task_type_id>", tags=[TAG])
@api.response(200, TaskTypeSchema)
def get_task_type(task_type_id: int):
    """Read a task type"""
    return get_visible_for(current_user, TaskType, task_type_id)


@api.route("/task-types/<int:task_type_id>", methods=["PATCH"], tags=[TAG])
@api.arguments(TaskTypeUpdateSchema(partial=True))
@api.response(200, TaskTypeSchema)
def update_task_type(data, task_type_id: int):
    """Change a task type's name, checklist or follow-up (coordinator)"""
    task_type = get_visible_for(current_user, TaskType, task_type_id)
    services.update_task_type(task_type, data, actor=current_user)
    db.session.commit()
    return task_type


# --- prices -----------------------------------------------------------------------------------


@api.route("/lots/<int:lot_id>/prices", tags=[TAG])
@api.doc(
    summary="A lot's price schedule (every line, by task type, provider and date; `provider_id` "
    "null: the common line)"
)
@api.response(200, PriceSchema(many=True))
@api.paginate()
def list_prices(lot_id: int):
    lot = get_visible_for(current_user, Lot, lot_id)
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


@api.route("/lots/<int:lot_id>/prices", methods=["POST"], tags=[TAG])
@api.arguments(PriceSchema)
@api.response(201, PriceSchema)
def add_price(data, lot_id: int):
    """Add a price line, in force from its date (coordinator)"""
    lot = get_visible_for(current_user, Lot, lot_id)
    line = services.add_price_line(lot, data, actor=current_user)
    db.session.commit()
    return line


# --- awards -----------------------------------------------------------------------------------


@api.route("/lots/<int:lot_id>/awards", tags=[TAG])
@api.response(200, AwardSchema(many=True))
@api.paginate()
def list_awards(lot_id: int):
    """A lot's awarded providers, by rank"""
    lot = get_visible_for(current_user, Lot, lot_id)
    return select(Award).where(Award.lot_id == lot.id).order_by(Award.rank)


@api.route("/lots/<int:lot_id>/awards", methods=["POST"], tags=[TAG])
@api.arguments(AwardSchema)
@api.response(201, AwardSchema)
def create_award(data, lot_id: int):
    """Award a lot to a provider (coordinator)"""
    lot = get_visible_for(current_user, Lot, lot_id)
    award = services.award_lot(lot, data, actor=current_user)
    db.session.commit()
    return award


# --- social-economy subcontractors (SPEC 7.3) ---------------------------------------------------


@api.route("/awards/<int:award_id>/subcontractors", tags=[TAG])
@api.response(200, SubcontractorSchema(many=True))
@api.paginate()
def list_subcontractors(award_id: int):
    """An award's social-economy subcontractors and their task types (running first)"""
    award = get_visible_for(current_user, Award, award_id)
    stmt = select(AwardSubcontractor).where(AwardSubcontractor.award_id == award.id)
    if not sees_all_subcontractors(current_user, award):
        stmt = stmt.where(AwardSubcontractor.organisation_id == current_user.organisation_id)
    return stmt.order_by(AwardSubcontractor.ended_on.is_not(None), AwardSubcontractor.id)


@api.route("/awards/<int:award_id>/subcontractors", methods=["POST"], tags=[TAG])
@api.doc(
    summary="Record a social-economy subcontractor of an award and the task types it does (lead "
    "coordinator; a provider recognised today; a task type has one subcontractor at a "
    "time)"
)
@api.arguments(SubcontractorSchema)
@api.response(201, SubcontractorSchema)
def add_subcontractor(data, award_id: int):
    award = get_visible_for(current_user, Award, award_id)
    sub = subcontracting.add_subcontractor(award, data, actor=current_user)
    db.session.commit()
    return sub


@api.route(
    "/awards/<int:award_id>/subcontractors/<int:subcontractor_id>/end", methods=["POST"], tags=[TAG]
)
@api.response(200, SubcontractorSchema)
def end_subcontractor(award_id: int, subcontractor_id: int):
    """End a subcontracting today (lead coordinator); its work and figures stay"""
    award = get_visible_for(current_user, Award, award_id)
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


@api.route("/awards/<int:award_id>/action-plan", methods=["POST"], tags=[TAG])
@api.arguments(ActionPlanBodySchema)
@api.response(201, ActionPlanSchema)
@api.alt_response(200, schema=ActionPlanSchema, success=True)
def file_action_plan(data, award_id: int):
    """File the award's social action plan (its provider); again until it is approved"""
    award = _plan_award(award_id)
    plan, created = action_plans.file_plan(award, data, actor=current_user)
    db.session.commit()
    return plan, 201 if created else 200


@api.route("/awards/<int:award_id>/action-plan", tags=[TAG])
@api.response(200, ActionPlanSchema)
def get_action_plan(award_id: int):
    """The award's social action plan"""
    return _plan(_plan_award(award_id))


@api.route("/awards/<int:award_id>/action-plan/approve", methods=["POST"], tags=[TAG])
@api.response(200, ActionPlanSchema)
def approve_action_plan(award_id: int):
    """Approve the award's action plan (lead coordinator)"""
    plan = _plan(_plan_award(award_id))
    action_plans.approve_plan(plan, actor=current_user)
    db.session.commit()
    return plan


@api.route(
    "/awards/<int:award_id>/action-plan/actions/<int:action_id>/realisations",
    methods=["POST"],
    tags=[TAG],
)
@api.doc(
    summary="Report what an action realised in a quarter (the provider; an approved plan); the "
    "same quarter again supersedes the earlier report"
)
@api.arguments(RealisationSchema)
@api.response(201, RealisationSchema)
def report_realisation(data, award_id: int, action_id: int):
    action = _action(_plan_award(award_id), action_id)
    row = action_plans.report_realisation(action, data, actor=current_user)
    db.session.commit()
    return row


@api.route(
    "/awards/<int:award_id>/action-plan/actions/<int:action_id>/evidence",
    methods=["POST"],
    tags=[TAG],
)
@api.doc(
    summary="Add an evidence file to an action's quarter (the provider; a PDF, JPEG or PNG of at "
    "most 10 MB; form fields year, quarter and optionally supersedes)"
)
@api.doc(requestBody=UPLOAD_BODY)
@api.response(201, EvidenceSchema)
def add_evidence(award_id: int, action_id: int):

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


@api.route("/awards/<int:award_id>/action-plan/evidence/<int:evidence_id>", tags=[TAG])
@api.response(200)
@api.doc(responses=answers(200, "application/pdf", "image/jpeg"))
def get_evidence(award_id: int, evidence_id: int):
    """An evidence file, for those who reach the award's plan"""
    return action_plans.evidence_response(_plan(_plan_award(award_id)), evidence_id)


@api.route("/awards/<int:award_id>/social-progress", tags=[TAG])
@api.doc(
    summary="An award's social clause against realised (from accepted work and labour), its "
    "subcontractors, and its action plan against realised with late actions flagged"
)
@api.response(200, SocialProgressSchema)
def social_progress(award_id: int):
    return action_plans.progress(_plan_award(award_id))


# --- accessions -------------------------------------------------------------------------------


@api.route("/accessions", tags=[ACCESSIONS])
@api.arguments(AccessionFilterSchema, location="query")
@api.response(200, AccessionSchema(many=True))
@api.paginate()
def list_accessions(args):
    """List accessions in reach"""
    stmt = visible_accessions(current_user).order_by(Accession.requested_at.desc(), Accession.id)
    if "status" in args:
        stmt = stmt.where(Accession.status == args["status"])
    if "framework" in args:
        stmt = stmt.where(Accession.framework_id == args["framework"])
    return stmt


@api.route("/accessions", methods=["POST"], tags=[ACCESSIONS])
@api.arguments(AccessionSchema)
@api.response(201, AccessionSchema)
def request_accession(data):
    """Request accession to lots of a framework (member)"""
    framework = get_visible_for(current_user, Framework, data["framework_id"])
    accession = services.request_accession(
        framework, data["lot_ids"], data["order_reference"], actor=current_user
    )
    db.session.commit()
    return accession


@api.route("/accessions/<int:accession_id>", tags=[ACCESSIONS])
@api.response(200, AccessionSchema)
def get_accession(accession_id: int):
    """Read an accession"""
    return get_visible_for(current_user, Accession, accession_id)


@api.route("/accessions/<int:accession_id>/approve", methods=["POST"], tags=[ACCESSIONS])
@api.response(200, AccessionSchema)
def approve_accession(accession_id: int):
    """Approve a requested accession (coordinator of the lead authority)"""
    accession = get_visible_for(current_user, Accession, accession_id)
    services.approve_accession(accession, actor=current_user)
    db.session.commit()
    return accession


@api.route("/accessions/<int:accession_id>/reject", methods=["POST"], tags=[ACCESSIONS])
@api.arguments(ReasonSchema)
@api.response(200, AccessionSchema)
def reject_accession(data, accession_id: int):
    """Reject a requested accession, with a reason (coordinator of the lead authority)"""
    accession = get_visible_for(current_user, Accession, accession_id)
    services.reject_accession(accession, data["reason"], actor=current_user)
    db.session.commit()
    return accession


@api.route("/accessions/<int:accession_id>/withdraw", methods=["POST"], tags=[ACCESSIONS])
@api.response(200, AccessionSchema)
def withdraw_accession(accession_id: int):
    """Withdraw a requested or approved accession (the member)"""
    accession = get_visible_for(current_user, Accession, accession_id)
    services.withdraw_accession(accession, actor=current_user)
    db.session.commit()
    return accession

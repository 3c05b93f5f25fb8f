"""API: /organisations — the admin writes; others read their own reach."""

from __future__ import annotations

from flask_login import current_user

from central.core.api import api
from central.core.errors import N_, NotFound
from central.core.permissions import get_visible_for, require_role
from central.core.roles import Role
from central.extensions import db
from central.organisations import services, succession
from central.organisations.models import Organisation, Recognition
from central.organisations.reach import visible_organisations
from central.organisations.schemas import (
    OrganisationSchema,
    RecognitionSchema,
    SuccessionResultSchema,
    SuccessionSchema,
)

TAG = "organisations"


@api.route("/organisations", tags=[TAG])
@api.response(200, OrganisationSchema(many=True))
@api.paginate()
def list_organisations():
    """List organisations in reach"""
    return visible_organisations(current_user).order_by(Organisation.name, Organisation.id)


@api.route("/organisations", methods=["POST"], tags=[TAG])
@api.arguments(OrganisationSchema)
@api.response(201, OrganisationSchema)
def create_organisation(data):
    """Create an organisation (admin)"""
    require_role(current_user, Role.ADMIN)
    org = services.create_organisation(data, actor=current_user)
    db.session.commit()
    return org


@api.route("/organisations/<int:org_id>", tags=[TAG])
@api.response(200, OrganisationSchema)
def get_organisation(org_id: int):
    """Read an organisation"""
    return get_visible_for(current_user, Organisation, org_id)


@api.route("/organisations/<int:org_id>", methods=["PATCH"], tags=[TAG])
@api.doc(
    summary="Change an organisation (admin); an authority's own users may set only its "
    "`fire_zone_id` and `water_company_id`"
)
@api.arguments(OrganisationSchema(partial=True))
@api.response(200, OrganisationSchema)
def update_organisation(data, org_id: int):
    org = get_visible_for(current_user, Organisation, org_id)
    if current_user.role != Role.ADMIN and set(data) <= set(services.SERVED_BY):
        services.name_fire_zone_and_water_company(org, data, actor=current_user)
    else:
        require_role(current_user, Role.ADMIN)
        services.update_organisation(org, data, actor=current_user)
    db.session.commit()
    return org


@api.route("/organisations/<int:org_id>/recognitions", tags=[TAG])
@api.response(200, RecognitionSchema(many=True))
@api.paginate()
def list_recognitions(org_id: int):
    """A provider's social-economy recognitions (SPEC 7.2), oldest first"""
    org = get_visible_for(current_user, Organisation, org_id)
    return services.recognitions_query(org)


@api.route("/organisations/<int:org_id>/recognitions", methods=["POST"], tags=[TAG])
@api.arguments(RecognitionSchema)
@api.response(201, RecognitionSchema)
def add_recognition(data, org_id: int):
    """Record a social-economy recognition (admin); the organisation's status follows"""
    org = get_visible_for(current_user, Organisation, org_id)
    require_role(current_user, Role.ADMIN)
    recognition = services.add_recognition(org, data, actor=current_user)
    db.session.commit()
    return recognition


@api.route(
    "/organisations/<int:org_id>/recognitions/<int:recognition_id>", methods=["PATCH"], tags=[TAG]
)
@api.arguments(RecognitionSchema(partial=True))
@api.response(200, RecognitionSchema)
def update_recognition(data, org_id: int, recognition_id: int):
    """Complete a recognition's number or set its end (admin)"""
    org = get_visible_for(current_user, Organisation, org_id)
    require_role(current_user, Role.ADMIN)
    recognition = db.session.get(Recognition, recognition_id)
    if recognition is None or recognition.organisation_id != org.id:
        raise NotFound(N_("No such recognition."))
    services.update_recognition(recognition, data, actor=current_user)
    db.session.commit()
    return recognition


@api.route("/organisations/<int:org_id>/succession", methods=["POST"], tags=[TAG])
@api.doc(
    summary="Record a municipal merger (admin): the successor takes over users, active assets, "
    "service plans, open needs and work and approved accessions; the history stays, "
    "marked, and the predecessor becomes read-only. `dry_run` counts what would move"
)
@api.arguments(SuccessionSchema)
@api.response(201, SuccessionResultSchema)
@api.alt_response(200, schema=SuccessionResultSchema, success=True)
def record_succession(data, org_id: int):
    org = get_visible_for(current_user, Organisation, org_id)
    require_role(current_user, Role.ADMIN)
    if data.get("dry_run"):
        plan = succession.plan_succession(org, data)
        db.session.rollback()
        return _succession_result(plan, recorded=False), 200
    plan = succession.record_succession(org, data, actor=current_user)
    db.session.commit()
    return _succession_result(plan, recorded=True), 201


def _succession_result(plan: succession.Plan, *, recorded: bool) -> dict:
    return {
        "predecessor_id": plan.predecessor.id,
        "successor_id": plan.successor.id,
        "effective_date": plan.effective_date,
        "code_prefix": plan.code_prefix or None,
        "moved": {k: int(v) for k, v in sorted(plan.counts.items())},
        "recorded": recorded,
    }

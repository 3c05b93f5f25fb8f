"""API: /organisations — the admin writes; others read their own reach."""

from __future__ import annotations

from flask_login import current_user

from central.core.api import endpoint
from central.core.errors import N_, NotFound
from central.core.permissions import get_visible, require_role
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


@endpoint(
    "/organisations",
    summary="List organisations in reach",
    tag=TAG,
    response=OrganisationSchema,
    many=True,
)
def list_organisations():
    return visible_organisations(current_user).order_by(Organisation.name, Organisation.id)


@endpoint(
    "/organisations",
    "POST",
    summary="Create an organisation (admin)",
    tag=TAG,
    body=OrganisationSchema,
    response=OrganisationSchema,
    status=201,
)
def create_organisation(data):
    require_role(current_user, "admin")
    org = services.create_organisation(data, actor=current_user)
    db.session.commit()
    return org


@endpoint(
    "/organisations/<int:org_id>",
    summary="Read an organisation",
    tag=TAG,
    response=OrganisationSchema,
)
def get_organisation(org_id: int):
    return get_visible(visible_organisations(current_user), Organisation, org_id)


@endpoint(
    "/organisations/<int:org_id>",
    "PATCH",
    summary="Change an organisation (admin); an authority's own users may set only its "
    "`fire_zone_id` and `water_company_id`",
    tag=TAG,
    body=OrganisationSchema,
    partial=True,
    response=OrganisationSchema,
)
def update_organisation(org_id: int, data):
    org = get_visible(visible_organisations(current_user), Organisation, org_id)
    if current_user.role != "admin" and set(data) <= set(services.SERVED_BY):
        services.name_fire_zone_and_water_company(org, data, actor=current_user)
    else:
        require_role(current_user, "admin")
        services.update_organisation(org, data, actor=current_user)
    db.session.commit()
    return org


@endpoint(
    "/organisations/<int:org_id>/recognitions",
    summary="A provider's social-economy recognitions (SPEC 7.2), oldest first",
    tag=TAG,
    response=RecognitionSchema,
    many=True,
)
def list_recognitions(org_id: int):
    org = get_visible(visible_organisations(current_user), Organisation, org_id)
    return services.recognitions_query(org)


@endpoint(
    "/organisations/<int:org_id>/recognitions",
    "POST",
    summary="Record a social-economy recognition (admin); the organisation's status follows",
    tag=TAG,
    body=RecognitionSchema,
    response=RecognitionSchema,
    status=201,
)
def add_recognition(org_id: int, data):
    org = get_visible(visible_organisations(current_user), Organisation, org_id)
    require_role(current_user, "admin")
    recognition = services.add_recognition(org, data, actor=current_user)
    db.session.commit()
    return recognition


@endpoint(
    "/organisations/<int:org_id>/recognitions/<int:recognition_id>",
    "PATCH",
    summary="Complete a recognition's number or set its end (admin)",
    tag=TAG,
    body=RecognitionSchema,
    partial=True,
    response=RecognitionSchema,
)
def update_recognition(org_id: int, recognition_id: int, data):
    org = get_visible(visible_organisations(current_user), Organisation, org_id)
    require_role(current_user, "admin")
    recognition = db.session.get(Recognition, recognition_id)
    if recognition is None or recognition.organisation_id != org.id:
        raise NotFound(N_("No such recognition."))
    services.update_recognition(recognition, data, actor=current_user)
    db.session.commit()
    return recognition


@endpoint(
    "/organisations/<int:org_id>/succession",
    "POST",
    summary="Record a municipal merger (admin): the successor takes over users, active assets, "
    "service plans, open needs and work and approved accessions; the history stays, marked, and "
    "the predecessor becomes read-only. `dry_run` counts what would move",
    tag=TAG,
    body=SuccessionSchema,
    response=SuccessionResultSchema,
    status=201,
    also=(200,),
)
def record_succession(org_id: int, data):
    org = get_visible(visible_organisations(current_user), Organisation, org_id)
    require_role(current_user, "admin")
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

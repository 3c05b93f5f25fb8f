"""API: /organisations — the admin writes; others read their own reach."""

from __future__ import annotations

from flask_login import current_user

from central.core.api import endpoint
from central.core.permissions import get_visible, require_role, visible_organisations
from central.extensions import db
from central.organisations import services
from central.organisations.models import Organisation
from central.organisations.schemas import OrganisationSchema

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

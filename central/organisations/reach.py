"""Reach of the organisations domain (SPEC section 1, 7.0, 7.2, 7.4): the organisations a user may
read, the members naming a fire zone or water company, an authority and those it succeeded.

Each scope function registered with `@reach(Model)` is the one `core.permissions.visible(user,
Model)` and `get_visible_for(user, Model, id)` dispatch to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Select, false, or_, select

from central.core.permissions import reach
from central.core.roles import Role
from central.frameworks.models import Framework
from central.frameworks.reach import (
    members_under_led_frameworks,
    named_frameworks,
    providers_under_led_frameworks,
)
from central.organisations.models import Organisation, OrganisationKind

if TYPE_CHECKING:
    from central.accounts.models import User


@reach(Organisation)
def visible_organisations(user: User) -> Select:
    """Organisations a user may read: all for an admin, otherwise its own; a coordinator also
    the members with an approved accession to, and the providers awarded on, the concluded
    frameworks it leads (SPEC 7.0: naming or awarding on a draft opens only the public identity,
    which the framework's own pages show); a member also the lead authorities of the frameworks
    it is named in."""
    stmt = select(Organisation)
    if user.role == Role.ADMIN:
        return stmt
    if user.organisation_id is None:
        return stmt.where(false())
    org_id = user.organisation_id
    reach = [Organisation.id == org_id]
    if user.role == Role.COORDINATOR:
        reach.append(Organisation.id.in_(members_under_led_frameworks(org_id)))
        reach.append(Organisation.id.in_(providers_under_led_frameworks(org_id)))
    if user.role in (Role.MEMBER, Role.COORDINATOR):
        # SPEC 7.2: an authority its own succeeded (a merged municipality, marked).
        reach.append(Organisation.succeeded_by_id == org_id)
        reach.append(
            Organisation.id.in_(
                select(Framework.lead_organisation_id).where(
                    Framework.id.in_(named_frameworks(org_id))
                )
            )
        )
        # The fire zones and water companies a member may name (their public identity).
        reach.append(
            Organisation.kind.in_([OrganisationKind.FIRE_ZONE, OrganisationKind.WATER_COMPANY])
        )
    if user.role == Role.VIEWER:
        reach.append(Organisation.id.in_(members_naming(org_id)))
    return stmt.where(or_(*reach))


def members_naming(org_id: int) -> Select:
    """Ids of the member authorities that name an organisation as their fire zone or water
    company (SPEC 7.4): the members whose hydrants its viewers read."""
    return select(Organisation.id).where(
        Organisation.kind == OrganisationKind.AUTHORITY,
        or_(Organisation.fire_zone_id == org_id, Organisation.water_company_id == org_id),
    )


def own_and_succeeded(org_id: int) -> Select:
    """An authority and those it succeeded (SPEC 7.2: their history is read by its users)."""
    return select(Organisation.id).where(
        or_(Organisation.id == org_id, Organisation.succeeded_by_id == org_id)
    )

"""Reach of the assets domain (SPEC section 1, 7.0, 7.4): the assets, service plans and needs a user
may read.

Each scope function registered with `@reach(Model)` is the one `core.permissions.visible(user,
Model)` and `get_visible_for(user, Model, id)` dispatch to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Select, false, or_, select

from central.assets.models import Asset, Need, ServicePlan
from central.core.permissions import reach
from central.core.roles import Role
from central.frameworks.reach import led_lots, members_under_led_frameworks
from central.organisations.reach import members_naming

if TYPE_CHECKING:
    from central.accounts.models import User


@reach(Asset)
def visible_assets(user: User) -> Select:
    """Assets a user may read: a member its authority's; a coordinator its own authority's and
    those of the members acceded to the frameworks it leads (read only); a viewer those of the
    members that name its fire zone or water company (read only, SPEC 7.4); others none."""
    stmt = select(Asset)
    org_id = user.organisation_id
    if org_id is not None and user.role == Role.VIEWER:
        return stmt.where(Asset.member_id.in_(members_naming(org_id)))
    if org_id is None or user.role not in (Role.MEMBER, Role.COORDINATOR):
        return stmt.where(false())
    if user.role == Role.COORDINATOR:
        return stmt.where(
            or_(
                Asset.member_id == org_id,
                Asset.member_id.in_(members_under_led_frameworks(org_id)),
            )
        )
    return stmt.where(Asset.member_id == org_id)


@reach(ServicePlan)
def visible_service_plans(user: User) -> Select:
    """Service plans a user may read: a member its authority's; a coordinator also those in the
    lots of the frameworks it leads (read only)."""
    stmt = select(ServicePlan)
    org_id = user.organisation_id
    if org_id is None or user.role not in (Role.MEMBER, Role.COORDINATOR):
        return stmt.where(false())
    if user.role == Role.COORDINATOR:
        return stmt.where(
            or_(ServicePlan.member_id == org_id, ServicePlan.lot_id.in_(led_lots(org_id)))
        )
    return stmt.where(ServicePlan.member_id == org_id)


@reach(Need)
def visible_needs(user: User) -> Select:
    """Needs a user may read: a member its authority's; a coordinator also the needs in the lots
    of the frameworks it leads (read only)."""
    stmt = select(Need)
    org_id = user.organisation_id
    if org_id is None or user.role not in (Role.MEMBER, Role.COORDINATOR):
        return stmt.where(false())
    if user.role == Role.COORDINATOR:
        return stmt.where(or_(Need.member_id == org_id, Need.lot_id.in_(led_lots(org_id))))
    return stmt.where(Need.member_id == org_id)

"""Reach of the reports domain (SPEC section 1, 7.0, 7.2): the members whose budgets and reports a
user may read, the lines of their statements, and the issued statements.

Each scope function registered with `@reach(Model)` is the one `core.permissions.visible(user,
Model)` and `get_visible_for(user, Model, id)` dispatch to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, false, or_, select

from central.core.permissions import reach
from central.core.roles import Role
from central.frameworks.models import Framework
from central.frameworks.reach import members_under_led_frameworks
from central.organisations.models import Organisation, OrganisationKind
from central.organisations.reach import own_and_succeeded
from central.reports.models import Statement

if TYPE_CHECKING:
    from central.accounts.models import User


def visible_report_members(user: User) -> Select:
    """Member authorities whose budgets and reports a user may read: a member its own; a
    coordinator its own and the members with an approved accession to a framework it leads
    (naming a beneficiary opens only its public identity); others none."""
    stmt = select(Organisation).where(Organisation.kind == OrganisationKind.AUTHORITY)
    org_id = user.organisation_id
    if org_id is None or user.role not in (Role.MEMBER, Role.COORDINATOR):
        return stmt.where(false())
    if user.role == Role.COORDINATOR:
        return stmt.where(
            or_(
                Organisation.id == org_id,
                Organisation.id.in_(members_under_led_frameworks(org_id)),
            )
        )
    return stmt.where(Organisation.id == org_id)


def report_lines_scope(user: User, member_id: int) -> Any:
    """SQL condition on a framework id column's lines a user may see in a member's statement:
    all of them for its own authority; a coordinator otherwise only the lines of the frameworks
    its authority leads (None: no restriction)."""
    if user.organisation_id == member_id:
        return None
    return Framework.lead_organisation_id == user.organisation_id


@reach(Statement)
def visible_statements(user: User) -> Select:
    """Issued statements a user may read: a member its authority's (and those of the
    authorities it succeeded); a coordinator also those under the frameworks its authority
    leads; others none."""
    stmt = select(Statement)
    org_id = user.organisation_id
    if org_id is None or user.role not in (Role.MEMBER, Role.COORDINATOR):
        return stmt.where(false())
    if user.role == Role.COORDINATOR:
        led = select(Framework.id).where(Framework.lead_organisation_id == org_id)
        return stmt.where(
            or_(
                Statement.member_id.in_(own_and_succeeded(org_id)),
                Statement.framework_id.in_(led),
            )
        )
    return stmt.where(Statement.member_id.in_(own_and_succeeded(org_id)))

"""Reach of the frameworks domain (SPEC section 1, 7.0, 7.3): the frameworks, lots, accessions and
awards a user may read, and the ids other domains' reach is built on (the frameworks an authority
leads or is named in, the members and providers under them).

Each scope function registered with `@reach(Model)` is the one `core.permissions.visible(user,
Model)` and `get_visible_for(user, Model, id)` dispatch to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, false, or_, select

from central.core.permissions import reach
from central.core.roles import Role
from central.extensions import db
from central.frameworks.models import (
    Accession,
    AccessionStatus,
    Award,
    AwardSubcontractor,
    Framework,
    FrameworkBeneficiary,
    FrameworkStatus,
    Lot,
    TaskType,
)

if TYPE_CHECKING:
    from central.accounts.models import User


def leads_framework(user: Any, framework: Any) -> bool:
    """Whether `user` is a coordinator of the lead authority of `framework` (a Framework or its
    id): the one who runs it, decides its credits and moves or cancels its rounds."""
    if getattr(user, "role", None) != Role.COORDINATOR:
        return False

    if not isinstance(framework, Framework):
        framework = db.session.get(Framework, framework)
    return framework is not None and framework.lead_organisation_id == user.organisation_id


def led_frameworks(org_id: int | None) -> Select:
    """Ids of the frameworks an authority leads: the only ones its coordinators' views of a
    member or provider count (SPEC 7.0)."""
    return select(Framework.id).where(Framework.lead_organisation_id == org_id)


def providers_under_led_frameworks(org_id: int) -> Select:
    """Ids of the providers awarded a lot of a concluded (not draft) framework an authority
    leads."""
    return (
        select(Award.provider_id)
        .join(Lot, Lot.id == Award.lot_id)
        .join(Framework, Framework.id == Lot.framework_id)
        .where(Framework.lead_organisation_id == org_id, Framework.status != FrameworkStatus.DRAFT)
    )


def coordinated_providers(user: User) -> Select:
    """Ids of the providers whose workload a coordinator may follow (an award on a concluded
    framework its authority leads); none for other roles."""
    stmt = providers_under_led_frameworks(user.organisation_id)
    return stmt if user.role == Role.COORDINATOR else stmt.where(false())


def named_frameworks(org_id: int) -> Select:
    """Ids of the concluded (not draft) frameworks an authority is named a beneficiary of."""
    return (
        select(FrameworkBeneficiary.framework_id)
        .join(Framework, Framework.id == FrameworkBeneficiary.framework_id)
        .where(
            FrameworkBeneficiary.organisation_id == org_id,
            Framework.status != FrameworkStatus.DRAFT,
        )
    )


@reach(Framework)
def visible_frameworks(user: User) -> Select:
    """Frameworks a user may read: an admin all; a coordinator those its authority leads (and,
    acting as a member, those it is named in); a member the concluded frameworks it is named
    in; a provider the concluded frameworks where it holds an award."""
    stmt = select(Framework)
    if user.role == Role.ADMIN:
        return stmt
    org_id = user.organisation_id
    if org_id is None:
        return stmt.where(false())
    if user.role == Role.COORDINATOR:
        return stmt.where(
            or_(
                Framework.lead_organisation_id == org_id,
                Framework.id.in_(named_frameworks(org_id)),
            )
        )
    if user.role == Role.MEMBER:
        return stmt.where(Framework.id.in_(named_frameworks(org_id)))
    if user.role == Role.PROVIDER:
        awarded = (
            select(Lot.framework_id)
            .join(Award, Award.lot_id == Lot.id)
            .where(Award.provider_id == org_id)
        )
        return stmt.where(Framework.id.in_(awarded), Framework.status != FrameworkStatus.DRAFT)
    return stmt.where(false())


@reach(Lot)
def visible_lots(user: User) -> Select:
    """Lots of the frameworks a user may read."""
    framework_ids = visible_frameworks(user).with_only_columns(Framework.id)
    return select(Lot).where(Lot.framework_id.in_(framework_ids))


@reach(TaskType)
def visible_task_types(user: User) -> Select:
    """Task types of the lots a user may read."""
    lot_ids = visible_lots(user).with_only_columns(Lot.id)
    return select(TaskType).where(TaskType.lot_id.in_(lot_ids))


@reach(Accession)
def visible_accessions(user: User) -> Select:
    """Accessions a user may read: an admin all; a member its authority's; a coordinator also
    those to the frameworks its authority leads; a provider none."""
    stmt = select(Accession)
    if user.role == Role.ADMIN:
        return stmt
    org_id = user.organisation_id
    if org_id is None or user.role not in (Role.MEMBER, Role.COORDINATOR):
        return stmt.where(false())
    if user.role == Role.COORDINATOR:
        led = select(Framework.id).where(Framework.lead_organisation_id == org_id)
        return stmt.where(or_(Accession.member_id == org_id, Accession.framework_id.in_(led)))
    return stmt.where(Accession.member_id == org_id)


def led_lots(org_id: int) -> Select:
    """Ids of the lots of the frameworks an authority leads."""
    return (
        select(Lot.id)
        .join(Framework, Framework.id == Lot.framework_id)
        .where(Framework.lead_organisation_id == org_id)
    )


def members_under_led_frameworks(org_id: int) -> Select:
    """Ids of the members with an approved accession to a framework an authority leads."""
    return (
        select(Accession.member_id)
        .join(Framework, Framework.id == Accession.framework_id)
        .where(
            Framework.lead_organisation_id == org_id, Accession.status == AccessionStatus.APPROVED
        )
    )


def plan_awards(user: User) -> Select:
    """Awards whose social action plan and progress a user reaches (SPEC 7.3): a provider its
    own awards (another's answers 404); a coordinator the awards of the frameworks its
    authority leads; an admin all; others none."""
    stmt = select(Award)
    if user.role == Role.ADMIN:
        return stmt
    org_id = user.organisation_id
    if org_id is None:
        return stmt.where(false())
    if user.role == Role.PROVIDER:
        return stmt.where(Award.provider_id == org_id)
    if user.role == Role.COORDINATOR:
        led = (
            select(Lot.id)
            .join(Framework, Framework.id == Lot.framework_id)
            .where(Framework.lead_organisation_id == org_id)
        )
        return stmt.where(Award.lot_id.in_(led))
    return stmt.where(false())


@reach(Award)
def visible_awards(user: User) -> Select:
    """Awards a user may read: those of the lots in reach; a provider also the awards it is a
    subcontractor of (SPEC 7.3)."""
    lot_ids = visible_lots(user).with_only_columns(Lot.id)
    stmt = select(Award)
    if user.role == Role.PROVIDER and user.organisation_id is not None:
        subcontracted = select(AwardSubcontractor.award_id).where(
            AwardSubcontractor.organisation_id == user.organisation_id
        )
        return stmt.where(or_(Award.lot_id.in_(lot_ids), Award.id.in_(subcontracted)))
    return stmt.where(Award.lot_id.in_(lot_ids))


def sees_all_subcontractors(user: Any, award: Any) -> bool:
    """A provider other than the award's main contractor sees only its own subcontracting of
    the award; everyone else who reaches the award sees all of them."""
    return getattr(user, "role", None) != Role.PROVIDER or user.organisation_id == award.provider_id

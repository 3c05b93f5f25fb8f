"""Reach: the one place that decides what each user may see and do (SPEC section 1).

Queries are scoped here, so that a view cannot forget the tenant filter. An object outside a
user's reach is reported as absent (404); a visible target whose action is not the user's is 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Select, false, or_, select

from central.core.errors import N_, Forbidden, NotFound

if TYPE_CHECKING:
    from central.accounts.models import User

M = TypeVar("M")


def leads_framework(user: Any, framework: Any) -> bool:
    """Whether `user` is a coordinator of the lead authority of `framework` (a Framework or its
    id): the one who runs it, decides its credits and moves or cancels its rounds."""
    if getattr(user, "role", None) != "coordinator":
        return False
    from central.extensions import db
    from central.frameworks.models import Framework

    if not isinstance(framework, Framework):
        framework = db.session.get(Framework, framework)
    return framework is not None and framework.lead_organisation_id == user.organisation_id


def require_role(user: User, *roles: str) -> None:
    """Refuse (403) an action reserved to other roles."""
    if not user.is_authenticated or user.role not in roles:
        raise Forbidden(N_("This action is not available to your role."))


def visible_organisations(user: User) -> Select:
    """Organisations a user may read: all for an admin, otherwise its own; a coordinator also
    the members with an approved accession to, and the providers awarded on, the concluded
    frameworks it leads (SPEC 7.0: naming or awarding on a draft opens only the public identity,
    which the framework's own pages show); a member also the lead authorities of the frameworks
    it is named in."""
    from central.frameworks.models import Framework
    from central.organisations.models import Organisation

    stmt = select(Organisation)
    if user.role == "admin":
        return stmt
    if user.organisation_id is None:
        return stmt.where(false())
    org_id = user.organisation_id
    reach = [Organisation.id == org_id]
    if user.role == "coordinator":
        reach.append(Organisation.id.in_(_members_under_led_frameworks(org_id)))
        reach.append(Organisation.id.in_(_providers_under_led_frameworks(org_id)))
    if user.role in ("member", "coordinator"):
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
        reach.append(Organisation.kind.in_(["fire_zone", "water_company"]))
    if user.role == "viewer":
        reach.append(Organisation.id.in_(members_naming(org_id)))
    return stmt.where(or_(*reach))


def led_frameworks(org_id: int | None) -> Select:
    """Ids of the frameworks an authority leads: the only ones its coordinators' views of a
    member or provider count (SPEC 7.0)."""
    from central.frameworks.models import Framework

    return select(Framework.id).where(Framework.lead_organisation_id == org_id)


def _providers_under_led_frameworks(org_id: int) -> Select:
    """Ids of the providers awarded a lot of a concluded (not draft) framework an authority
    leads."""
    from central.frameworks.models import Award, Framework, Lot

    return (
        select(Award.provider_id)
        .join(Lot, Lot.id == Award.lot_id)
        .join(Framework, Framework.id == Lot.framework_id)
        .where(Framework.lead_organisation_id == org_id, Framework.status != "draft")
    )


def coordinated_providers(user: User) -> Select:
    """Ids of the providers whose workload a coordinator may follow (an award on a concluded
    framework its authority leads); none for other roles."""
    stmt = _providers_under_led_frameworks(user.organisation_id)
    return stmt if user.role == "coordinator" else stmt.where(false())


def members_naming(org_id: int) -> Select:
    """Ids of the member authorities that name an organisation as their fire zone or water
    company (SPEC 7.4): the members whose hydrants its viewers read."""
    from central.organisations.models import Organisation

    return select(Organisation.id).where(
        Organisation.kind == "authority",
        or_(Organisation.fire_zone_id == org_id, Organisation.water_company_id == org_id),
    )


def named_frameworks(org_id: int) -> Select:
    """Ids of the concluded (not draft) frameworks an authority is named a beneficiary of."""
    from central.frameworks.models import Framework, FrameworkBeneficiary

    return (
        select(FrameworkBeneficiary.framework_id)
        .join(Framework, Framework.id == FrameworkBeneficiary.framework_id)
        .where(FrameworkBeneficiary.organisation_id == org_id, Framework.status != "draft")
    )


def visible_frameworks(user: User) -> Select:
    """Frameworks a user may read: an admin all; a coordinator those its authority leads (and,
    acting as a member, those it is named in); a member the concluded frameworks it is named
    in; a provider the concluded frameworks where it holds an award."""
    from central.frameworks.models import Award, Framework, Lot

    stmt = select(Framework)
    if user.role == "admin":
        return stmt
    org_id = user.organisation_id
    if org_id is None:
        return stmt.where(false())
    if user.role == "coordinator":
        return stmt.where(
            or_(
                Framework.lead_organisation_id == org_id,
                Framework.id.in_(named_frameworks(org_id)),
            )
        )
    if user.role == "member":
        return stmt.where(Framework.id.in_(named_frameworks(org_id)))
    if user.role == "provider":
        awarded = (
            select(Lot.framework_id)
            .join(Award, Award.lot_id == Lot.id)
            .where(Award.provider_id == org_id)
        )
        return stmt.where(Framework.id.in_(awarded), Framework.status != "draft")
    return stmt.where(false())


def visible_lots(user: User) -> Select:
    """Lots of the frameworks a user may read."""
    from central.frameworks.models import Framework, Lot

    framework_ids = visible_frameworks(user).with_only_columns(Framework.id)
    return select(Lot).where(Lot.framework_id.in_(framework_ids))


def visible_accessions(user: User) -> Select:
    """Accessions a user may read: an admin all; a member its authority's; a coordinator also
    those to the frameworks its authority leads; a provider none."""
    from central.frameworks.models import Accession, Framework

    stmt = select(Accession)
    if user.role == "admin":
        return stmt
    org_id = user.organisation_id
    if org_id is None or user.role not in ("member", "coordinator"):
        return stmt.where(false())
    if user.role == "coordinator":
        led = select(Framework.id).where(Framework.lead_organisation_id == org_id)
        return stmt.where(or_(Accession.member_id == org_id, Accession.framework_id.in_(led)))
    return stmt.where(Accession.member_id == org_id)


def _led_lots(org_id: int) -> Select:
    """Ids of the lots of the frameworks an authority leads."""
    from central.frameworks.models import Framework, Lot

    return (
        select(Lot.id)
        .join(Framework, Framework.id == Lot.framework_id)
        .where(Framework.lead_organisation_id == org_id)
    )


def _members_under_led_frameworks(org_id: int) -> Select:
    """Ids of the members with an approved accession to a framework an authority leads."""
    from central.frameworks.models import Accession, Framework

    return (
        select(Accession.member_id)
        .join(Framework, Framework.id == Accession.framework_id)
        .where(Framework.lead_organisation_id == org_id, Accession.status == "approved")
    )


def visible_assets(user: User) -> Select:
    """Assets a user may read: a member its authority's; a coordinator its own authority's and
    those of the members acceded to the frameworks it leads (read only); a viewer those of the
    members that name its fire zone or water company (read only, SPEC 7.4); others none."""
    from central.assets.models import Asset

    stmt = select(Asset)
    org_id = user.organisation_id
    if org_id is not None and user.role == "viewer":
        return stmt.where(Asset.member_id.in_(members_naming(org_id)))
    if org_id is None or user.role not in ("member", "coordinator"):
        return stmt.where(false())
    if user.role == "coordinator":
        return stmt.where(
            or_(
                Asset.member_id == org_id,
                Asset.member_id.in_(_members_under_led_frameworks(org_id)),
            )
        )
    return stmt.where(Asset.member_id == org_id)


def visible_service_plans(user: User) -> Select:
    """Service plans a user may read: a member its authority's; a coordinator also those in the
    lots of the frameworks it leads (read only)."""
    from central.assets.models import ServicePlan

    stmt = select(ServicePlan)
    org_id = user.organisation_id
    if org_id is None or user.role not in ("member", "coordinator"):
        return stmt.where(false())
    if user.role == "coordinator":
        return stmt.where(
            or_(ServicePlan.member_id == org_id, ServicePlan.lot_id.in_(_led_lots(org_id)))
        )
    return stmt.where(ServicePlan.member_id == org_id)


def visible_needs(user: User) -> Select:
    """Needs a user may read: a member its authority's; a coordinator also the needs in the lots
    of the frameworks it leads (read only)."""
    from central.assets.models import Need

    stmt = select(Need)
    org_id = user.organisation_id
    if org_id is None or user.role not in ("member", "coordinator"):
        return stmt.where(false())
    if user.role == "coordinator":
        return stmt.where(or_(Need.member_id == org_id, Need.lot_id.in_(_led_lots(org_id))))
    return stmt.where(Need.member_id == org_id)


def require_own_authority(user: User, member_id: int) -> None:
    """Refuse (403) a change to a visible object of another authority: a coordinator reads its
    members' inventories but keeps only its own authority's."""
    require_role(user, "member", "coordinator")
    if user.organisation_id != member_id:
        raise Forbidden(N_("Only the authority that owns this can change it."))


def visible_users(user: User) -> Select:
    """User accounts a user may read: all for an admin, only itself otherwise."""
    from central.accounts.models import User as UserModel

    stmt = select(UserModel)
    return stmt if user.role == "admin" else stmt.where(UserModel.id == user.id)


def visible_report_members(user: User) -> Select:
    """Member authorities whose budgets and reports a user may read: a member its own; a
    coordinator its own and the members with an approved accession to a framework it leads
    (naming a beneficiary opens only its public identity); others none."""
    from central.organisations.models import Organisation

    stmt = select(Organisation).where(Organisation.kind == "authority")
    org_id = user.organisation_id
    if org_id is None or user.role not in ("member", "coordinator"):
        return stmt.where(false())
    if user.role == "coordinator":
        return stmt.where(
            or_(
                Organisation.id == org_id,
                Organisation.id.in_(_members_under_led_frameworks(org_id)),
            )
        )
    return stmt.where(Organisation.id == org_id)


def report_lines_scope(user: User, member_id: int) -> Any:
    """SQL condition on a framework id column's lines a user may see in a member's statement:
    all of them for its own authority; a coordinator otherwise only the lines of the frameworks
    its authority leads (None: no restriction)."""
    from central.frameworks.models import Framework

    if user.organisation_id == member_id:
        return None
    return Framework.lead_organisation_id == user.organisation_id


def _own_and_succeeded(org_id: int) -> Select:
    """An authority and those it succeeded (SPEC 7.2: their history is read by its users)."""
    from central.organisations.models import Organisation

    return select(Organisation.id).where(
        or_(Organisation.id == org_id, Organisation.succeeded_by_id == org_id)
    )


def visible_statements(user: User) -> Select:
    """Issued statements a user may read: a member its authority's (and those of the
    authorities it succeeded); a coordinator also those under the frameworks its authority
    leads; others none."""
    from central.frameworks.models import Framework
    from central.reports.models import Statement

    stmt = select(Statement)
    org_id = user.organisation_id
    if org_id is None or user.role not in ("member", "coordinator"):
        return stmt.where(false())
    if user.role == "coordinator":
        led = select(Framework.id).where(Framework.lead_organisation_id == org_id)
        return stmt.where(
            or_(
                Statement.member_id.in_(_own_and_succeeded(org_id)),
                Statement.framework_id.in_(led),
            )
        )
    return stmt.where(Statement.member_id.in_(_own_and_succeeded(org_id)))


def _round_reach(user: User) -> Any:
    """SQL condition on Round for a user's reach: a provider the rounds assigned to it; a member
    its authority's (and those of the authorities it succeeded, SPEC 7.2); a coordinator its own
    authority's and those under the frameworks it leads; others none."""
    from central.frameworks.models import Framework
    from central.planning.models import Round

    org_id = user.organisation_id
    if org_id is None:
        return false()
    if user.role == "provider":
        return Round.provider_id == org_id
    if user.role == "member":
        return Round.member_id.in_(_own_and_succeeded(org_id))
    if user.role == "coordinator":
        led = select(Framework.id).where(Framework.lead_organisation_id == org_id)
        return or_(Round.member_id.in_(_own_and_succeeded(org_id)), Round.framework_id.in_(led))
    return false()


def visible_rounds(user: User) -> Select:
    """Rounds a user may read (see `_round_reach`)."""
    from central.planning.models import Round

    return select(Round).where(_round_reach(user))


def _subcontracted_to(org_id: int) -> Any:
    """SQL condition on Task (joined to its Round): a task of a task type that an award's
    running subcontracting gives to organisation `org_id`, on a round of that award's main
    contractor in that award's lot (SPEC 7.3, Ghent)."""
    from sqlalchemy import exists

    from central.frameworks.models import Award, AwardSubcontractor, SubcontractedTaskType
    from central.planning.models import Round, Task

    return exists(
        select(SubcontractedTaskType.id)
        .join(AwardSubcontractor, AwardSubcontractor.id == SubcontractedTaskType.subcontractor_id)
        .join(Award, Award.id == SubcontractedTaskType.award_id)
        .where(
            SubcontractedTaskType.active,
            SubcontractedTaskType.task_type_id == Task.task_type_id,
            AwardSubcontractor.organisation_id == org_id,
            Award.lot_id == Round.lot_id,
            Award.provider_id == Round.provider_id,
        )
    )


def visible_tasks(user: User) -> Select:
    """Tasks of the rounds a user may read; a subcontractor's users also the tasks of its task
    types on its main contractors' rounds (SPEC 7.3; not the rounds themselves)."""
    from central.planning.models import Round, Task

    stmt = select(Task).join(Round, Round.id == Task.round_id)
    if user.role == "provider" and user.organisation_id is not None:
        return stmt.where(or_(_round_reach(user), _subcontracted_to(user.organisation_id)))
    return stmt.where(_round_reach(user))


def subcontracted_tasks(user: User) -> Select:
    """The tasks a provider's users do as a social-economy subcontractor (SPEC 7.3): those of
    its task types on its main contractors' rounds; none for other roles."""
    from central.planning.models import Round, Task

    stmt = select(Task).join(Round, Round.id == Task.round_id)
    if user.role != "provider" or user.organisation_id is None:
        return stmt.where(false())
    return stmt.where(
        Round.provider_id != user.organisation_id, _subcontracted_to(user.organisation_id)
    )


def labour_rounds(user: User) -> Select:
    """Rounds a user may log labour on or read labour of: those in reach, and for a
    subcontractor's users the rounds holding tasks subcontracted to it (its own labour only)."""
    from central.planning.models import Round, Task

    if user.role != "provider" or user.organisation_id is None:
        return visible_rounds(user)
    sub = (
        select(Task.round_id)
        .join(Round, Round.id == Task.round_id)
        .where(_subcontracted_to(user.organisation_id))
    )
    return select(Round).where(or_(_round_reach(user), Round.id.in_(sub)))


def sees_round_labour(user: Any, round_: Any) -> bool:
    """Whether a user who reaches a round's labour reads all of it: everyone but a
    subcontractor's users, who read only their own."""
    return getattr(user, "role", None) != "provider" or user.organisation_id == round_.provider_id


def is_round_provider(user: Any, round_: Any) -> bool:
    """Whether `user` is of the provider the round is assigned to (its main contractor)."""
    return getattr(user, "role", None) == "provider" and user.organisation_id == round_.provider_id


def works_on_task(user: Any, task: Any) -> bool:
    """Whether `user`'s crew records `task`: the round's provider, or a subcontractor its
    award gives the task's type to (SPEC 7.3)."""
    if is_round_provider(user, task.round):
        return True
    if getattr(user, "role", None) != "provider" or user.organisation_id is None:
        return False
    from central.extensions import db
    from central.planning.models import Task

    return (
        db.session.scalar(
            subcontracted_tasks(user).with_only_columns(Task.id).where(Task.id == task.id)
        )
        is not None
    )


def works_on_round(user: Any, round_: Any) -> bool:
    """Whether `user`'s crew works on the round: its provider, or a subcontractor of one of
    its tasks (who logs its own labour on it)."""
    if is_round_provider(user, round_):
        return True
    if getattr(user, "role", None) != "provider" or user.organisation_id is None:
        return False
    from central.extensions import db
    from central.planning.models import Task

    return (
        db.session.scalar(
            subcontracted_tasks(user)
            .with_only_columns(Task.id)
            .where(Task.round_id == round_.id)
            .limit(1)
        )
        is not None
    )


def sees_prices(user: Any, task: Any) -> bool:
    """Prices and amounts of a task are not a subcontractor's to see (SPEC 7.3): everyone who
    reaches the task through its round sees them."""
    return not (
        getattr(user, "role", None) == "provider" and user.organisation_id != task.round.provider_id
    )


def sees_all_subcontractors(user: Any, award: Any) -> bool:
    """A provider other than the award's main contractor sees only its own subcontracting of
    the award; everyone else who reaches the award sees all of them."""
    return getattr(user, "role", None) != "provider" or user.organisation_id == award.provider_id


def plan_awards(user: User) -> Select:
    """Awards whose social action plan and progress a user reaches (SPEC 7.3): a provider its
    own awards (another's answers 404); a coordinator the awards of the frameworks its
    authority leads; an admin all; others none."""
    from central.frameworks.models import Award, Framework, Lot

    stmt = select(Award)
    if user.role == "admin":
        return stmt
    org_id = user.organisation_id
    if org_id is None:
        return stmt.where(false())
    if user.role == "provider":
        return stmt.where(Award.provider_id == org_id)
    if user.role == "coordinator":
        led = (
            select(Lot.id)
            .join(Framework, Framework.id == Lot.framework_id)
            .where(Framework.lead_organisation_id == org_id)
        )
        return stmt.where(Award.lot_id.in_(led))
    return stmt.where(false())


def visible_awards(user: User) -> Select:
    """Awards a user may read: those of the lots in reach; a provider also the awards it is a
    subcontractor of (SPEC 7.3)."""
    from central.frameworks.models import Award, AwardSubcontractor, Lot

    lot_ids = visible_lots(user).with_only_columns(Lot.id)
    stmt = select(Award)
    if user.role == "provider" and user.organisation_id is not None:
        subcontracted = select(AwardSubcontractor.award_id).where(
            AwardSubcontractor.organisation_id == user.organisation_id
        )
        return stmt.where(or_(Award.lot_id.in_(lot_ids), Award.id.in_(subcontracted)))
    return stmt.where(Award.lot_id.in_(lot_ids))


def get_visible(stmt: Select, model: type[M], object_id: Any) -> M:
    """Load one object from a reach-scoped query, or raise NotFound."""
    from central.extensions import db

    # Ids are 32-bit integers on every database; a larger number names nothing (not a 500).
    if isinstance(object_id, int) and not 0 < object_id < 2**31:
        raise NotFound(N_("Not found."))
    obj = db.session.scalar(stmt.where(model.id == object_id))  # type: ignore[attr-defined]
    if obj is None:
        raise NotFound(N_("Not found."))
    return obj


# Actions offered in the UI, and the roles they belong to; the services enforce the same.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "manage_organisations": frozenset({"admin"}),
    "manage_users": frozenset({"admin"}),
    "manage_frameworks": frozenset({"coordinator"}),
    "manage_asset_kinds": frozenset({"admin", "coordinator"}),
    "view_frameworks": frozenset({"admin", "coordinator", "member", "provider"}),
    "request_accession": frozenset({"coordinator", "member"}),
    "run_jobs": frozenset({"coordinator"}),
    "view_rounds": frozenset({"coordinator", "member", "provider"}),
    "record_fieldwork": frozenset({"provider"}),
    "accept_work": frozenset({"coordinator", "member"}),
    "follow_fieldwork": frozenset({"coordinator"}),
    "view_workload": frozenset({"coordinator", "provider"}),
    "plan_crews": frozenset({"provider"}),
    "manage_assets": frozenset({"coordinator", "member"}),
    "view_reports": frozenset({"coordinator", "member"}),
    "view_consumption": frozenset({"coordinator"}),
    # SPEC 7.4: hydrants' service status, the out-of-service list and map.
    "view_hydrants": frozenset({"coordinator", "member", "viewer"}),
}


def can(action: str, user: User | None = None) -> bool:
    """Whether the user (default: the signed-in one) may take an action, for menus and buttons."""
    if user is None:
        from flask_login import current_user

        user = current_user
    return bool(user.is_authenticated and user.role in ROLE_ACTIONS.get(action, ()))

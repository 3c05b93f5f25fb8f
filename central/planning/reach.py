"""Reach of the planning domain (SPEC section 1, 7.2, 7.3): the rounds and tasks a user may read,
what a subcontractor's users work on, and who sees a task's prices.

Each scope function registered with `@reach(Model)` is the one `core.permissions.visible(user,
Model)` and `get_visible_for(user, Model, id)` dispatch to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, exists, false, or_, select

from central.core.permissions import reach
from central.core.roles import Role
from central.extensions import db
from central.frameworks.models import Award, AwardSubcontractor, Framework, SubcontractedTaskType
from central.organisations.reach import own_and_succeeded
from central.planning.models import Round, Task

if TYPE_CHECKING:
    from central.accounts.models import User


def _round_reach(user: User) -> Any:
    """SQL condition on Round for a user's reach: a provider the rounds assigned to it; a member
    its authority's (and those of the authorities it succeeded, SPEC 7.2); a coordinator its own
    authority's and those under the frameworks it leads; others none."""
    org_id = user.organisation_id
    if org_id is None:
        return false()
    if user.role == Role.PROVIDER:
        return Round.provider_id == org_id
    if user.role == Role.MEMBER:
        return Round.member_id.in_(own_and_succeeded(org_id))
    if user.role == Role.COORDINATOR:
        led = select(Framework.id).where(Framework.lead_organisation_id == org_id)
        return or_(Round.member_id.in_(own_and_succeeded(org_id)), Round.framework_id.in_(led))
    return false()


@reach(Round)
def visible_rounds(user: User) -> Select:
    """Rounds a user may read (see `_round_reach`)."""
    return select(Round).where(_round_reach(user))


def _subcontracted_to(org_id: int) -> Any:
    """SQL condition on Task (joined to its Round): a task of a task type that an award's
    running subcontracting gives to organisation `org_id`, on a round of that award's main
    contractor in that award's lot (SPEC 7.3, Ghent)."""
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


@reach(Task)
def visible_tasks(user: User) -> Select:
    """Tasks of the rounds a user may read; a subcontractor's users also the tasks of its task
    types on its main contractors' rounds (SPEC 7.3; not the rounds themselves)."""
    stmt = select(Task).join(Round, Round.id == Task.round_id)
    if user.role == Role.PROVIDER and user.organisation_id is not None:
        return stmt.where(or_(_round_reach(user), _subcontracted_to(user.organisation_id)))
    return stmt.where(_round_reach(user))


def subcontracted_tasks(user: User) -> Select:
    """The tasks a provider's users do as a social-economy subcontractor (SPEC 7.3): those of
    its task types on its main contractors' rounds; none for other roles."""
    stmt = select(Task).join(Round, Round.id == Task.round_id)
    if user.role != Role.PROVIDER or user.organisation_id is None:
        return stmt.where(false())
    return stmt.where(
        Round.provider_id != user.organisation_id, _subcontracted_to(user.organisation_id)
    )


def labour_rounds(user: User) -> Select:
    """Rounds a user may log labour on or read labour of: those in reach, and for a
    subcontractor's users the rounds holding tasks subcontracted to it (its own labour only)."""
    if user.role != Role.PROVIDER or user.organisation_id is None:
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
    return (
        getattr(user, "role", None) != Role.PROVIDER or user.organisation_id == round_.provider_id
    )


def is_round_provider(user: Any, round_: Any) -> bool:
    """Whether `user` is of the provider the round is assigned to (its main contractor)."""
    return (
        getattr(user, "role", None) == Role.PROVIDER and user.organisation_id == round_.provider_id
    )


def works_on_task(user: Any, task: Any) -> bool:
    """Whether `user`'s crew records `task`: the round's provider, or a subcontractor its
    award gives the task's type to (SPEC 7.3)."""
    if is_round_provider(user, task.round):
        return True
    if getattr(user, "role", None) != Role.PROVIDER or user.organisation_id is None:
        return False

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
    if getattr(user, "role", None) != Role.PROVIDER or user.organisation_id is None:
        return False

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
        getattr(user, "role", None) == Role.PROVIDER
        and user.organisation_id != task.round.provider_id
    )

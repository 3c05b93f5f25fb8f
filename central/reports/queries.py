"""Read queries of the progress dashboards: per member, what was inspected this year against
what is due by the end of the year, overdue rounds and open defects; per provider, its
completion rate and overdue rounds (its weekly workload comes from planning)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, distinct, func, select, true

from central.assets.models import Need, NeedSource, NeedStatus, ServicePlan
from central.assets.queries import due_assets
from central.extensions import db
from central.frameworks.models import Lot
from central.organisations.models import Organisation
from central.planning.models import Round, RoundStatus, Task, TaskStatus

SERVED_RESULTS = ("ok", "defect")
OPEN_DEFECT_STATUSES = (NeedStatus.OPEN, NeedStatus.PLANNED)


@dataclass(frozen=True)
class MemberProgress:
    member_id: int
    name: str
    inspected: int  # tasks served this year (done or accepted, ok or defect)
    still_due: int  # assets due by 31 December and not served since
    overdue_rounds: int
    open_defects: int

    @property
    def due(self) -> int:
        """This year's work: what was done plus what is still due by the end of the year."""
        return self.inspected + self.still_due

    @property
    def percent(self) -> int | None:
        """Share of this year's work done; None when nothing is due (0 of 0 is not "100 %")."""
        return round(100 * self.inspected / self.due) if self.due else None


def member_progress(
    member_ids: Iterable[int], today: date, *, frameworks: Select | None = None
) -> list[MemberProgress]:
    """Progress of each member authority in the current year (rules 10, 14, 15); `frameworks`
    (ids), when given, counts only the work under those frameworks (a coordinator's view of a
    member shared with another central, SPEC 7.0)."""
    ids = sorted(set(member_ids))
    if not ids:
        return []
    in_rounds, in_plans, in_needs = true(), true(), true()
    if frameworks is not None:
        lots = select(Lot.id).where(Lot.framework_id.in_(frameworks))
        in_rounds = Round.framework_id.in_(frameworks)
        in_plans = ServicePlan.lot_id.in_(lots)
        in_needs = Need.lot_id.in_(lots)
    first = date(today.year, 1, 1)
    inspected = dict(
        db.session.execute(
            select(Round.member_id, func.count())
            .join(Task, Task.round_id == Round.id)
            .where(
                Round.member_id.in_(ids),
                in_rounds,
                Task.status.in_([TaskStatus.DONE, TaskStatus.ACCEPTED]),
                Task.result.in_(SERVED_RESULTS),
                Task.done_on >= first,
                Task.done_on <= today,
            )
            .group_by(Round.member_id)
        ).all()
    )
    due = (
        due_assets(date(today.year, 12, 31), plan_filter=[ServicePlan.member_id.in_(ids), in_plans])
        .add_columns(ServicePlan.member_id.label("member_id"))
        .subquery("due")
    )
    still_due = dict(
        db.session.execute(
            select(due.c.member_id, func.count(distinct(due.c.asset_id))).group_by(due.c.member_id)
        ).all()
    )
    overdue = dict(
        db.session.execute(
            select(Round.member_id, func.count())
            .where(Round.member_id.in_(ids), in_rounds, Round.status == RoundStatus.OVERDUE)
            .group_by(Round.member_id)
        ).all()
    )
    defects = dict(
        db.session.execute(
            select(Need.member_id, func.count())
            .where(
                Need.member_id.in_(ids),
                in_needs,
                Need.source == NeedSource.DEFECT,
                Need.status.in_(list(OPEN_DEFECT_STATUSES)),
            )
            .group_by(Need.member_id)
        ).all()
    )
    names = dict(
        db.session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
        ).all()
    )
    return sorted(
        (
            MemberProgress(
                member_id=member_id,
                name=names.get(member_id, str(member_id)),
                inspected=int(inspected.get(member_id, 0)),
                still_due=int(still_due.get(member_id, 0)),
                overdue_rounds=int(overdue.get(member_id, 0)),
                open_defects=int(defects.get(member_id, 0)),
            )
            for member_id in ids
        ),
        key=lambda p: p.name,
    )


@dataclass(frozen=True)
class ProviderProgress:
    completed: int  # tasks done, accepted or closed, due this year up to today
    planned: int  # every task not cancelled, due this year up to today
    overdue_rounds: int
    open_tasks: int  # open or contested tasks in its rounds, whenever due

    @property
    def percent(self) -> int | None:
        """Completion rate; None when nothing was due yet."""
        return round(100 * self.completed / self.planned) if self.planned else None


def provider_progress(provider_id: int, today: date) -> ProviderProgress:
    """A provider's completion rate this year and what is still in its hands."""
    first = date(today.year, 1, 1)
    scoped = (
        select(Task.status, func.count())
        .join(Round, Round.id == Task.round_id)
        .where(
            Round.provider_id == provider_id,
            Task.status != TaskStatus.CANCELLED,
            Task.due_date >= first,
            Task.due_date <= today,
        )
        .group_by(Task.status)
    )
    by_status = {status: int(n) for status, n in db.session.execute(scoped)}
    planned = sum(by_status.values())
    completed = by_status.get(TaskStatus.DONE, 0) + by_status.get(TaskStatus.ACCEPTED, 0)
    overdue = db.session.scalar(
        select(func.count()).where(
            Round.provider_id == provider_id, Round.status == RoundStatus.OVERDUE
        )
    )
    open_tasks = db.session.scalar(
        select(func.count())
        .select_from(Task)
        .join(Round, Round.id == Task.round_id)
        .where(
            Round.provider_id == provider_id,
            Task.status.in_([TaskStatus.OPEN, TaskStatus.CONTESTED]),
        )
    )
    return ProviderProgress(completed, planned, int(overdue or 0), int(open_tasks or 0))

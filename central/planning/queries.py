"""Read queries over rounds and tasks: committed amounts (rule 2), last service dates (rule 10),
a provider's workload by week and a round's stops for the map."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import (
    BindParameter,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    true,
)

from central.core.errors import N_, ValidationError
from central.extensions import db
from central.frameworks.queries import AmountRow
from central.planning.models import (
    OPEN_TASK_STATUSES,
    SERVED_TASK_STATUSES,
    UNBILLED_RESULTS,
    Round,
    RoundStatus,
    Task,
    TaskStatus,
)
from central.planning.reach import visible_rounds


def literal_statuses(statuses) -> BindParameter:
    """Task statuses written into the SQL itself rather than sent as parameters: only then can
    SQLite (and PostgreSQL's generic plans) see that a query lies within a partial index on
    `status IN (...)` (the open and the served tasks of an asset)."""
    return bindparam(None, [str(s) for s in statuses], expanding=True, literal_execute=True)


def counting_task():
    """SQL: the task counts towards committed value (rule 2): not cancelled, and not closed as
    inaccessible or not found."""
    return and_(
        Task.status != TaskStatus.CANCELLED,
        or_(Task.result.is_(None), Task.result.not_in(list(UNBILLED_RESULTS))),
    )


def task_amount_rows(framework_id: int) -> Iterable[AmountRow]:
    """The tasks of a framework grouped by lot, stage and stored amount (for rule 2)."""
    stage = case(
        (Task.status == TaskStatus.ACCEPTED, literal("accepted")),
        (Task.status == TaskStatus.DONE, literal("done")),
        else_=literal("open"),
    )
    stmt = (
        select(Round.lot_id, stage, Task.amount, func.count())
        .join(Round, Round.id == Task.round_id)
        .where(Round.framework_id == framework_id, counting_task())
        .group_by(Round.lot_id, stage, Task.amount)
    )
    for lot_id, row_stage, amount, tasks in db.session.execute(stmt):
        yield AmountRow(lot_id, row_stage, amount, tasks)


def planned_again(task: Task) -> bool:
    """§7.1: the work of `task` has since been planned again (a later task, not cancelled): for
    a task of a service plan, a later plan task on its asset with its task-type code; for a
    task of a need, a later task of that need. A member's need may add a second task of the
    same code without making a plan task planned again."""
    if task.need_id is not None:
        same_work = Task.need_id == task.need_id
    elif task.asset_id is not None:
        same_work = and_(
            Task.asset_id == task.asset_id,
            Task.task_type == task.task_type,
            Task.need_id.is_(None),
        )
    else:
        return False
    return bool(
        db.session.scalar(
            select(
                select(Task.id)
                .where(same_work, Task.id > task.id, Task.status != TaskStatus.CANCELLED)
                .exists()
            )
        )
    )


def last_service_query() -> Select:
    """Per asset and task-type code, the day of its last done or accepted task that served it
    (not closed as inaccessible or not found), under any framework (rule 10)."""
    return (
        select(
            Task.asset_id.label("asset_id"),
            Task.task_type.label("task_type"),
            func.max(Task.done_on).label("last_served"),
        )
        .where(
            Task.asset_id.is_not(None),
            Task.status.in_(literal_statuses(SERVED_TASK_STATUSES)),
            or_(Task.result.is_(None), Task.result.not_in(list(UNBILLED_RESULTS))),
        )
        .group_by(Task.asset_id, Task.task_type)
    )


def last_served(asset_id_column, task_type_column):
    """SQL: the day the asset was last served for the task-type code (its last done or accepted
    task not closed as inaccessible or not found, under any framework; NULL if never), as a
    correlated lookup of that one asset and code in `ix_tasks_served_asset_task_type`, which
    covers it (rule 10). Unlike `last_service_query()` it reads only the assets asked about."""
    return (
        select(func.max(Task.done_on))
        .where(
            Task.asset_id == asset_id_column,
            Task.task_type == task_type_column,
            Task.status.in_(literal_statuses(SERVED_TASK_STATUSES)),
            or_(Task.result.is_(None), Task.result.not_in(list(UNBILLED_RESULTS))),
        )
        .scalar_subquery()
    )


def open_task_exists(asset_id_column, task_type_column):
    """SQL: the asset already has an open task of the code (rule 11): a lookup in the partial
    unique index of open tasks."""
    return (
        select(Task.id)
        .where(
            Task.asset_id == asset_id_column,
            Task.task_type == task_type_column,
            Task.status.in_(literal_statuses(OPEN_TASK_STATUSES)),
        )
        .exists()
    )


def monday(day: date) -> date:
    """The Monday of the week `day` falls in."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Stop:
    """A task of a round as the crew and the map see it: in route order, with its place."""

    id: int
    sequence: int
    asset_id: int | None
    need_id: int | None
    task_type: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal
    due_date: date
    status: str
    result: str | None
    lat: float | None
    lon: float | None
    place: str | None
    code: str | None


def stops(round_: Round) -> list[Stop]:
    """The round's tasks in route order with their place, in one query."""
    from central.assets.models import Asset, Need

    rows = db.session.execute(
        select(
            Task,
            Asset.code,
            Asset.street,
            Asset.house_number,
            Asset.municipality,
            func.coalesce(Asset.lat, Need.lat),
            func.coalesce(Asset.lon, Need.lon),
            Need.address,
        )
        .outerjoin(Asset, Asset.id == Task.asset_id)
        .outerjoin(Need, Need.id == Task.need_id)
        .where(Task.round_id == round_.id)
        .order_by(Task.sequence)
    )
    result = []
    for task, code, street, number, town, lat, lon, address in rows:
        if code is not None:
            place = ", ".join(p for p in (" ".join(p for p in (street, number) if p), town) if p)
        else:
            place = address
        result.append(
            Stop(
                task.id,
                task.sequence,
                task.asset_id,
                task.need_id,
                task.task_type,
                task.quantity,
                task.unit,
                task.unit_price,
                task.amount,
                task.vat_rate,
                task.due_date,
                task.status,
                task.result,
                lat,
                lon,
                place,
                code,
            )
        )
    return result


def weekly_load(
    provider_id: int, first_week: date, weeks: int, *, frameworks: Select | None = None
) -> list[dict]:
    """A provider's scheduled work per week from `first_week` on: rounds and tasks per lot,
    with the capacity awarded for that lot (rule 13). A round moved within its week counts in
    that week. `frameworks` (ids), when given, limits it to those frameworks' lots."""
    from central.frameworks.models import Award, Framework, Lot

    last_day = first_week + timedelta(weeks=weeks) - timedelta(days=1)
    rows = db.session.execute(
        select(
            Round.scheduled_date,
            Round.lot_id,
            func.count(Round.id),
            func.coalesce(func.sum(Round.task_count), 0),
        )
        .where(
            Round.provider_id == provider_id,
            Round.scheduled_date.between(first_week, last_day),
            Round.status != RoundStatus.CANCELLED,
            true() if frameworks is None else Round.framework_id.in_(frameworks),
        )
        .group_by(Round.scheduled_date, Round.lot_id)
    ).all()
    lots = {
        lot.id: (lot, framework, capacity)
        for lot, framework, capacity in db.session.execute(
            select(Lot, Framework, Award.weekly_capacity)
            .join(Framework, Framework.id == Lot.framework_id)
            .join(Award, and_(Award.lot_id == Lot.id, Award.provider_id == provider_id))
        )
    }
    totals: dict[tuple[date, int], list[int]] = {}
    for day, lot_id, rounds, tasks in rows:
        key = (monday(day), lot_id)
        total = totals.setdefault(key, [0, 0])
        total[0] += rounds
        total[1] += int(tasks)
    weeks_out = []
    for n in range(weeks):
        week = first_week + timedelta(weeks=n)
        entries = []
        for (start, lot_id), (rounds, tasks) in sorted(totals.items(), key=lambda kv: kv[0][1]):
            if start != week:
                continue
            lot, framework, capacity = lots.get(lot_id, (None, None, None))
            entries.append(
                {
                    "lot": lot,
                    "framework": framework,
                    "rounds": rounds,
                    "tasks": tasks,
                    "capacity": capacity,
                }
            )
        weeks_out.append({"week": week, "lots": entries})
    return weeks_out


# The round list's filters (the API's query string and the rounds page).
INTEGER_FILTERS = ("framework_id", "lot_id", "member_id", "provider_id")


def filtered_rounds(user, args):
    """Rounds in the user's reach, filtered by the query string (400 on a bad filter)."""
    stmt = visible_rounds(user)
    errors = {}
    for name in INTEGER_FILTERS:
        raw = args.get(name)
        if raw:
            if not raw.isdigit():
                errors[name] = N_("Not a number.")
            else:
                stmt = stmt.where(getattr(Round, name) == int(raw))
    status = args.get("status")
    if status:
        if status not in {s.value for s in RoundStatus}:
            errors["status"] = N_("Not a round status.")
        else:
            stmt = stmt.where(Round.status == status)
    for name, compare in (("scheduled_from", "__ge__"), ("scheduled_to", "__le__")):
        raw = args.get(name)
        if raw:
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                errors[name] = N_("Use YYYY-MM-DD.")
            else:
                stmt = stmt.where(getattr(Round.scheduled_date, compare)(day))
    if errors:
        raise ValidationError(N_("The filters are not valid."), fields=errors)
    return stmt.order_by(Round.due_date, Round.id)

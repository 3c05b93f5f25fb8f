"""Read queries on assets: kinds, last service dates and dueness (rule 10), for pages and planner.

Dueness (rule 10): an asset is due for a service plan when its last accepted or done task with
the plan's task-type CODE — under any framework — is older than the plan's interval, or when it
never had one. `last_service_dates()` is the one place that reads task history; every other
query here builds on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.sql import Subquery

from central.assets.models import Asset, AssetKind, AssetStatus, ServicePlan
from central.extensions import db

DUE_HORIZONS = (30, 90, 365)


@dataclass(frozen=True)
class Area:
    """The box around a member's active assets (WGS84 degrees)."""

    south: float
    west: float
    north: float
    east: float


MIN_ASSETS_FOR_AREA = 3  # fewer assets say too little about where a member lies


def member_area(member_id: int) -> Area | None:
    """The box around the member's active assets, or None when it has too few to tell."""
    row = db.session.execute(
        select(
            func.count(),
            func.min(Asset.lat),
            func.min(Asset.lon),
            func.max(Asset.lat),
            func.max(Asset.lon),
        ).where(Asset.member_id == member_id, Asset.status == AssetStatus.ACTIVE)
    ).one()
    if row[0] < MIN_ASSETS_FOR_AREA:
        return None
    return Area(*(float(v) for v in row[1:]))


def asset_kinds() -> list[AssetKind]:
    return list(db.session.scalars(select(AssetKind).order_by(AssetKind.code)))


def kind_lookup() -> dict[str, str]:
    """Lower-case code, Dutch name and English name of each asset kind -> its code. A code
    always means its own kind, whatever names other kinds carry."""
    kinds = asset_kinds()
    lookup: dict[str, str] = {}
    for kind in kinds:
        for key in (kind.name_nl, kind.name_en):
            lookup.setdefault(key.strip().lower(), kind.code)
    for kind in kinds:
        lookup[kind.code.strip().lower()] = kind.code
    return lookup


def last_service_dates() -> Subquery:
    """Per asset and task-type code, the date of its last accepted or done task, under any
    framework: columns `asset_id`, `task_type`, `last_served` (a task closed as inaccessible or
    not found served nothing). The tasks belong to planning, which owns the query."""
    from central.planning.queries import last_service_query

    return last_service_query().subquery("last_service")


def cutoff(due_by: date, interval_months: int) -> date:
    """An asset served on or before this date is due on `due_by` for this interval."""
    return due_by - relativedelta(months=interval_months)


def _intervals(plan_filter: list) -> list[int]:
    stmt = select(ServicePlan.interval_months).where(*plan_filter).distinct()
    return sorted(db.session.scalars(stmt))


def _due_condition(last_served, intervals: Iterable[int], due_by: date, interval=None):
    """SQL: due on `due_by`, given the plan's interval (the cutoff computed per interval in
    Python, so that no database-specific date arithmetic is needed). Never served counts as
    served on 1 January of year 1, so the lookup is written once."""
    interval = ServicePlan.interval_months if interval is None else interval
    whens = [(interval == m, cutoff(due_by, m)) for m in intervals]
    if not whens:
        return false()
    return func.coalesce(last_served, date.min) <= case(*whens)


def plan_assets(plan_filter: list | None = None) -> tuple[Select, ColumnElement]:
    """Every (active plan, active asset it covers) pair, with the asset's last service for the
    plan's task-type code (a lookup per pair, so that the cost follows the plans asked about,
    not the whole task history). Retired assets are never planned again."""
    from central.planning.queries import last_served as last_served_of

    last = last_served_of(Asset.id, ServicePlan.task_type)
    stmt = (
        select(
            ServicePlan.id.label("plan_id"),
            Asset.id.label("asset_id"),
            ServicePlan.interval_months,
            last.label("last_served"),
        )
        .join(
            Asset,
            and_(
                Asset.member_id == ServicePlan.member_id,
                Asset.status == AssetStatus.ACTIVE,
                or_(ServicePlan.asset_kind.is_(None), ServicePlan.asset_kind == Asset.kind),
            ),
        )
        .where(ServicePlan.active.is_(True), *(plan_filter or []))
    )
    return stmt, last


def due_assets(due_by: date, *, plan_filter: list | None = None) -> Select:
    """(plan_id, asset_id, interval_months, last_served) of every asset due on or before
    `due_by` under an active plan (rule 10), optionally narrowed by `plan_filter`
    (e.g. `[ServicePlan.lot_id == 3]`).

    For the planner: add the season (`in_season(month)`), approved accessions (rule 3) and the
    exclusion of assets with an open task of the code (rule 11) as further filters."""
    plan_filter = plan_filter or []
    stmt, last = plan_assets(plan_filter)
    intervals = _intervals([ServicePlan.active.is_(True), *plan_filter])
    return stmt.where(_due_condition(last, intervals, due_by))


def due_plan_assets(due_by: date, *columns, plan_filter: list | None = None) -> Subquery:
    """The pairs of `due_assets` (and the extra labelled `columns` of the plan or asset) as a
    subquery `due` to select from, which looks up each pair's last service once: a subquery
    the databases may not merge into the outer query (OFFSET 0), so that the due filter reads
    the looked-up day instead of repeating the lookup. For the planner, which also needs the
    day itself."""
    plan_filter = plan_filter or []
    stmt, _last = plan_assets(plan_filter)
    pairs = stmt.add_columns(*columns).offset(0).subquery("pairs")
    intervals = _intervals([ServicePlan.active.is_(True), *plan_filter])
    condition = _due_condition(pairs.c.last_served, intervals, due_by, pairs.c.interval_months)
    return select(pairs).where(condition).subquery("due")


def in_season(month: int):
    """SQL: the plan runs in `month` (1-12): all year, or its season mask has that month."""
    return or_(
        ServicePlan.season_months.is_(None),
        ServicePlan.season_months.op("&")(1 << (month - 1)) != 0,
    )


def due_counts(
    plan_ids: Iterable[int], today: date, horizons: Iterable[int] = DUE_HORIZONS
) -> dict[int, dict[int, int]]:
    """For each plan, how many of its assets are due within each horizon (days from today)."""
    ids = list(plan_ids)
    horizons = list(horizons)
    counts = {plan_id: dict.fromkeys(horizons, 0) for plan_id in ids}
    if not ids:
        return counts
    plan_filter = [ServicePlan.id.in_(ids)]
    pairs = plan_assets(plan_filter)[0].subquery("pairs")
    intervals = _intervals(plan_filter)
    columns = []
    for days in horizons:
        due_by = today + timedelta(days=days)
        whens = [(pairs.c.interval_months == m, cutoff(due_by, m)) for m in intervals]
        due = or_(pairs.c.last_served.is_(None), pairs.c.last_served <= case(*whens))
        columns.append(func.sum(case((due, 1), else_=0)).label(f"d{days}"))
    stmt = select(pairs.c.plan_id, *columns).group_by(pairs.c.plan_id)
    for row in db.session.execute(stmt):
        counts[row[0]] = {days: int(row[i + 1] or 0) for i, days in enumerate(horizons)}
    return counts


@dataclass(frozen=True)
class ServiceStatus:
    """An asset's last service (any task type) and the next date a plan makes it due; `None`
    as next due with plans means: never served, due now."""

    last_served: date | None
    next_due: date | None
    planned: bool  # some active plan covers the asset


def service_status(assets: list[Asset]) -> dict[int, ServiceStatus]:
    """Last service and next due date of a page of assets (two small queries)."""
    if not assets:
        return {}
    ids = [a.id for a in assets]
    member_ids = {a.member_id for a in assets}
    plans = list(
        db.session.scalars(
            select(ServicePlan).where(
                ServicePlan.member_id.in_(member_ids), ServicePlan.active.is_(True)
            )
        )
    )
    last = last_service_dates()
    served: dict[tuple[int, str], date] = {
        (row.asset_id, row.task_type): row.last_served
        for row in db.session.execute(select(last).where(last.c.asset_id.in_(ids)))
    }
    result = {}
    for asset in assets:
        dates = [d for (asset_id, _code), d in served.items() if asset_id == asset.id]
        last_served = max(dates) if dates else None
        due_dates: list[date | None] = []
        applicable = [
            p
            for p in plans
            if p.member_id == asset.member_id and p.asset_kind in (None, asset.kind)
        ]
        for plan in applicable:
            previous = served.get((asset.id, plan.task_type))
            due_dates.append(
                None if previous is None else previous + relativedelta(months=plan.interval_months)
            )
        if not asset.is_active or not applicable or any(d is None for d in due_dates):
            next_due = None
        else:
            next_due = min(d for d in due_dates if d is not None)
        result[asset.id] = ServiceStatus(
            last_served=last_served,
            next_due=next_due,
            planned=bool(applicable) and asset.is_active,
        )
    return result

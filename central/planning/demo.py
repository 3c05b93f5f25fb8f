"""Demo history: last year's inspection rounds, so that dueness is spread over the year.

For every member with an approved accession and an inspection plan, most hydrants were
inspected once in the past year, in compact routed rounds done by the lot's first provider and
accepted; the rest (about one in twenty, "new" hydrants) were never inspected. The nightly
`generate-rounds` then plans what falls due within the planning horizon, not everything at once.

Deterministic and idempotent: a member and lot that already have tasks get no history.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import insert, select

from central.assets.models import Asset, AssetStatus, ServicePlan
from central.core import clock
from central.core.clock import BRUSSELS
from central.core.money import task_amount
from central.extensions import db
from central.frameworks.models import Award, Lot, TaskType
from central.frameworks.queries import current_prices
from central.organisations.models import Organisation
from central.planning.jobs import MEASURED_UNITS, TASK_COLUMNS, bulk_insert
from central.planning.models import Round, Task
from central.planning.queries import monday
from central.planning.routing import plan_rounds

SEED = 20261125
NEVER_INSPECTED = 0.05
HISTORY_COLUMNS = (*TASK_COLUMNS, "result", "done_on", "done_at", "accepted_at")


def load(orgs: dict[str, Organisation]) -> None:
    """Create last year's accepted rounds of each active plan whose member and lot have no tasks
    of its task type yet: the plan's kind of asset only, in its season months, each task's
    quantity the asset's measure where the work is priced per m or m²."""
    today = clock.today()
    plans = db.session.scalars(
        select(ServicePlan)
        .where(ServicePlan.active.is_(True))
        .order_by(ServicePlan.member_id, ServicePlan.lot_id, ServicePlan.id)
    ).all()
    for plan in plans:
        has_tasks = db.session.scalar(
            select(Task.id)
            .join(Round, Round.id == Task.round_id)
            .where(
                Round.member_id == plan.member_id,
                Round.lot_id == plan.lot_id,
                Task.task_type == plan.task_type,
            )
            .limit(1)
        )
        if has_tasks is None:
            _history(plan, db.session.get(Lot, plan.lot_id), today)
    db.session.flush()


def _history(plan: ServicePlan, lot: Lot, today: date) -> None:
    member_id, code = plan.member_id, plan.task_type
    task_type = db.session.scalar(
        select(TaskType).where(TaskType.lot_id == lot.id, TaskType.code == code)
    )
    provider_id = db.session.scalar(
        select(Award.provider_id).where(Award.lot_id == lot.id).order_by(Award.rank).limit(1)
    )
    if task_type is None or provider_id is None:
        return
    # From eleven and a half months ago: the first of them fall due in about two weeks.
    first_day = max(lot.framework.start_date, today - timedelta(days=350))
    price = current_prices(lot.id, first_day).get(task_type.id) or current_prices(
        lot.id, today
    ).get(task_type.id)
    if price is None:
        return
    assets = select(Asset.id, Asset.lat, Asset.lon, Asset.measure).where(
        Asset.member_id == member_id, Asset.status == AssetStatus.ACTIVE
    )
    if plan.asset_kind is not None:
        assets = assets.where(Asset.kind == plan.asset_kind)
    rows = db.session.execute(assets.order_by(Asset.id)).all()
    rng = random.Random(f"{SEED}-{member_id}-{lot.id}")
    served = [row for row in rows if rng.random() >= NEVER_INSPECTED]
    if not served:
        return

    def quantity(row) -> Decimal:
        return row.measure if measured and row.measure is not None else Decimal("1")

    routes = plan_rounds(
        np.array([r.lat for r in served]),
        np.array([r.lon for r in served]),
        lot.max_tasks_per_round,
    )
    # Spread the rounds over the working days of the past year in the plan's season, oldest
    # first.
    season = plan.season_month_list or list(range(1, 13))
    days = [
        first_day + timedelta(days=n)
        for n in range((today - timedelta(days=30) - first_day).days + 1)
        if (first_day + timedelta(days=n)).weekday() < 5
        and (first_day + timedelta(days=n)).month in season
    ]
    if not days:
        return
    measured = price.unit in MEASURED_UNITS
    for index, route in enumerate(routes):
        done_on = days[len(days) * index // max(len(routes), 1)]
        done_at = datetime.combine(done_on, time(15, 0), BRUSSELS).astimezone(UTC)
        accepted_at = done_at + timedelta(days=3)
        round_id = db.session.execute(
            insert(Round)
            .values(
                framework_id=lot.framework_id,
                lot_id=lot.id,
                member_id=member_id,
                provider_id=provider_id,
                status="accepted",
                due_date=done_on + timedelta(days=rng.randint(0, 10)),
                scheduled_date=monday(done_on),
                route_km=Decimal(str(round(route.km, 2))),
                created_at=done_at - timedelta(days=30),
                assigned_at=done_at - timedelta(days=25),
                completed_at=done_at,
                accepted_at=accepted_at,
            )
            .returning(Round.id)
        ).scalar_one()
        tasks = [
            (
                round_id,
                sequence,
                served[i].id,
                None,
                task_type.id,
                code,
                quantity(served[i]),
                price.unit,
                price.unit_price,
                task_amount(price.unit_price, quantity(served[i])),
                price.vat_rate,
                done_on,
                "accepted",
                done_at,
                "ok",
                done_on,
                done_at,
                accepted_at,
            )
            for sequence, i in enumerate(route.order.tolist(), start=1)
        ]
        bulk_insert(db.session, Task.__table__, HISTORY_COLUMNS, tasks)

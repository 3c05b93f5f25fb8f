"""Demo: this week's field work of De Kraanwerkers for Stad Izegem, in every state a round goes
through: assigned (one today, one next week), in progress, completed and waiting for the
member, accepted, with a contested task, and overdue; defects with follow-up needs, photos'
settings left at their defaults, and labour. Results, contests and acceptance go through the
services, as the crew and the member would record them (with the business clock moved back).

Idempotent: the scenarios are made once (found by their labour and recorded results); an
assigned round with all its tasks still open for the demo crew and member is always there, made
again if it was worked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import numpy as np
from sqlalchemy import exists, select

from central.accounts.models import User
from central.assets.models import Asset, AssetStatus
from central.core import clock
from central.extensions import db
from central.fieldwork import services
from central.fieldwork.models import LabourEntry, TaskReport
from central.frameworks.models import Award, Framework, Lot, TaskType
from central.frameworks.queries import current_prices
from central.organisations.models import Organisation
from central.planning.models import OPEN_TASK_STATUSES, Round, RoundStatus, Task, TaskStatus
from central.planning.queries import last_service_query, monday
from central.planning.routing import route_rounds

FRAMEWORK = "RSL-2025-BK-01"
TASK_TYPE = "hydrant_inspection"

GOOD = {
    "lid_frame": True,
    "signage_plate": True,
    "visibility": True,
    "valve_operation": True,
    "drainage": True,
    "static_pressure": 3.4,
}


@dataclass
class Scenario:
    name: str
    tasks: int
    status: str


SCENARIOS = [
    Scenario("accepted", 4, "accepted"),
    Scenario("completed", 4, "completed"),
    Scenario("contested", 4, "contested"),
    Scenario("in_progress", 5, "in_progress"),
    Scenario("overdue", 4, "overdue"),
    Scenario("next_week", 5, "assigned"),
]
TODAY_ROUND_TASKS = 3  # the round the crew does today (and the browser test walks)


def _actor(organisation_id: int, role: str) -> Any:
    user = db.session.scalar(
        select(User)
        .where(User.organisation_id == organisation_id, User.role == role, User.active.is_(True))
        .order_by(User.id)
    )
    return user or SimpleNamespace(id=None, role=role, organisation_id=organisation_id)


def _free_assets(member_id: int, code: str, count: int, today: date) -> list[Asset]:
    """The member's most due active hydrants without open work of the code (rule 11), taken
    as a compact group around the most due one."""
    served = last_service_query().subquery()
    candidates = (
        db.session.execute(
            select(Asset)
            .outerjoin(served, (served.c.asset_id == Asset.id) & (served.c.task_type == code))
            .where(
                Asset.member_id == member_id,
                Asset.status == AssetStatus.ACTIVE,
                ~exists().where(
                    Task.asset_id == Asset.id,
                    Task.task_type == code,
                    Task.status.in_(list(OPEN_TASK_STATUSES)),
                ),
            )
            .order_by(served.c.last_served.is_not(None), served.c.last_served, Asset.id)
            .limit(200)
        )
        .scalars()
        .all()
    )
    if len(candidates) < count:
        return []
    lat = np.array([a.lat for a in candidates])
    lon = np.array([a.lon for a in candidates])
    nearest = np.argsort((lat - lat[0]) ** 2 + ((lon - lon[0]) * 0.63) ** 2)[:count]
    return [candidates[i] for i in nearest.tolist()]


def _make_round(
    lot: Lot,
    task_type: TaskType,
    member_id: int,
    provider_id: int,
    count: int,
    today: date,
    *,
    scheduled: date,
    due: date,
) -> Round | None:
    assets = _free_assets(member_id, task_type.code, count, today)
    price = current_prices(lot.id, today).get(task_type.id)
    if not assets or price is None:
        return None
    return assigned_round(
        lot, task_type, price, member_id, provider_id, assets, scheduled=scheduled, due=due
    )


def assigned_round(
    lot: Lot,
    task_type: TaskType,
    price: Any,
    member_id: int,
    provider_id: int,
    assets: list[Asset],
    *,
    scheduled: date,
    due: date,
    quantity: Callable[[Asset], Decimal] = lambda asset: Decimal("1"),
) -> Round:
    """A demo round assigned to the provider: one open task at `price` per asset, along a short
    route; `quantity(asset)` is a task's quantity (1 for a hydrant)."""
    (route,) = route_rounds(
        [(np.array([a.lat for a in assets]), np.array([a.lon for a in assets]))]
    )
    round_ = Round(
        framework_id=lot.framework_id,
        lot_id=lot.id,
        member_id=member_id,
        provider_id=provider_id,
        status=RoundStatus.ASSIGNED,
        due_date=due,
        scheduled_date=scheduled,
        route_km=Decimal(str(round(route.km, 2))),
        assigned_at=clock.business_now(),
    )
    round_.tasks = [
        Task(
            sequence=sequence,
            asset_id=assets[index].id,
            task_type_id=task_type.id,
            task_type=task_type.code,
            quantity=quantity(assets[index]),
            unit=price.unit,
            unit_price=price.unit_price,
            vat_rate=price.vat_rate,
            due_date=due,
            status=TaskStatus.OPEN,
        )
        for sequence, index in enumerate(route.order.tolist(), start=1)
    ]
    db.session.add(round_)
    db.session.flush()
    return round_


def _work(
    round_: Round,
    crew: Any,
    day: date,
    *,
    tasks: int,
    defect: int | None = None,
    failed_reading: int | None = None,
) -> None:
    """Record results on the round's first `tasks` tasks on `day`."""
    with clock.frozen_today(day):
        for index, task in enumerate(round_.tasks[:tasks]):
            answers = dict(GOOD)
            values: dict[str, Any] = {"result": "ok", "checklist": answers}
            if index == defect:
                answers["valve_operation"] = False
                values = {
                    "result": "defect",
                    "defect_category": "afsluiter",
                    "notes": "Afsluiter draait zwaar, niet volledig open te krijgen.",
                    "checklist": answers,
                }
            elif index == failed_reading:
                answers["static_pressure"] = 1.1
                values["notes"] = "Lage druk gemeten."
            services.record_result(task, values, actor=crew)


def _labour(round_: Round, crew: Any, day: date, hours: str, group_hours: str, workers: int):
    with clock.frozen_today(day):
        services.record_labour(
            round_,
            {
                "work_date": day,
                "hours": hours,
                "target_group_hours": group_hours,
                "target_group_workers": workers,
            },
            actor=crew,
        )


def _weekday_before(day: date, days: int) -> date:
    moment = day - timedelta(days=days)
    while moment.weekday() >= 5:
        moment -= timedelta(days=1)
    return moment


def load(orgs: dict[str, Organisation]) -> None:
    """Create the field-work scenarios once, and make sure the crew has a round for today."""
    framework = db.session.scalar(select(Framework).where(Framework.reference == FRAMEWORK))
    if framework is None:
        return
    member, provider = orgs["member"], orgs["provider"]
    lot = db.session.scalar(
        select(Lot)
        .join(Award, Award.lot_id == Lot.id)
        .join(TaskType, TaskType.lot_id == Lot.id)
        .where(
            Lot.framework_id == framework.id,
            Award.provider_id == provider.id,
            TaskType.code == TASK_TYPE,
        )
        .order_by(Lot.number)
    )
    if lot is None:
        return
    task_type = db.session.scalar(
        select(TaskType).where(TaskType.lot_id == lot.id, TaskType.code == TASK_TYPE)
    )
    crew = _actor(provider.id, "provider")
    member_user = _actor(member.id, "member")
    today = clock.today()
    this_monday = monday(today)
    # Made once: found by labour on a round whose results the crew recorded (the history of
    # other demo steps has neither recorded results nor, with them, this combination).
    scenarios_made = db.session.scalar(
        select(LabourEntry.id)
        .join(Round, Round.id == LabourEntry.round_id)
        .join(Task, Task.round_id == Round.id)
        .join(TaskReport, TaskReport.task_id == Task.id)
        .where(Round.member_id == member.id, Round.provider_id == provider.id)
        .limit(1)
    )
    if scenarios_made is None:
        for scenario in SCENARIOS:
            _scenario(scenario, lot, task_type, member, provider, crew, member_user, today)
    _round_for_today(lot, task_type, member, provider, today, this_monday)
    db.session.flush()


def _scenario(scenario, lot, task_type, member, provider, crew, member_user, today) -> None:
    this_monday = monday(today)
    last_monday = this_monday - timedelta(weeks=1)
    two_weeks = this_monday - timedelta(weeks=2)
    make = {
        "accepted": (two_weeks, today - timedelta(days=7)),
        "completed": (last_monday, today + timedelta(days=7)),
        "contested": (last_monday, today + timedelta(days=10)),
        "in_progress": (this_monday, today + timedelta(days=10)),
        "overdue": (last_monday, today - timedelta(days=2)),
        "next_week": (this_monday + timedelta(weeks=1), today + timedelta(days=21)),
    }
    scheduled, due = make[scenario.name]
    round_ = _make_round(
        lot, task_type, member.id, provider.id, scenario.tasks, today, scheduled=scheduled, due=due
    )
    if round_ is None:
        return
    count = len(round_.tasks)
    if scenario.name == "accepted":
        day = _weekday_before(today, 12)
        _work(round_, crew, day, tasks=count, defect=1)
        _labour(round_, crew, day, "15.5", "11", 2)
        with clock.frozen_today(_weekday_before(today, 8)):
            services.accept_round(round_, actor=member_user)
    elif scenario.name == "completed":
        day = _weekday_before(today, 3)
        _work(round_, crew, day, tasks=count, failed_reading=2)
        _labour(round_, crew, day, "14", "7", 1)
    elif scenario.name == "contested":
        day = _weekday_before(today, 5)
        _work(round_, crew, day, tasks=count)
        _labour(round_, crew, day, "13.5", "13.5", 2)
        with clock.frozen_today(_weekday_before(today, 2)):
            services.contest_task(
                round_.tasks[1],
                "De signalisatieplaat ontbreekt nog steeds; graag opnieuw nakijken.",
                actor=member_user,
            )
    elif scenario.name == "in_progress":
        day = today if today.weekday() < 5 else _weekday_before(today, 0)
        _work(round_, crew, day, tasks=2, defect=0)
        _labour(round_, crew, day, "6", "3", 1)
    elif scenario.name == "overdue":
        day = _weekday_before(today, 6)
        _work(round_, crew, day, tasks=1)
        _labour(round_, crew, day, "3", "0", 0)
        round_.status = RoundStatus.OVERDUE  # what mark-overdue makes of it


def _round_for_today(lot, task_type, member, provider, today, this_monday) -> None:
    """An assigned round of the demo member for the demo crew, every task still open."""
    has_open_round = db.session.scalar(
        select(Round.id)
        .where(
            Round.member_id == member.id,
            Round.provider_id == provider.id,
            Round.status == RoundStatus.ASSIGNED,
            ~exists().where(Task.round_id == Round.id, Task.status != TaskStatus.OPEN),
            Round.scheduled_date <= this_monday + timedelta(days=6),
        )
        .limit(1)
    )
    if has_open_round is None:
        _make_round(
            lot,
            task_type,
            member.id,
            provider.id,
            TODAY_ROUND_TASKS,
            today,
            scheduled=today,
            due=today + timedelta(days=7),
        )

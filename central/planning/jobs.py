"""The planning jobs (SPEC section 4): framework-status, generate-rounds, assign-rounds and
mark-overdue. Each is `fn(session, today) -> counts`, set-based, and idempotent: a second run
finds nothing left to do.

generate-rounds (rules 2, 3, 6, 10–12, §7.5) reads every due asset and open need in a few
queries, groups each member's work per lot into compact rounds that fit a crew-day (routed all at
once per lot, numpy), checks each round against the framework's and lot's maximum under the
framework's lock and writes them in batches of whole rounds (bulk inserts, PostgreSQL COPY for
tasks), committed once with the locks: a failure leaves nothing, and a re-run plans it all (its
open tasks exclude what is planned, rule 11).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from math import ceil
from typing import Any, NamedTuple

import numpy as np
from dateutil.relativedelta import relativedelta
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, any_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from central.assets.models import Asset, AssetStatus, Need, NeedPriority, NeedStatus, ServicePlan
from central.assets.queries import due_plan_assets, in_season
from central.core import audit
from central.core.clock import BRUSSELS, now_on
from central.core.errors import N_
from central.core.jobs import job
from central.core.money import task_amount
from central.extensions import db
from central.frameworks import services as framework_services
from central.frameworks.models import Award, Framework, FrameworkStatus, Lot, PriceUnit
from central.frameworks.queries import (
    ZERO,
    Amounts,
    FrameworkAmounts,
    PriceSchedule,
    approved_members_by_lot,
)
from central.planning import notifications
from central.planning.calendar import LATE_WEEKS, ProviderCalendar
from central.planning.models import (
    OPEN_TASK_STATUSES,
    Round,
    RoundStatus,
    Task,
    TaskStatus,
)
from central.planning.queries import monday, open_task_exists
from central.planning.routing import group_points, route_rounds

log = logging.getLogger(__name__)

BATCH_ROUNDS = 1000  # rounds written together (one insert of rounds, one of their tasks)
AUTO_ACCEPT_DAYS = 14  # rule 15: a completed round not contested within 14 days is accepted
ONE = Decimal("1")  # the quantity of a task without a measure (a hydrant)
# Units in which an asset's measure (its length or area) is a task's quantity (rule 5).
MEASURED_UNITS = frozenset({PriceUnit.METRE.value, PriceUnit.SQUARE_METRE.value})


# --- framework-status ------------------------------------------------------------------------


@job(
    "framework-status",
    order=1,
    description=_l("Expires ended frameworks; recomputes exhausted and the 80/90/100 % alerts."),
    nightly=True,
)
def framework_status(session: Session, today: date) -> dict[str, Any]:
    """Expire frameworks past their end date; recompute `exhausted` and the 80/90/100 % alerts
    (rules 2 and 6); alert the lead coordinators of recognitions that awards rely on and that
    end within 60 days (SPEC 7.2), and them and the provider of late social actions (SPEC 7.3).
    Idempotent: the second run changes nothing."""
    from central.frameworks.action_plans import alert_late_actions
    from central.organisations.alerts import alert_expiring_recognitions

    counts = framework_services.refresh_frameworks(today)
    counts.update(alert_expiring_recognitions(session, today))  # SPEC 7.2: 60 days ahead
    counts.update(alert_late_actions(session, today))  # SPEC 7.3: late social actions
    session.commit()
    return counts


# --- generate-rounds -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Price:
    """A task type of a lot with the price line in force on the planning day (rule 5), as plain
    values: copied onto every task planned with it."""

    task_type_id: int
    code: str
    unit: str
    unit_price: Decimal
    vat_rate: Decimal
    amount: Decimal  # one unit (quantity 1), excl. VAT
    service_minutes: int = 15  # time on site per task (§7.5)

    def quantity(self, need_quantity: Decimal | None, measure: Decimal | None) -> Decimal:
        """A task's quantity (rule 5): the need's, if given; else, priced per m or m², the
        asset's measure, if known; else 1."""
        if need_quantity is not None:
            return need_quantity
        if measure is not None and self.unit in MEASURED_UNITS:
            return measure
        return ONE

    def amount_of(self, quantity: Decimal) -> Decimal:
        """The amount of a task of `quantity` units, excl. VAT, as rule 2 counts it."""
        return self.amount if quantity is ONE else task_amount(self.unit_price, quantity)


@dataclass(slots=True)
class _Item:
    """One task to plan."""

    member_id: int
    urgent: bool
    due_date: date
    asset_id: int | None
    need_id: int | None
    price: _Price
    lat: float
    lon: float
    quantity: Decimal = ONE


@dataclass(slots=True)
class _Round:
    framework: Framework
    lot: Lot
    member_id: int
    urgent: bool
    items: list[_Item]
    due_date: date = field(init=False)
    amount: Decimal = field(init=False)
    route: Any = None

    @property
    def minutes(self) -> float:
        """Service time of its tasks plus travel time along its route (§7.5)."""
        travel = self.route.km / self.lot.travel_kmh * 60 if self.route is not None else 0.0
        return sum(item.price.service_minutes for item in self.items) + travel

    def __post_init__(self) -> None:
        self.due_date = min(item.due_date for item in self.items)
        self.amount = sum(
            (item.price.amount_of(item.quantity) for item in self.items), Decimal("0.00")
        )


def _local_date(moment: datetime) -> date:
    return moment.astimezone(BRUSSELS).date()


def _open_frameworks(today: date) -> list[Framework]:
    """Rule 6: only active frameworks within their term take new rounds (exhausted, expired or
    terminated ones do not, whether or not framework-status has run yet)."""
    return list(
        db.session.scalars(
            select(Framework)
            .where(
                Framework.status == FrameworkStatus.ACTIVE,
                Framework.start_date <= today,
                Framework.end_date >= today,
            )
            .order_by(Framework.id)
        )
    )


def _prices(lot: Lot, today: date) -> dict[str, _Price]:
    """The lot's task types that have a price in force today, by code: the highest among its
    awarded providers' prices (SPEC 7.2), so that the work fits the maximum whoever takes it;
    assign-rounds prices it again at the assigned provider's own price."""
    lines = PriceSchedule.load([lot.id]).highest(
        lot.id, today, [award.provider_id for award in lot.awards]
    )
    prices = {}
    for task_type in lot.task_types:
        line = lines.get(task_type.id)
        if line is not None:
            prices[task_type.code] = _Price(
                task_type.id,
                task_type.code,
                line.unit,
                line.unit_price,
                line.vat_rate,
                task_amount(line.unit_price, Decimal(1)),
                task_type.service_minutes,
            )
    return prices


def _need_items(session, lot, members, prices, today, planned, counts) -> list[_Item]:
    """Open needs of the lot with a task type, for acceded members, not yet planned."""
    rows = (
        session.connection()
        .execute(
            select(
                Need.id,
                Need.member_id,
                Need.asset_id,
                Need.task_type,
                Need.priority,
                Need.created_at,
                func.coalesce(Asset.lat, Need.lat),
                func.coalesce(Asset.lon, Need.lon),
                Need.quantity,
                Asset.measure,
            )
            .outerjoin(Asset, Asset.id == Need.asset_id)
            .where(
                Need.lot_id == lot.id,
                Need.status == NeedStatus.OPEN,
                Need.task_type.is_not(None),
                Need.member_id.in_(members),
                or_(Need.asset_id.is_(None), Asset.status == AssetStatus.ACTIVE),
                ~select(Task.id)
                .where(Task.need_id == Need.id, Task.status.in_(list(OPEN_TASK_STATUSES)))
                .exists(),
            )
            .order_by(Need.created_at, Need.id)
        )
        .all()
    )
    items = []
    for need_id, member_id, asset_id, code, priority, created_at, lat, lon, qty, measure in rows:
        price = prices.get(code)
        if price is None:
            counts["no_price"] += 1
            continue
        if asset_id is not None and (asset_id, code) in planned:
            counts["needs_waiting"] += 1  # the asset already has open work of this type
            continue
        urgent = priority == NeedPriority.URGENT
        if urgent:
            due = _local_date(created_at) + timedelta(days=lot.urgent_days)
        else:
            due = today + timedelta(days=lot.planning_horizon_days)
        if asset_id is not None:
            planned.add((asset_id, code))
        quantity = price.quantity(qty, measure)
        items.append(
            _Item(member_id, urgent, max(due, today), asset_id, need_id, price, lat, lon, quantity)
        )
    return items


def _plan_items(session, lot, members, prices, today, planned, counts) -> list[_Item]:
    """Assets due within the lot's planning horizon under active, in-season plans (rule 10);
    an asset under two plans of one code is planned once, for the earlier due date."""
    horizon = today + timedelta(days=lot.planning_horizon_days)
    due = due_plan_assets(
        horizon,
        ServicePlan.task_type.label("task_type"),
        ServicePlan.member_id.label("member_id"),
        Asset.lat.label("lat"),
        Asset.lon.label("lon"),
        Asset.measure.label("measure"),
        plan_filter=[
            ServicePlan.lot_id == lot.id,
            ServicePlan.member_id.in_(members),
            in_season(today.month),
        ],
    )
    stmt = select(
        due.c.asset_id,
        due.c.task_type,
        due.c.member_id,
        due.c.interval_months,
        due.c.last_served,
        due.c.lat,
        due.c.lon,
        due.c.measure,
    ).where(~open_task_exists(due.c.asset_id, due.c.task_type))
    due_of: dict[tuple[date | None, int], date] = {}
    chosen: dict[tuple[int, str], _Item] = {}
    rows = session.connection().execute(stmt).all()
    for asset_id, code, member_id, interval, last_served, lat, lon, measure in rows:
        key = (asset_id, code)
        if key in planned:
            continue  # a need or another lot already covers it
        memo = (last_served, interval)
        due = due_of.get(memo)
        if due is None:
            # Never served: due a planning horizon after it is first planned (rule 12); work
            # that is already late when planned is due at once.
            natural = (
                horizon if last_served is None else last_served + relativedelta(months=interval)
            )
            due = due_of[memo] = max(natural, today)
        previous = chosen.get(key)
        if previous is not None and previous.due_date <= due:
            continue
        price = prices.get(code)
        if price is None:
            counts["no_price"] += 1
            continue
        quantity = price.quantity(None, measure)
        chosen[key] = _Item(member_id, False, due, asset_id, None, price, lat, lon, quantity)
    planned.update(chosen)
    return list(chosen.values())


def _group(framework: Framework, lot: Lot, items: list[_Item]) -> list[_Round]:
    """Per member (urgent needs apart), compact rounds of at most `max_tasks_per_round`, each
    routed and split again until its service plus travel time fits the lot's crew-day (§7.5)."""
    buckets: dict[tuple[int, bool], list[_Item]] = defaultdict(list)
    for item in items:
        buckets[(item.member_id, item.urgent)].append(item)
    rounds = []
    for (member_id, urgent), bucket in buckets.items():
        lat = np.fromiter((i.lat for i in bucket), dtype=float, count=len(bucket))
        lon = np.fromiter((i.lon for i in bucket), dtype=float, count=len(bucket))
        for group in group_points(lat, lon, lot.max_tasks_per_round):
            rounds.append(
                _Round(framework, lot, member_id, urgent, [bucket[i] for i in group.tolist()])
            )
    return _fit_crew_day(lot, rounds)


def _fit_crew_day(lot: Lot, rounds: list[_Round]) -> list[_Round]:
    """Route the rounds (all at once) and split each that takes longer than a crew-day into
    as many compact parts as its minutes call for, until every round fits (a single task that
    takes longer than the day stays a round of its own)."""
    fitted: list[_Round] = []
    pending = rounds
    while pending:
        for round_, route in zip(pending, route_rounds(_coordinates(pending)), strict=True):
            round_.route = route
        too_long = []
        for round_ in pending:
            minutes = round_.minutes
            if minutes <= lot.crew_day_minutes or len(round_.items) == 1:
                fitted.append(round_)
                continue
            parts = max(2, ceil(minutes / lot.crew_day_minutes))
            size = max(1, ceil(len(round_.items) / parts))
            items = round_.items
            lat = np.fromiter((i.lat for i in items), dtype=float, count=len(items))
            lon = np.fromiter((i.lon for i in items), dtype=float, count=len(items))
            too_long.extend(
                _Round(
                    round_.framework,
                    lot,
                    round_.member_id,
                    round_.urgent,
                    [items[i] for i in group.tolist()],
                )
                for group in group_points(lat, lon, size)
            )
        pending = too_long
    return fitted


def _within_maximum(
    room: framework_services.Room, candidates: list[_Round], counts
) -> tuple[list[_Round], FrameworkAmounts]:
    """Rule 2: rounds in priority order (urgent first, then by due date) while they keep the
    framework and each lot within its maximum, decided by `Room.refusal` under the framework's
    lock (taken before its due work was read, held until the job commits its rounds). The round
    that would cross one is not created: a full lot takes no more rounds, a crossed framework is
    flagged exhausted (the coordinator is alerted) and takes no more rounds at all. Also returns
    the framework's amounts once the kept rounds are written (counted once, not again after the
    writes)."""
    framework = room.framework
    full_lots: set[int] = set()
    kept = []
    candidates.sort(key=lambda r: (not r.urgent, r.due_date, r.member_id))
    for index, round_ in enumerate(candidates):
        lot = round_.lot
        if lot.id in full_lots:
            counts["tasks_over_maximum"] += len(round_.items)
            continue
        refusal = room.refusal(lot, round_.amount)
        if refusal is not None and refusal.scope == "lot":
            full_lots.add(lot.id)
            counts["lots_full"] += 1
            counts["tasks_over_maximum"] += len(round_.items)
            needed = room.added_by_lot.get(lot.id, ZERO) + round_.amount
            framework_services.flag_exhausted(framework, lot, needed=needed, refused=round_.amount)
            continue
        if refusal is not None:
            counts["frameworks_exhausted"] += 1
            counts["tasks_over_maximum"] += sum(len(r.items) for r in candidates[index:])
            framework_services.flag_exhausted(
                framework, needed=room.added + round_.amount, refused=round_.amount
            )
            log.warning("Framework %s reached its maximum; no new rounds", framework.reference)
            break
        room.take(lot, round_.amount)
        kept.append(round_)
    amounts = room.amounts
    after = FrameworkAmounts(
        total=room.total,
        by_lot={
            lot_id: amounts.lot(lot_id) + Amounts(committed=room.added_by_lot.get(lot_id, ZERO))
            for lot_id in {*amounts.by_lot, *room.added_by_lot}
        },
    )
    return kept, after


GENERATE_COUNTS = (
    "rounds",
    "tasks",
    "needs_planned",
    "needs_waiting",
    "no_price",
    "tasks_over_maximum",
    "lots_full",
    "frameworks_exhausted",
)


@job(
    "generate-rounds",
    order=2,
    description=_l("Plans due assets and open needs into routed rounds."),
    nightly=True,
)
def generate_rounds(session: Session, today: date) -> dict[str, Any]:
    """Plan due assets and open needs into rounds (rules 2, 3, 6, 10–12). Idempotency key:
    an asset's open task per task-type code, and a need's open task."""
    counts: dict[str, Any] = defaultdict(int)
    for key in GENERATE_COUNTS:
        counts[key] = 0
    planned: set[tuple[int, str]] = set()
    to_create: list[_Round] = []
    flagged: set[int] = set()
    amounts: dict[int, FrameworkAmounts] = {}
    processed = _open_frameworks(today)
    for framework in processed:
        # Locked before its due work is read: a correction committed meanwhile (§7.1) is seen.
        room = framework_services.room_under(framework)
        lots = list(framework.lots)
        members_by_lot = approved_members_by_lot(lot.id for lot in lots)
        candidates: list[_Round] = []
        for lot in lots:
            members = members_by_lot.get(lot.id)
            if not members:
                continue  # rule 3: no rounds without an approved accession
            args = (session, lot, sorted(members), _prices(lot, today), today, planned, counts)
            items = _need_items(*args) + _plan_items(*args)
            candidates.extend(_group(framework, lot, items))
        kept, amounts[framework.id] = _within_maximum(room, candidates, counts)
        kept_ids = {id(r) for r in kept}
        for refused in (r for r in candidates if id(r) not in kept_ids):
            # Work refused for want of room may still be planned under another framework.
            planned.difference_update(
                (i.asset_id, i.price.code) for i in refused.items if i.asset_id is not None
            )
        if len(kept) < len(candidates):
            flagged.add(framework.id)
        to_create.extend(kept)
    # One transaction: the frameworks stay locked (rule 2 on every path, §7.1) until their
    # rounds are written; a failure leaves nothing, and a re-run plans it all.
    for start in range(0, len(to_create), BATCH_ROUNDS):
        _write_batch(session, to_create[start : start + BATCH_ROUNDS], today, counts)
    for framework in processed:
        if framework.id not in flagged:
            # 80 and 90 % warnings at once; all work fitted, so an earlier 100 % alert clears
            framework_services.refresh_spend_status(
                framework, amounts=amounts[framework.id], room_for_all=True
            )
    session.commit()
    _refresh_statistics(session, counts["tasks"])
    return {key: counts[key] for key in sorted(counts)}


ANALYZE_AFTER_TASKS = 10_000  # tasks written by one run after which statistics are refreshed


def _refresh_statistics(session: Session, tasks: int) -> None:
    """After a big run, refresh PostgreSQL's statistics of rounds and tasks at once, for the jobs
    that follow in the nightly chain: on the old ones (autovacuum may take minutes to notice, or
    be off) PostgreSQL expects no open task and no planned round, and picks plans that visit
    every open task for each round (measured: mark-overdue ran for hours, assign-rounds for
    minutes, at 400,000 new tasks). A sampling ANALYZE takes about a second."""
    if tasks < ANALYZE_AFTER_TASKS or session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("ANALYZE rounds, tasks"))
    session.commit()


def _coordinates(rounds: list[_Round]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each round's latitudes and longitudes: two arrays over every item, split per round (two
    small arrays built item by item for each of 16,000 rounds took seconds)."""
    if not rounds:
        return []
    lat = np.array([item.lat for r in rounds for item in r.items], dtype=float)
    lon = np.array([item.lon for r in rounds for item in r.items], dtype=float)
    bounds = np.cumsum([len(r.items) for r in rounds])[:-1]
    return list(zip(np.split(lat, bounds), np.split(lon, bounds), strict=True))


def _write_batch(session: Session, batch: list[_Round], today: date, counts) -> None:
    """Insert a batch of whole rounds and their tasks; mark their needs planned."""
    now = now_on(today)
    rounds_table = Round.__table__
    ids = session.execute(
        insert(rounds_table).returning(rounds_table.c.id, sort_by_parameter_order=True),
        [
            {
                "framework_id": r.framework.id,
                "lot_id": r.lot.id,
                "member_id": r.member_id,
                "status": RoundStatus.PLANNED.value,
                "due_date": r.due_date,
                "route_km": Decimal(str(round(r.route.km, 2))),
                "planned_minutes": ceil(r.minutes),
                "created_at": now,
            }
            for r in batch
        ],
    ).all()
    ids = [row[0] for row in ids]
    # On SQLite the values are converted once here, as SQLAlchemy would store them; PostgreSQL's
    # COPY takes the Python values.
    as_stored = _sqlite_value if session.connection().dialect.name == "sqlite" else _same
    stored: dict[Any, Any] = {}

    def value(v: Any) -> Any:
        if v not in stored:
            stored[v] = as_stored(v)
        return stored[v]

    prices: dict[int, tuple] = {}
    task_rows = []
    need_ids = []
    created, status = value(now), TaskStatus.OPEN.value
    for round_id, r in zip(ids, batch, strict=True):
        items = r.items
        for sequence, index in enumerate(r.route.order.tolist(), start=1):
            item = items[index]
            price = prices.get(id(item.price))
            if price is None:
                p = item.price
                price = prices[id(p)] = (
                    p.task_type_id,
                    p.code,
                    p.unit,
                    value(p.unit_price),
                    value(p.vat_rate),
                )
            task_type_id, code, unit, unit_price, vat_rate = price
            task_rows.append(
                (
                    round_id,
                    sequence,
                    item.asset_id,
                    item.need_id,
                    task_type_id,
                    code,
                    value(item.quantity),  # each task's own quantity (rule 5)
                    unit,
                    unit_price,
                    value(item.price.amount_of(item.quantity)),  # its amount (§7.1)
                    vat_rate,
                    value(item.due_date),
                    status,
                    created,
                )
            )
            if item.need_id is not None:
                need_ids.append(item.need_id)
    bulk_insert(session, Task.__table__, TASK_COLUMNS, task_rows, stored=True)
    if need_ids:
        session.execute(
            update(Need.__table__)
            .where(Need.__table__.c.id.in_(need_ids))
            .values(status=NeedStatus.PLANNED.value, updated_at=now)
        )
    # One audit event per committed batch, naming its rounds (and so, through them, its tasks).
    audit.record(
        "rounds.generated",
        None,
        today=today,
        rounds=ids,
        tasks=len(task_rows),
        needs_planned=need_ids,
        frameworks=sorted({r.framework.id for r in batch}),
    )
    counts["rounds"] += len(batch)
    counts["tasks"] += len(task_rows)
    counts["needs_planned"] += len(need_ids)


TASK_COLUMNS = (
    "round_id",
    "sequence",
    "asset_id",
    "need_id",
    "task_type_id",
    "task_type",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "vat_rate",
    "due_date",
    "status",
    "created_at",
)


def _sqlite_value(value: Any) -> Any:
    """A value as SQLAlchemy stores it on SQLite: dates and times as ISO text (times naive
    UTC), decimals as numbers (SQLite keeps NUMERIC as floating point, rule 5's reason to sum
    money in Python)."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _same(value: Any) -> Any:
    return value


def bulk_insert(
    session: Session, table, columns: tuple[str, ...], rows: list[tuple], *, stored: bool = False
) -> None:
    """Insert many rows in the session's transaction as fast as the database takes them: COPY
    on PostgreSQL, the driver's executemany on SQLite. `stored`: the SQLite values are already
    as SQLAlchemy stores them (else they are converted here)."""
    if not rows:
        return
    connection = session.connection()
    raw = connection.connection.driver_connection
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    if connection.dialect.name != "sqlite":
        session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    if not stored:
        rows = [tuple(_sqlite_value(v) for v in row) for row in rows]
    placeholders = ", ".join("?" for _ in columns)
    cursor = raw.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO {table.name} ({names}) VALUES ({placeholders})",  # noqa: S608 - names from the metadata
            rows,
        )
    finally:
        cursor.close()


# --- assign-rounds ---------------------------------------------------------------------------


@dataclass
class _Capacity:
    """What assign-rounds has given so far: tasks per lot, provider and week (the award's
    `weekly_capacity`), and rounds per provider and week and per provider and day (its crews,
    over all its lots and frameworks)."""

    calendar: ProviderCalendar
    today: date
    lot_tasks: dict[tuple[int, int, date], int] = field(default_factory=lambda: defaultdict(int))
    week_rounds: dict[tuple[int, date], int] = field(default_factory=lambda: defaultdict(int))
    day_rounds: dict[tuple[int, date], int] = field(default_factory=lambda: defaultdict(int))
    answers: dict[tuple, Any] = field(default_factory=dict)

    def day_with_room(
        self, lot_id: int, provider_id: int, capacity: int, tasks: int, week: date
    ) -> date | None:
        """The first open working day of the week (not in the past) on which the provider can
        take a round of `tasks` tasks of the lot, or None."""
        if self.lot_tasks[(lot_id, provider_id, week)] + tasks > capacity:
            return None
        calendar = self.calendar
        crews = calendar.has_crews(provider_id)
        if crews and self.week_rounds[(provider_id, week)] >= self._week_capacity(
            provider_id, week
        ):
            return None
        for day in self._open_days(provider_id, week):
            if not crews or self.day_rounds[(provider_id, day)] < self._crews_open(
                provider_id, day
            ):
                return day
        return None

    def take(self, lot_id: int, provider_id: int, tasks: int, day: date) -> None:
        week = monday(day)
        self.lot_tasks[(lot_id, provider_id, week)] += tasks
        self.week_rounds[(provider_id, week)] += 1
        self.day_rounds[(provider_id, day)] += 1

    # The calendar's answers do not change during a run: computed once per provider and week.
    def _open_days(self, provider_id: int, week: date) -> list[date]:
        return self._memo(("days", provider_id, week), self.calendar.open_days, week, self.today)

    def _week_capacity(self, provider_id: int, week: date) -> int:
        return self._memo(("week", provider_id, week), self.calendar.week_capacity, week)

    def _crews_open(self, provider_id: int, day: date) -> int:
        return self._memo(("day", provider_id, day), self.calendar.crews_open, day)

    def _memo(self, key: tuple, compute, *args) -> Any:
        if key not in self.answers:
            self.answers[key] = compute(key[1], *args)
        return self.answers[key]


@job(
    "assign-rounds",
    order=3,
    description=_l("Gives unassigned rounds to providers with capacity and tells them."),
    nightly=True,
)
def assign_rounds(session: Session, today: date) -> dict[str, Any]:
    """Rule 13 and §7.5: unassigned rounds, by due date, then framework, then round id, go to the
    highest-ranked awarded provider with room in some week up to the due date, in the earliest
    such week, on its first open working day from the later of today and that Monday (never a
    weekend, a Belgian public holiday or a day the provider closed). Room: the award's
    `weekly_capacity` (tasks of that lot) and, for a provider with crews, one round a crew-day
    over all its lots and frameworks. A reserved lot only goes to social-economy providers
    (rule 4) recognised on the scheduled date (SPEC 7.2; otherwise it goes down the cascade).
    A round that reached its due date unassigned is offered, late, to any awarded provider with
    room in the coming weeks, and the lead coordinators are told once per round.
    What no provider can take stays unassigned and is reported. Idempotency key: a round's
    provider (and its `late_alerted_at`)."""
    first_week = monday(today)
    task_count = (
        select(func.count())
        .where(Task.round_id == Round.id, Task.status != TaskStatus.CANCELLED)
        .correlate(Round)
        .scalar_subquery()
    )
    pending = session.execute(
        select(
            Round.id,
            Round.framework_id,
            Round.lot_id,
            Round.member_id,
            Round.due_date,
            Round.late_alerted_at,
            task_count,
            Round.created_at,
        )
        .where(Round.status == RoundStatus.PLANNED, Round.provider_id.is_(None))
        .order_by(Round.due_date, Round.framework_id, Round.id)
    ).all()
    counts: dict[str, Any] = {"assigned": 0, "unassigned": 0}
    late_assigned = 0
    if not pending:
        return counts
    lot_ids = {row.lot_id for row in pending}
    awards: dict[int, list[tuple[int, int]]] = defaultdict(list)
    reserved_lots: set[int] = set()
    for lot_id, provider_id, capacity, lot_reserved, framework_reserved in session.execute(
        select(
            Award.lot_id,
            Award.provider_id,
            Award.weekly_capacity,
            Lot.reserved,
            Framework.reserved,
        )
        .join(Lot, Lot.id == Award.lot_id)
        .join(Framework, Framework.id == Lot.framework_id)
        .where(Award.lot_id.in_(lot_ids))
        .order_by(Award.lot_id, Award.rank, Award.provider_id)
    ):
        if lot_reserved or framework_reserved:
            reserved_lots.add(lot_id)
        awards[lot_id].append((provider_id, capacity))
    recognised = _recognitions(session, {p for offers in awards.values() for p, _ in offers})
    for lot_id in reserved_lots:
        # Rule 4: a reserved lot only goes to social-economy providers (recognised at all).
        awards[lot_id] = [(p, c) for p, c in awards[lot_id] if recognised.get(p)]
    provider_ids = {provider_id for offers in awards.values() for provider_id, _ in offers}
    room = _Capacity(ProviderCalendar.load(session, provider_ids, first_week), today)
    for lot_id, provider_id, day, rounds, tasks in session.execute(
        select(
            Round.lot_id,
            Round.provider_id,
            Round.scheduled_date,
            func.count(Round.id),
            func.sum(task_count),
        )
        .where(
            Round.provider_id.in_(provider_ids),
            Round.scheduled_date >= first_week,
            Round.status != RoundStatus.CANCELLED,
        )
        .group_by(Round.lot_id, Round.provider_id, Round.scheduled_date)
    ):
        # A round the provider moved within its week still counts in that week; crews count
        # rounds of every lot and framework.
        week = monday(day)
        room.lot_tasks[(lot_id, provider_id, week)] += int(tasks or 0)
        room.week_rounds[(provider_id, week)] += int(rounds)
        room.day_rounds[(provider_id, day)] += int(rounds)
    now = now_on(today)
    pricing = _Repricing.load(session, pending)
    changes = []
    unassigned = []
    late_alerts = []
    down_cascade = []  # SPEC 7.2: reserved work passed over a provider unrecognised that day
    for round_id, framework_id, lot_id, member_id, due_date, alerted, tasks, created in pending:
        late = due_date <= today
        if late and alerted is None:
            late_alerts.append((round_id, framework_id, due_date))
        last_week = first_week + timedelta(weeks=LATE_WEEKS) if late else monday(due_date)
        fits = pricing.fits(round_id, framework_id, lot_id, _local_date(created))
        passed_over: list[tuple[int, date]] = []
        choice = _first_day_with_room(
            room,
            awards[lot_id],
            lot_id,
            tasks,
            first_week,
            last_week,
            late,
            fits,
            recognised if lot_id in reserved_lots else None,
            passed_over,
        )
        if choice is not None and passed_over:
            down_cascade.append((round_id, framework_id, passed_over, choice))
        if choice is None:
            unassigned.append(round_id)
            continue
        provider_id, day = choice
        pricing.take(round_id, provider_id)
        room.take(lot_id, provider_id, tasks, day)
        late_assigned += late
        changes.append(
            {"rid": round_id, "pid": provider_id, "week": day, "mid": member_id, "due": due_date}
        )
    table = Round.__table__
    if changes:
        session.execute(
            update(table)
            .where(and_(table.c.id == bindparam("rid"), table.c.provider_id.is_(None)))
            .values(
                provider_id=bindparam("pid"),
                scheduled_date=bindparam("week"),
                status=RoundStatus.ASSIGNED.value,
                assigned_at=now,
            ),
            changes,
        )
        notifications.rounds_assigned(changes)
    pricing.write(session)
    if late_alerts:
        session.execute(
            update(table)
            .where(table.c.id.in_([r[0] for r in late_alerts]), table.c.late_alerted_at.is_(None))
            .values(late_alerted_at=now)
        )
        assigned = {change["rid"]: change for change in changes}
        notifications.rounds_late(late_alerts, assigned)
    if down_cascade:
        notifications.reserved_work_passed_over(down_cascade)
    if changes or late_alerts:
        by_provider: dict[int, list[int]] = defaultdict(list)
        for change in changes:
            by_provider[change["pid"]].append(change["rid"])
        audit.record(
            "rounds.assigned",
            None,
            today=today,
            assigned={str(pid): rids for pid, rids in sorted(by_provider.items())},
            unassigned=unassigned,
            late_alerted=[r[0] for r in late_alerts],
            **({"repriced": sorted(pricing.repriced)} if pricing.repriced else {}),
        )
    session.commit()
    counts["assigned"] = len(changes)
    counts["unassigned"] = len(unassigned)
    if late_assigned:
        counts["assigned_late"] = late_assigned
    if late_alerts:
        counts["late_alerted"] = len(late_alerts)
    if unassigned:
        counts["unassigned_round_ids"] = unassigned[:50]
    if pricing.repriced:
        counts["repriced"] = len(pricing.repriced)
    if down_cascade:
        counts["passed_over_unrecognised"] = len(down_cascade)
    return counts


def _among(session: Session, column, ids: list[int]):
    """`column IN ids`; on PostgreSQL as `= ANY(array)`, one parameter instead of thousands
    (converting thousands of parameters costs more than the query)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=postgresql.ARRAY(Integer)))
    return column.in_(ids)


class _Repriced(NamedTuple):
    """A round priced at one provider's own prices: the change in its amount, and its task
    groups' new (unit price, VAT rate, amount) where they change, by the group's old key."""

    delta: Decimal
    groups: list[tuple[tuple[int, Decimal, Decimal, Decimal, Decimal], tuple]]


# A round's tasks, grouped: (task type id, quantity, unit price, VAT rate, amount) and how many.
_TaskGroup = tuple[int, Decimal, Decimal, Decimal, Decimal, int]


@dataclass
class _Repricing:
    """SPEC 7.2: a round is priced at the assigned provider's price in force on the day it was
    planned (planning committed the highest among the lot's providers). Only lots in which some
    provider has a price of its own can change. A raise goes through the one commit decision
    (`Room.refusal`, under the framework's lock): a provider whose price would cross the
    maximum is passed over. A round's tasks are read as groups of equal task type, quantity and
    price (a round of 25 hydrant inspections is one group), so that a Flanders-wide night reads
    and prices thousands of groups, not hundreds of thousands of tasks."""

    schedule: PriceSchedule
    groups: dict[int, list[_TaskGroup]]
    rooms: dict[int, framework_services.Room] = field(default_factory=dict)
    # Decreases taken before a framework's room was needed: applied when it is read.
    pending: dict[int, list[tuple[int, Decimal]]] = field(default_factory=lambda: defaultdict(list))
    lots: dict[int, Lot] = field(default_factory=dict)
    answers: dict[tuple[int, int], _Repriced | None] = field(default_factory=dict)
    lines: dict[tuple[int, int, date, int], Any] = field(default_factory=dict)
    context: dict[int, tuple[int, int, date]] = field(default_factory=dict)
    taken: dict[int, dict[tuple, tuple]] = field(default_factory=dict)
    repriced: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, session: Session, pending: list) -> _Repricing:
        schedule = PriceSchedule.load({row.lot_id for row in pending})
        priced_lots = {row.lot_id for row in pending if schedule.has_provider_lines(row.lot_id)}
        round_ids = [row.id for row in pending if row.lot_id in priced_lots]
        table = Task.__table__
        key = (
            table.c.task_type_id,
            table.c.quantity,
            table.c.unit_price,
            table.c.vat_rate,
            table.c.amount,
        )
        groups: dict[int, list[_TaskGroup]] = defaultdict(list)
        for start in range(0, len(round_ids), 5000):
            for row in session.execute(
                select(table.c.round_id, *key, func.count())
                .where(
                    _among(session, table.c.round_id, round_ids[start : start + 5000]),
                    table.c.status != TaskStatus.CANCELLED.value,
                )
                .group_by(table.c.round_id, *key)
            ):
                groups[row[0]].append(tuple(row[1:]))
        return cls(schedule, groups)

    def fits(
        self, round_id: int, framework_id: int, lot_id: int, planned_on: date
    ) -> Callable[[int], bool] | None:
        """Whether a provider may take the round at its own price (None: its price is the
        planned one, whoever takes it)."""
        if round_id not in self.groups:
            return None
        self.context[round_id] = (framework_id, lot_id, planned_on)
        return lambda provider_id: self._priced(round_id, provider_id) is not None

    def _priced(self, round_id: int, provider_id: int) -> _Repriced | None:
        key = (round_id, provider_id)
        if key not in self.answers:
            self.answers[key] = self._price(round_id, provider_id)
        return self.answers[key]

    def _line(self, lot_id: int, task_type_id: int, day: date, provider_id: int):
        key = (lot_id, task_type_id, day, provider_id)
        if key not in self.lines:
            self.lines[key] = self.schedule.line(lot_id, task_type_id, day, provider_id)
        return self.lines[key]

    def _price(self, round_id: int, provider_id: int) -> _Repriced | None:
        framework_id, lot_id, planned_on = self.context[round_id]
        delta = ZERO
        changed = []
        for task_type_id, quantity, unit_price, vat_rate, amount, count in self.groups[round_id]:
            line = self._line(lot_id, task_type_id, planned_on, provider_id)
            if line is None:
                return None  # the provider has no price for this work
            new_amount = task_amount(line.unit_price, quantity)
            delta += (new_amount - amount) * count
            if (line.unit_price, line.vat_rate, new_amount) != (unit_price, vat_rate, amount):
                changed.append(
                    (
                        (task_type_id, quantity, unit_price, vat_rate, amount),
                        (line.unit_price, line.vat_rate, new_amount),
                    )
                )
        if delta > 0 and self._room(framework_id).refusal(self._lot(lot_id), delta) is not None:
            return None
        return _Repriced(delta, changed)

    def _room(self, framework_id: int) -> framework_services.Room:
        if framework_id not in self.rooms:
            framework = db.session.get(Framework, framework_id)
            room = framework_services.room_under(framework)
            for lot_id, delta in self.pending.pop(framework_id, []):
                room.take(self._lot(lot_id), delta)
            self.rooms[framework_id] = room
        return self.rooms[framework_id]

    def _lot(self, lot_id: int) -> Lot:
        if lot_id not in self.lots:
            self.lots[lot_id] = db.session.get(Lot, lot_id)
        return self.lots[lot_id]

    def take(self, round_id: int, provider_id: int) -> None:
        """The round goes to the provider: count the change and keep its tasks' new prices. A
        decrease needs no room read (it can never cross a maximum) until a raise asks."""
        if round_id not in self.context:
            return
        priced = self._priced(round_id, provider_id)
        framework_id, lot_id, _ = self.context[round_id]
        if priced.delta > 0 or (priced.delta and framework_id in self.rooms):
            self._room(framework_id).take(self._lot(lot_id), priced.delta)
        elif priced.delta:
            self.pending[framework_id].append((lot_id, priced.delta))
        if priced.groups:
            self.repriced.add(round_id)
            self.taken[round_id] = dict(priced.groups)

    def write(self, session: Session) -> None:
        """Write the new prices of the repriced rounds' tasks: their ids read again (only for
        those rounds), then one UPDATE per new price and a few thousand ids, not one per task."""
        if not self.taken:
            return
        table = Task.__table__
        round_ids = sorted(self.taken)
        by_price: dict[tuple, list[int]] = defaultdict(list)
        for start in range(0, len(round_ids), 5000):
            for task_id, round_id, *old in session.execute(
                select(
                    table.c.id,
                    table.c.round_id,
                    table.c.task_type_id,
                    table.c.quantity,
                    table.c.unit_price,
                    table.c.vat_rate,
                    table.c.amount,
                ).where(
                    _among(session, table.c.round_id, round_ids[start : start + 5000]),
                    table.c.status != TaskStatus.CANCELLED.value,
                )
            ):
                new = self.taken[round_id].get(tuple(old))
                if new is not None:
                    by_price[new].append(task_id)
        for (price, vat, amount), task_ids in by_price.items():
            for start in range(0, len(task_ids), 5000):
                session.execute(
                    update(table)
                    .where(_among(session, table.c.id, task_ids[start : start + 5000]))
                    .values(unit_price=price, vat_rate=vat, amount=amount)
                )


def _first_day_with_room(
    room: _Capacity,
    awards: list[tuple[int, int]],
    lot_id: int,
    tasks: int,
    first_week: date,
    last_week: date,
    late: bool,
    fits: Callable[[int], bool] | None = None,
    recognised: dict[int, list[tuple[date, date | None]]] | None = None,
    passed_over: list[tuple[int, date]] | None = None,
) -> tuple[int, date] | None:
    """Rule 13: the highest-ranked provider with room in some week up to the due date, on its
    first open day of the earliest such week. A late round (§7.5) goes to whichever awarded
    provider has room first, in rank order within a week. A provider whose own price would
    take the work over the maximum (`fits` says no) is passed over like one without room.
    Reserved work (`recognised` given) only to a provider recognised on that day (SPEC 7.2);
    otherwise down the cascade, the provider and day noted in `passed_over`."""
    weeks = []
    week = first_week
    while week <= last_week:
        weeks.append(week)
        week += timedelta(weeks=1)
    pairs = (
        ((p, c, w) for w in weeks for p, c in awards)
        if late
        else ((p, c, w) for p, c in awards for w in weeks)
    )
    for provider_id, capacity, week in pairs:
        if fits is not None and not fits(provider_id):
            continue
        day = room.day_with_room(lot_id, provider_id, capacity, tasks, week)
        if day is None:
            continue
        if recognised is None or any(
            start <= day and (until is None or day <= until)
            for start, until in recognised.get(provider_id, ())
        ):
            return provider_id, day
        if passed_over is not None:
            passed_over.append((provider_id, day))
    return None


def _recognitions(
    session: Session, provider_ids: set[int]
) -> dict[int, list[tuple[date, date | None]]]:
    """The periods in which each provider holds a social-economy recognition (SPEC 7.2)."""
    from central.organisations.models import Recognition

    periods: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    if provider_ids:
        for provider_id, start, until in session.execute(
            select(
                Recognition.organisation_id, Recognition.valid_from, Recognition.valid_until
            ).where(Recognition.organisation_id.in_(provider_ids))
        ):
            periods[provider_id].append((start, until))
    return periods


# --- mark-overdue ----------------------------------------------------------------------------


@job(
    "mark-overdue",
    order=4,
    description=_l("Flags overdue rounds; accepts completed rounds after 14 days."),
    cron={"minute": 10},
    label=N_("Hourly"),
    grace=30 * 60,
)
def mark_overdue(session: Session, today: date) -> dict[str, Any]:
    """Rule 15: rounds past their due date with open tasks become overdue (they stay with the
    provider); completed rounds not contested within 14 days are accepted, with their done
    tasks. Providers and members are told. Idempotency key: the round's status."""
    now = now_on(today)
    table = Round.__table__
    has_open = (
        select(Task.id)
        .where(Task.round_id == Round.id, Task.status.in_(list(OPEN_TASK_STATUSES)))
        .exists()
    )
    overdue = session.execute(
        select(Round.id, Round.member_id, Round.provider_id, Round.due_date).where(
            # Unassigned rounds stay `planned`: assign-rounds reports them every night.
            Round.status.in_([RoundStatus.ASSIGNED, RoundStatus.IN_PROGRESS]),
            Round.due_date < today,
            has_open,
        )
    ).all()
    if overdue:
        session.execute(
            update(table)
            .where(table.c.id.in_([row.id for row in overdue]))
            .values(status=RoundStatus.OVERDUE.value)
        )
        notifications.rounds_overdue(overdue)
    # Completed on day D: the member may contest until D + 13; on D + 14 it is accepted.
    cutoff = datetime.combine(
        today - timedelta(days=AUTO_ACCEPT_DAYS - 1), time(0), BRUSSELS
    ).astimezone(UTC)
    # The round is flipped first, by a conditional UPDATE that names the rounds it took: a member
    # who contests a task at the same moment (which locks the round) either comes first, and
    # the round is no longer completed, or after, and finds it accepted. Only the tasks of the
    # rounds really flipped are then accepted.
    candidates = (
        session.execute(
            select(Round.id).where(
                Round.status == RoundStatus.COMPLETED, Round.completed_at < cutoff
            )
        )
        .scalars()
        .all()
    )
    completed = []
    accepted_tasks = 0
    if candidates:
        completed = session.execute(
            update(table)
            .where(table.c.id.in_(candidates), table.c.status == RoundStatus.COMPLETED.value)
            .values(status=RoundStatus.ACCEPTED.value, accepted_at=now)
            .returning(table.c.id, table.c.member_id, table.c.provider_id)
        ).all()
    if completed:
        ids = [row.id for row in completed]
        accepted_tasks = session.execute(
            update(Task.__table__)
            .where(
                Task.__table__.c.round_id.in_(ids),
                Task.__table__.c.status == TaskStatus.DONE.value,
            )
            .values(status=TaskStatus.ACCEPTED.value, accepted_at=now)
        ).rowcount
        notifications.rounds_auto_accepted(completed)
    if overdue or completed:
        audit.record(
            "rounds.marked",
            None,
            today=today,
            overdue=[row.id for row in overdue],
            auto_accepted=[row.id for row in completed],
        )
    session.commit()
    return {
        "overdue": len(overdue),
        "auto_accepted": len(completed),
        "tasks_accepted": accepted_tasks,
    }

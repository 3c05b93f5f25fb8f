"""Report builders: pure functions from SQL to pandas DataFrames, with exact money.

Each builder reads with `pd.read_sql(select(...), connection, coerce_float=False)`, so that
money stays `Decimal` on every database (SQLite keeps NUMERIC as floating point: nothing is
summed in SQL, rows are grouped by the tasks' stored amounts and counted, and Python multiplies
and adds). Every value and statement line is a sum of task amounts (§7.1), so a report and the
statements never differ by a cent. Formatting (CSV, XLSX, HTML, JSON, UBL) lives in `formats.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

import pandas as pd
from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, Numeric, Select, case, func, literal, select
from sqlalchemy.orm import Session

from central.core.clock import BRUSSELS
from central.core.errors import N_, ValidationError
from central.core.money import CENT, vat_for_base
from central.frameworks.models import Framework, TaskType
from central.organisations.models import Organisation
from central.planning.models import UNBILLED_RESULTS, Round, Task, TaskStatus

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def round_money(value: Decimal) -> Decimal:
    """Half up to the cent, as Belgian invoices round."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_month(text: str | None, field: str = "month") -> date:
    """`YYYY-MM` -> the first day of that month; anything else is a 400 naming the field."""
    match = _MONTH.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise ValidationError(
            N_("Give the month as YYYY-MM."), fields={field: N_("Give the month as YYYY-MM.")}
        )
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_label(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def local_period_utc(first: date, last_exclusive: date) -> tuple[datetime, datetime]:
    """From local midnight on `first` to local midnight on `last_exclusive` (Europe/Brussels),
    as UTC instants: a month or year of acceptance is a Brussels month or year."""
    start = datetime(first.year, first.month, first.day, tzinfo=BRUSSELS).astimezone(UTC)
    end = datetime(
        last_exclusive.year, last_exclusive.month, last_exclusive.day, tzinfo=BRUSSELS
    ).astimezone(UTC)
    return start, end


def month_period_utc(month: date) -> tuple[datetime, datetime]:
    return local_period_utc(month, month + relativedelta(months=1))


def billed_task():
    """SQL: accepted work that is billed — never a task closed as inaccessible or not found."""
    return (
        (Task.status == TaskStatus.ACCEPTED)
        & Task.accepted_at.is_not(None)
        & (Task.result.is_(None) | Task.result.not_in(list(UNBILLED_RESULTS)))
    )


def _read(session: Session, stmt: Select) -> pd.DataFrame:
    return pd.read_sql(stmt, session.connection(), coerce_float=False)


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


# --- statements -------------------------------------------------------------------------------

# A statement line is the work of one framework, lot, provider, task type and price...
LINE_KEY = [
    "framework_id",
    "framework_reference",
    "lot_id",
    "provider_id",
    "provider_name",
    "task_type",
    "task_type_name",
    "unit",
    "unit_price",
    "vat_rate",
]
# ...and sums its quantity, tasks and amount.
STATEMENT_COLUMNS = [*LINE_KEY, "quantity", "tasks", "amount"]


def billed_vat_rate(provider: Any) -> ColumnElement[Decimal]:
    """The VAT rate a task is billed at: its price line's, or 0 when the provider is not
    registered for VAT (it may not charge VAT; its invoices say the work is exempt)."""
    return case(
        (provider.vat_registered, Task.vat_rate), else_=literal(Decimal("0.00"), Numeric(5, 2))
    )


def statement_query(
    member_id: int | None,
    month: date,
    *,
    framework_id: int | None = None,
    provider_id: int | None = None,
    frameworks: ColumnElement[bool] | None = None,
) -> Select:
    """Accepted, billable tasks of a member (None: of every member) in a month, grouped down to
    quantity and stored amount (so that nothing is multiplied or summed by the database)."""
    start, end = month_period_utc(month)
    provider = Organisation
    stmt = (
        select(
            Round.member_id.label("member_id"),
            Round.framework_id.label("framework_id"),
            Framework.reference.label("framework_reference"),
            Round.lot_id.label("lot_id"),
            Round.provider_id.label("provider_id"),
            provider.name.label("provider_name"),
            Task.task_type.label("task_type"),
            TaskType.name.label("task_type_name"),
            Task.unit.label("unit"),
            Task.unit_price.label("unit_price"),
            billed_vat_rate(provider).label("vat_rate"),
            Task.quantity.label("quantity"),
            Task.amount.label("amount"),
            func.count().label("tasks"),
        )
        .select_from(Task)
        .join(Round, Round.id == Task.round_id)
        .join(Framework, Framework.id == Round.framework_id)
        .join(provider, provider.id == Round.provider_id)
        .join(TaskType, TaskType.id == Task.task_type_id)
        .where(billed_task(), Task.accepted_at >= start, Task.accepted_at < end)
        .group_by(
            Round.member_id,
            Round.framework_id,
            Framework.reference,
            Round.lot_id,
            Round.provider_id,
            provider.name,
            Task.task_type,
            TaskType.name,
            Task.unit,
            Task.unit_price,
            provider.vat_registered,
            Task.vat_rate,
            Task.quantity,
            Task.amount,
        )
    )
    if member_id is not None:
        stmt = stmt.where(Round.member_id == member_id)
    if framework_id is not None:
        stmt = stmt.where(Round.framework_id == framework_id)
    if provider_id is not None:
        stmt = stmt.where(Round.provider_id == provider_id)
    if frameworks is not None:
        stmt = stmt.where(frameworks)
    return stmt


def build_statement(
    session: Session,
    member_id: int,
    month: date,
    *,
    framework_id: int | None = None,
    provider_id: int | None = None,
    frameworks: ColumnElement[bool] | None = None,
) -> pd.DataFrame:
    """A member's statement for a month (rule 15): accepted work per framework, provider, task
    type and unit price; a line's quantity and amount are the sums of its tasks' quantities and
    stored amounts (each unit price × quantity rounded half up to the cent when planned, §7.1).
    `frameworks` restricts the lines (a coordinator's reach)."""
    stmt = statement_query(
        member_id, month, framework_id=framework_id, provider_id=provider_id, frameworks=frameworks
    )
    return _statement_lines(_read(session, stmt), LINE_KEY)[STATEMENT_COLUMNS]


def build_month_lines(session: Session, month: date) -> pd.DataFrame:
    """Every member's statement lines of a month at once (`member_id` first), for issuing."""
    raw = _read(session, statement_query(None, month))
    return _statement_lines(raw, ["member_id", *LINE_KEY])[["member_id", *STATEMENT_COLUMNS]]


def _statement_lines(raw: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    if raw.empty:
        return pd.DataFrame(columns=["member_id", *STATEMENT_COLUMNS])
    for column in ("unit_price", "vat_rate", "quantity", "amount"):
        raw[column] = raw[column].map(_decimal)
    raw["tasks"] = raw["tasks"].astype(int)
    raw["quantity"] = [q * n for q, n in zip(raw["quantity"], raw["tasks"], strict=True)]
    raw["amount"] = [a * n for a, n in zip(raw["amount"], raw["tasks"], strict=True)]
    lines = raw.groupby(key, as_index=False, sort=True).agg(
        quantity=("quantity", _money_sum), amount=("amount", _money_sum), tasks=("tasks", "sum")
    )
    return lines.reset_index(drop=True)


VAT_COLUMNS = ["framework_id", "provider_id", "vat_rate", "base", "vat"]


def vat_breakdown(lines: pd.DataFrame) -> pd.DataFrame:
    """VAT per invoice (framework and provider) and rate, on the total for that rate, rounded
    half up to the cent — as the provider's invoice shows it (never line by line)."""
    if lines.empty:
        return pd.DataFrame(columns=VAT_COLUMNS)
    bases = lines.groupby(["framework_id", "provider_id", "vat_rate"], as_index=False, sort=True)[
        "amount"
    ].sum()
    bases = bases.rename(columns={"amount": "base"})
    bases["base"] = bases["base"].map(_decimal)
    bases["vat"] = [
        vat_for_base(base, rate)
        for base, rate in zip(bases["base"], bases["vat_rate"], strict=True)
    ]
    return bases[VAT_COLUMNS]


@dataclass(frozen=True)
class Totals:
    total_excl_vat: Decimal
    vat: Decimal
    total_incl_vat: Decimal


def totals(lines: pd.DataFrame, vat: pd.DataFrame) -> Totals:
    excl = sum((_decimal(a) for a in lines["amount"]), ZERO) if not lines.empty else ZERO
    tax = sum((_decimal(v) for v in vat["vat"]), ZERO) if not vat.empty else ZERO
    return Totals(round_money(excl), round_money(tax), round_money(excl + tax))


@dataclass
class StatementReport:
    """A member-month statement: its lines, its VAT per invoice and rate, and its totals."""

    member_id: int
    month: date
    lines: pd.DataFrame
    vat: pd.DataFrame
    totals: Totals


def statement_report(
    session: Session,
    member_id: int,
    month: date,
    **filters: Any,
) -> StatementReport:
    lines = build_statement(session, member_id, month, **filters)
    vat = vat_breakdown(lines)
    return StatementReport(member_id, month, lines, vat, totals(lines, vat))


def frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a DataFrame as plain dicts (values as pandas holds them: Decimal stays)."""
    return frame.to_dict(orient="records")


# --- consumption (rule 2) -----------------------------------------------------------------------


def month_buckets(first: date, months: int) -> list[tuple[str, datetime, datetime]]:
    """Consecutive Brussels months from `first`: (label, start UTC, end UTC)."""
    buckets = []
    for n in range(months):
        month = first + relativedelta(months=n)
        start, end = month_period_utc(month)
        buckets.append((month_label(month), start, end))
    return buckets


def month_of(column: Any, buckets: list[tuple[str, datetime, datetime]]) -> Any:
    """SQL: the Brussels month label of a UTC timestamp column, over consecutive buckets, NULL
    outside them (a CASE on their boundaries, the same on every database). Each bucket starts
    where the one before ends, so one comparison a bucket decides: on a year's tasks that halves
    the work of a report's scan."""
    from sqlalchemy import case, literal

    for (_, _, end), (_, start, _) in pairwise(buckets):
        if end != start:
            raise ValueError("month buckets must be consecutive")
    return case(
        (column < buckets[0][1], literal(None)),
        *[(column < end, literal(label)) for label, _, end in buckets],
        else_=literal(None),
    )


def counting_task():
    """SQL: the task counts towards committed value (rule 2): not cancelled, not closed as
    inaccessible or not found."""
    return (Task.status != TaskStatus.CANCELLED) & (
        Task.result.is_(None) | Task.result.not_in(list(UNBILLED_RESULTS))
    )


def _stage():
    from sqlalchemy import case, literal

    return case(
        (Task.status == TaskStatus.ACCEPTED, literal("accepted")),
        (Task.status == TaskStatus.DONE, literal("done")),
        else_=literal("open"),
    )


def _amount_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Grouped task rows (stored amount, tasks) -> the exact `amount` of each row's tasks."""
    frame = frame.copy()
    frame["amount"] = [
        round_money(_decimal(a)) * int(n)
        for a, n in zip(frame["amount"], frame["tasks"], strict=True)
    ]
    return frame


def _money_sum(values: Any) -> Decimal:
    return sum((_decimal(v) for v in values), ZERO)


def build_member_amounts(session: Session, framework_id: int) -> pd.DataFrame:
    """Committed value, value awaiting acceptance and completed (= accepted) value per member
    and lot of a framework (rule 2; only accepted work counts as completed)."""
    stage = _stage().label("stage")
    stmt = (
        select(
            Round.member_id.label("member_id"),
            Organisation.name.label("member_name"),
            Round.lot_id.label("lot_id"),
            stage,
            Task.amount.label("amount"),
            func.count().label("tasks"),
        )
        .select_from(Task)
        .join(Round, Round.id == Task.round_id)
        .join(Organisation, Organisation.id == Round.member_id)
        .where(Round.framework_id == framework_id, counting_task())
        .group_by(Round.member_id, Organisation.name, Round.lot_id, stage, Task.amount)
    )
    columns = ["member_id", "member_name", "lot_id", "committed", "awaiting", "completed"]
    raw = _read(session, stmt)
    if raw.empty:
        return pd.DataFrame(columns=[*columns, "accepted"])
    raw = _amount_rows(raw)
    raw["committed"] = raw["amount"]
    pairs = list(zip(raw["amount"], raw["stage"], strict=True))
    # Only accepted work counts as completed (rule 15); done work awaits the member's acceptance.
    raw["awaiting"] = [a if s == "done" else ZERO for a, s in pairs]
    raw["completed"] = [a if s == "accepted" else ZERO for a, s in pairs]
    grouped = raw.groupby(["member_id", "member_name", "lot_id"], as_index=False, sort=True).agg(
        committed=("committed", _money_sum),
        awaiting=("awaiting", _money_sum),
        completed=("completed", _money_sum),
    )
    grouped["accepted"] = grouped["completed"]
    return grouped[[*columns, "accepted"]]


def build_commitment_by_month(
    session: Session, framework_id: int, first: date, months: int
) -> pd.DataFrame:
    """Value committed per lot and Brussels month of planning (tasks still counting)."""
    buckets = month_buckets(first, months)
    month = month_of(Task.created_at, buckets).label("month")
    stmt = (
        select(
            Round.lot_id.label("lot_id"),
            month,
            Task.amount.label("amount"),
            func.count().label("tasks"),
        )
        .select_from(Task)
        .join(Round, Round.id == Task.round_id)
        .where(
            Round.framework_id == framework_id,
            counting_task(),
            Task.created_at >= buckets[0][1],
            Task.created_at < buckets[-1][2],
        )
        .group_by(Round.lot_id, month, Task.amount)
    )
    raw = _read(session, stmt)
    labels = [label for label, _, _ in buckets]
    if raw.empty:
        return pd.DataFrame({"lot_id": pd.Series(dtype=object), "month": [], "committed": []})
    raw = _amount_rows(raw)
    grouped = raw.groupby(["lot_id", "month"], as_index=False, sort=True).agg(
        committed=("amount", _money_sum)
    )
    grouped["month"] = pd.Categorical(grouped["month"], categories=labels, ordered=True)
    return grouped.sort_values(["lot_id", "month"]).reset_index(drop=True)


@dataclass
class Forecast:
    """When the maximum is reached at the current pace (None: no pace, or no maximum)."""

    pace_per_month: Decimal
    month: str | None
    reached: bool
    after_end: bool


def forecast_maximum(
    committed: Decimal,
    maximum: Decimal | None,
    monthly: list[Decimal],
    current_month: date,
    end_date: date,
) -> Forecast:
    """The month the maximum is reached if commitments go on at the average pace of the given
    months (the last full months)."""
    pace = round_money(_money_sum(monthly) / len(monthly)) if monthly else ZERO
    if maximum is None:
        return Forecast(pace, None, False, False)
    if committed >= maximum:
        return Forecast(pace, month_label(current_month), True, False)
    if pace <= 0:
        return Forecast(pace, None, False, False)
    remaining = maximum - committed
    months_needed = int(-(-remaining // pace))  # ceiling
    reached_in = current_month + relativedelta(months=months_needed)
    return Forecast(pace, month_label(reached_in), False, reached_in > end_date)


# Months whose pace the forecast follows.
PACE_MONTHS = 6
SERIES_MONTHS = 12


def build_consumption(session: Session, framework: Framework, today: date) -> dict[str, Any]:
    """A framework's consumption: committed, completed and accepted value against the estimate
    and the maximum, per lot and per member, with the month each maximum is reached at the
    pace of the last six full months, and twelve months of commitments for the chart."""
    from central.frameworks.models import Lot

    this_month = today.replace(day=1)
    first = this_month - relativedelta(months=SERIES_MONTHS - 1)
    members = build_member_amounts(session, framework.id)
    monthly = build_commitment_by_month(session, framework.id, first, SERIES_MONTHS)
    labels = [label for label, _, _ in month_buckets(first, SERIES_MONTHS)]
    pace_labels = labels[-PACE_MONTHS - 1 : -1]

    def series(lot_id: int | None) -> dict[str, Decimal]:
        rows = monthly if lot_id is None else monthly[monthly["lot_id"] == lot_id]
        values = {label: ZERO for label in labels}
        for label, amount in zip(rows["month"], rows["committed"], strict=True):
            values[str(label)] += amount
        return values

    def amounts(rows: pd.DataFrame) -> dict[str, Decimal]:
        return {k: _money_sum(rows[k]) for k in ("committed", "awaiting", "completed", "accepted")}

    lots = []
    for lot in session.scalars(
        select(Lot).where(Lot.framework_id == framework.id).order_by(Lot.number)
    ):
        totals_ = amounts(members[members["lot_id"] == lot.id])
        months = series(lot.id)
        lots.append(
            {
                "lot_id": lot.id,
                "number": lot.number,
                "title": lot.title,
                "max_value": lot.max_value,
                **totals_,
                "forecast": forecast_maximum(
                    totals_["committed"],
                    lot.max_value,
                    [months[m] for m in pace_labels],
                    this_month,
                    framework.end_date,
                ),
            }
        )
    total = amounts(members)
    months = series(None)
    per_member = (
        members.groupby(["member_id", "member_name"], as_index=False, sort=False)
        .agg(
            committed=("committed", _money_sum),
            awaiting=("awaiting", _money_sum),
            completed=("completed", _money_sum),
            accepted=("accepted", _money_sum),
        )
        .sort_values("member_name")
        if not members.empty
        else members
    )
    return {
        "framework": framework,
        "estimated_value": framework.estimated_value,
        "max_value": framework.max_value,
        **total,
        "forecast": forecast_maximum(
            total["committed"],
            framework.max_value,
            [months[m] for m in pace_labels],
            this_month,
            framework.end_date,
        ),
        "lots": lots,
        "members": per_member,
        "months": months,
    }


# --- social impact ------------------------------------------------------------------------------

SOCIAL_COLUMNS = [
    "provider_id",
    "provider_name",
    "social_economy_status",
    "member_id",
    "member_name",
    "tasks",
    "defects",
    "spend",
    "social_spend",
    "hours",
    "target_group_hours",
    "worker_days",
    "fte",
]


def _cents_sum(column: Any) -> Any:
    """SQL: the exact sum of a two-decimal column, as integer cents (SQLite keeps NUMERIC as
    floating point; every value is rounded to its cents before it is added)."""
    from sqlalchemy import Integer, cast

    return func.sum(cast(func.round(column * 100), Integer))


def subcontracted_social(award: Any = None) -> ColumnElement[bool]:
    """SQL: a task (joined to its Round and its Award) done by a social-economy subcontractor
    (SPEC 7.3): its award gave the task's type to a subcontractor whose subcontracting ran on
    the day the work was done, and who held a recognition valid that day. Its value counts as
    social-economy spend, though the main contractor invoices it."""
    from sqlalchemy import exists, or_

    from central.frameworks.models import Award, AwardSubcontractor, SubcontractedTaskType
    from central.organisations.models import RECOGNISED_SOCIAL_ECONOMY, Recognition

    award = award if award is not None else Award
    day = Task.done_on
    return exists(
        select(SubcontractedTaskType.id)
        .join(AwardSubcontractor, AwardSubcontractor.id == SubcontractedTaskType.subcontractor_id)
        .join(Recognition, Recognition.organisation_id == AwardSubcontractor.organisation_id)
        .where(
            SubcontractedTaskType.award_id == award.id,
            SubcontractedTaskType.task_type_id == Task.task_type_id,
            AwardSubcontractor.started_on <= day,
            or_(AwardSubcontractor.ended_on.is_(None), AwardSubcontractor.ended_on > day),
            Recognition.status.in_(sorted(RECOGNISED_SOCIAL_ECONOMY)),
            Recognition.valid_from <= day,
            or_(Recognition.valid_until.is_(None), Recognition.valid_until >= day),
        )
    )


def _any_subcontracting(session: Session, framework_ids: list[int] | None) -> bool:
    """Whether any award of these frameworks (None: any) ever had a subcontractor."""
    from central.frameworks.models import Award, AwardSubcontractor, Lot

    probe = select(AwardSubcontractor.id).join(Award, Award.id == AwardSubcontractor.award_id)
    if framework_ids is not None:
        probe = probe.join(Lot, Lot.id == Award.lot_id).where(Lot.framework_id.in_(framework_ids))
    return session.scalar(probe.limit(1)) is not None


def _year_tasks(
    session: Session, framework_ids: list[int] | None, year: int, member_id: int | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One pass over a year's tasks of some frameworks (None: all): (1) tasks served and defects
    found per framework, provider and member (by the day the work was done), (2) accepted spend
    per framework, provider, member and Brussels month, the sum of the tasks' stored amounts (as
    its statement adds them), split by whether the award kept a recognised social-economy status
    (SPEC 7.2: what was kept, never the provider's status today)."""
    from central.frameworks.models import Award
    from central.organisations.models import RECOGNISED_SOCIAL_ECONOMY

    buckets = month_buckets(date(year, 1, 1), 12)
    first, last = date(year, 1, 1), date(year, 12, 31)
    billed_in_year = (
        billed_task() & (Task.accepted_at >= buckets[0][1]) & (Task.accepted_at < buckets[-1][2])
    )
    served_in_year = (
        Task.status.in_([TaskStatus.DONE, TaskStatus.ACCEPTED])
        & Task.result.in_(["ok", "defect"])
        & (Task.done_on >= first)
        & (Task.done_on <= last)
    )
    # The month of billing, NULL for work that was only done (not billed) in the year.
    month = case((billed_in_year, month_of(Task.accepted_at, buckets)), else_=None).label("month")
    kept = func.coalesce(Award.social_economy_status, "none").label("kept")
    # SPEC 7.3: work the award's social-economy subcontractor did (only billed work matters).
    # Asked per task only when some award of these frameworks has a subcontractor, so that the
    # report costs nothing more where there is none.
    if _any_subcontracting(session, framework_ids):
        subcontracted = case((billed_in_year & subcontracted_social(), 1), else_=0).label(
            "subcontracted"
        )
        by_subcontracting = [subcontracted]
    else:
        subcontracted = literal(0).label("subcontracted")
        by_subcontracting = []
    stmt = (
        select(
            Round.framework_id.label("framework_id"),
            Round.provider_id.label("provider_id"),
            Round.member_id.label("member_id"),
            month,
            kept,
            subcontracted,
            Task.amount.label("amount"),
            func.count().label("rows"),
            func.sum(case((served_in_year, 1), else_=0)).label("served"),
            func.sum(case((served_in_year & (Task.result == "defect"), 1), else_=0)).label(
                "defects"
            ),
        )
        .select_from(Task)
        .join(Round, Round.id == Task.round_id)
        .outerjoin(Award, (Award.lot_id == Round.lot_id) & (Award.provider_id == Round.provider_id))
        .where(billed_in_year | served_in_year)
        .group_by(
            Round.framework_id,
            Round.provider_id,
            Round.member_id,
            month,
            kept,
            *by_subcontracting,
            Task.amount,
        )
    )
    if framework_ids is not None:
        stmt = stmt.where(Round.framework_id.in_(framework_ids))
    if member_id is not None:
        stmt = stmt.where(Round.member_id == member_id)
    raw = _read(session, stmt)
    work_columns = ["framework_id", "provider_id", "member_id", "tasks", "defects"]
    spend_columns = ["framework_id", "provider_id", "member_id", "month", "social", "spend"]
    if raw.empty:
        return pd.DataFrame(columns=work_columns), pd.DataFrame(columns=spend_columns)
    raw["served"] = raw["served"].astype(int)
    raw["defects"] = raw["defects"].astype(int)
    work = raw.groupby(["framework_id", "provider_id", "member_id"], as_index=False, sort=True).agg(
        tasks=("served", "sum"), defects=("defects", "sum")
    )
    billed = raw[raw["month"].notna()].copy()
    if billed.empty:
        return work[work_columns], pd.DataFrame(columns=spend_columns)
    # Exact integer cents: the sum of the tasks' stored amounts, as the statement lines add them.
    billed["social"] = [
        k in RECOGNISED_SOCIAL_ECONOMY or bool(int(sub))
        for k, sub in zip(billed["kept"], billed["subcontracted"], strict=True)
    ]
    billed["cents"] = [
        int(_decimal(a).scaleb(2)) * int(n)
        for a, n in zip(billed["amount"], billed["rows"], strict=True)
    ]
    spend = billed.groupby(
        ["framework_id", "provider_id", "member_id", "month", "social"], as_index=False, sort=True
    )["cents"].sum()
    spend["spend"] = [Decimal(int(c)).scaleb(-2) for c in spend["cents"]]
    spend = spend[spend_columns]
    return work[work_columns], spend


def _share(part: Decimal, whole: Decimal | None) -> Decimal | None:
    """`part` as a percentage of `whole`, to the hundredth; None without a whole."""
    if not whole:
        return None
    return (part * HUNDRED / whole).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _credits(
    session: Session, framework_ids: list[int] | None, year: int, member_id: int | None
) -> list[tuple[tuple[int, int, int], str, Decimal, bool]]:
    """Credits issued in a year ((framework, provider, member), month, amount, social): a
    credit lowers spend in the month of the statement that carries it, as that statement does,
    and social spend when its line kept a recognised status (SPEC 7.2)."""
    from central.organisations.models import RECOGNISED_SOCIAL_ECONOMY
    from central.reports.models import Credit, Statement, StatementLine

    stmt = (
        select(
            Credit.framework_id,
            Credit.provider_id,
            Credit.member_id,
            Statement.month,
            Credit.amount,
            StatementLine.social_economy_status,
        )
        .join(Statement, Statement.id == Credit.statement_id)
        .outerjoin(StatementLine, StatementLine.credit_id == Credit.id)
        .where(Statement.month.like(f"{year:04d}-%"))
    )
    if framework_ids is not None:
        stmt = stmt.where(Credit.framework_id.in_(framework_ids))
    if member_id is not None:
        stmt = stmt.where(Credit.member_id == member_id)
    return [
        ((int(f), int(p), int(m)), month, _decimal(amount), kept in RECOGNISED_SOCIAL_ECONOMY)
        for f, p, m, month, amount, kept in session.execute(stmt)
    ]


def _fte(hours: Decimal, hours_per_fte: Decimal) -> Decimal:
    """Full-time equivalents of some hours, to the hundredth; a total is computed from its total
    hours, never added up from rounded rows."""
    return (hours / hours_per_fte).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class _Impact:
    """A year's figures per (framework, provider, member): the common ground of the framework
    and the member-wide reports."""

    figures: dict[tuple[int, int, int], dict[str, Any]]
    monthly: dict[tuple[int, int, int], dict[str, Decimal]]  # spend per month, credits included
    # The part of it whose award (or credit line) kept a recognised social-economy status.
    social_monthly: dict[tuple[int, int, int], dict[str, Decimal]]
    # (framework, provider): the status its awards kept (a recognised one if any did).
    kept_status: dict[tuple[int, int], str]
    orgs: dict[int, Organisation]
    frameworks: dict[int, Framework]


def _impact(
    session: Session, year: int, *, framework_ids: list[int] | None, member_id: int | None
) -> _Impact:
    """Tasks and defects, accepted spend less issued credits, and labour (hours, target-group
    hours, worker-days as §7.1 counts them) per framework, provider and member in a year."""
    from central.fieldwork.queries import labour_shares

    work, monthly_spend = _year_tasks(session, framework_ids, year, member_id)
    figures: dict[tuple[int, int, int], dict[str, Any]] = {}

    def at(key: tuple[int, int, int]) -> dict[str, Any]:
        return figures.setdefault(
            key,
            {
                "tasks": 0,
                "defects": 0,
                "hours": ZERO,
                "target_group_hours": ZERO,
                "worker_days": ZERO,
            },
        )

    for f, p, m, tasks, defects in work.itertuples(index=False):
        if pd.notna(p):
            row = at((int(f), int(p), int(m)))
            row["tasks"], row["defects"] = int(tasks), int(defects)
    monthly: dict[tuple[int, int, int], dict[str, Decimal]] = {}
    social_monthly: dict[tuple[int, int, int], dict[str, Decimal]] = {}

    def add(key: tuple[int, int, int], month: str, amount: Decimal, social: bool) -> None:
        at(key)
        for target in (monthly, social_monthly) if social else (monthly,):
            months = target.setdefault(key, {})
            months[month] = months.get(month, ZERO) + amount

    for f, p, m, month, social, amount in monthly_spend.itertuples(index=False):
        if pd.notna(p):
            add((int(f), int(p), int(m)), month, _decimal(amount), bool(social))
    for key, month, amount, social in _credits(session, framework_ids, year, member_id):
        add(key, month, -amount, social)
    for share in labour_shares(year=year, framework_ids=framework_ids, member_id=member_id):
        row = at((share.framework_id, share.provider_id, share.member_id))
        row["hours"] += share.hours
        row["target_group_hours"] += share.target_group_hours
        row["worker_days"] += share.target_group_worker_days
    ids = {i for key in figures for i in key[1:]}
    orgs = {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}
    frameworks = {
        f.id: f
        for f in session.scalars(
            select(Framework).where(Framework.id.in_({key[0] for key in figures}))
        )
    }
    kept_status: dict[tuple[int, int], str] = {}
    if figures:
        from central.frameworks.models import Award, Lot
        from central.organisations.models import RECOGNISED_SOCIAL_ECONOMY

        for f, p, status in session.execute(
            select(Lot.framework_id, Award.provider_id, Award.social_economy_status)
            .join(Lot, Lot.id == Award.lot_id)
            .where(Lot.framework_id.in_(list(frameworks)))
            .order_by(Award.id)
        ):
            if kept_status.get((f, p)) not in RECOGNISED_SOCIAL_ECONOMY:
                kept_status[(f, p)] = status
        # SPEC 7.3: a subcontractor's own rows (its labour) show the status it started with.
        from central.frameworks.models import AwardSubcontractor

        for f, p, status in session.execute(
            select(
                Lot.framework_id,
                AwardSubcontractor.organisation_id,
                AwardSubcontractor.social_economy_status,
            )
            .join(Award, Award.id == AwardSubcontractor.award_id)
            .join(Lot, Lot.id == Award.lot_id)
            .where(Lot.framework_id.in_(list(frameworks)))
            .order_by(AwardSubcontractor.id)
        ):
            if kept_status.get((f, p)) not in RECOGNISED_SOCIAL_ECONOMY:
                kept_status[(f, p)] = status
    return _Impact(figures, monthly, social_monthly, kept_status, orgs, frameworks)


def _social_by_month(impact: _Impact, year: int) -> dict[str, Decimal]:
    """Spend through social-economy providers per month of the year, credits included."""
    by_month = {label: ZERO for label, _, _ in month_buckets(date(year, 1, 1), 12)}
    for months in impact.social_monthly.values():
        for month, amount in months.items():
            if month in by_month:
                by_month[month] += amount
    return by_month


def _add(rows: list[dict[str, Any]], hours_per_fte: Decimal) -> dict[str, Any]:
    """Totals of report rows: sums, FTE from the total hours, the social share of spend."""
    totals: dict[str, Any] = {
        k: sum((r[k] for r in rows), ZERO)
        for k in ("spend", "social_spend", "hours", "target_group_hours", "worker_days")
    }
    totals["fte"] = _fte(totals["target_group_hours"], hours_per_fte)
    totals["social_share_of_spend"] = _share(totals["social_spend"], totals["spend"])
    totals["tasks"] = sum(r["tasks"] for r in rows)
    totals["defects"] = sum(r["defects"] for r in rows)
    return totals


def _row(impact: _Impact, key: tuple[int, int, int], hours_per_fte: Decimal) -> dict[str, Any]:
    framework_id, provider_id, member_id = key
    provider, member = impact.orgs[provider_id], impact.orgs[member_id]
    figures = impact.figures[key]
    spend = sum(impact.monthly.get(key, {}).values(), ZERO)
    social_spend = sum(impact.social_monthly.get(key, {}).values(), ZERO)
    return {
        "framework_id": framework_id,
        "provider_id": provider_id,
        "provider_name": provider.name,
        "social_economy_status": impact.kept_status.get((framework_id, provider_id), "none"),
        "member_id": member_id,
        "member_name": member.name,
        "tasks": figures["tasks"],
        "defects": figures["defects"],
        "spend": spend,
        "social_spend": social_spend,
        "hours": figures["hours"],
        "target_group_hours": figures["target_group_hours"],
        "worker_days": figures["worker_days"],
        "fte": _fte(figures["target_group_hours"], hours_per_fte),
    }


def _grouped(
    rows: list[dict[str, Any]], key: str, hours_per_fte: Decimal, **first: str
) -> dict[Any, dict[str, Any]]:
    """Rows added up per `key`, keeping the named fields of the first row of each group."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return {
        value: {
            key: value,
            **{name: members[0][source] for name, source in first.items()},
            **_add(members, hours_per_fte),
        }
        for value, members in groups.items()
    }


def build_social_impact(
    session: Session,
    framework: Framework,
    year: int,
    *,
    hours_per_fte: Decimal,
    member_id: int | None = None,
) -> dict[str, Any]:
    """Social impact of a framework in a year, per provider and member (§7.1): tasks done and
    defects found, accepted spend less issued credits and the part through social-economy
    providers — the framework's target is the social-economy share of its spend —, each
    member's share of its maintenance budget, target-group hours, worker-days (a worker serving
    several rounds on a day counts once) and FTE (from total hours)."""
    from central.reports.models import MaintenanceBudget

    impact = _impact(session, year, framework_ids=[framework.id], member_id=member_id)
    # One row per provider and member: the framework's keys are already one framework.
    rows = [_row(impact, key, hours_per_fte) for key in impact.figures]
    rows.sort(key=lambda r: (r["provider_name"], r["member_name"]))
    table = pd.DataFrame(rows, columns=SOCIAL_COLUMNS)
    budgets = {
        b.member_id: b.amount
        for b in session.scalars(select(MaintenanceBudget).where(MaintenanceBudget.year == year))
    }
    target = framework.social_target_percent
    members = []
    for member_id_, m in _grouped(
        rows, "member_id", hours_per_fte, member_name="member_name"
    ).items():
        budget = budgets.get(member_id_)
        share_of_spend = m["social_share_of_spend"]
        members.append(
            {
                "member_id": member_id_,
                "member_name": m["member_name"],
                "spend": m["spend"],
                "social_spend": m["social_spend"],
                "social_share_of_spend": share_of_spend,
                "maintenance_budget": budget,
                "share_percent": _share(m["social_spend"], budget),
                "target_percent": target,
                # The framework's target is a share of the framework's spend (§7.1).
                "target_met": None if share_of_spend is None else share_of_spend >= target,
            }
        )
    members.sort(key=lambda m: m["member_name"])
    providers = [
        {
            "provider_id": p["provider_id"],
            "provider_name": p["provider_name"],
            "social_economy_status": p["social_economy_status"],
            **{k: p[k] for k in PROVIDER_FIGURES},
        }
        for p in _grouped(
            rows,
            "provider_id",
            hours_per_fte,
            provider_name="provider_name",
            social_economy_status="social_economy_status",
        ).values()
    ]
    providers.sort(key=lambda p: p["provider_name"])
    totals = _add(rows, hours_per_fte)
    totals["target_met"] = (
        None
        if totals["social_share_of_spend"] is None
        else totals["social_share_of_spend"] >= target
    )
    return {
        "framework": framework,
        "year": year,
        "hours_per_fte": hours_per_fte,
        "target_percent": target,
        "rows": table,
        "members": members,
        "providers": providers,
        "totals": totals,
        "social_spend_by_month": _social_by_month(impact, year),
    }


PROVIDER_FIGURES = (
    "spend",
    "social_spend",
    "hours",
    "target_group_hours",
    "fte",
    "tasks",
    "defects",
    "worker_days",
)


def build_member_social_impact(
    session: Session,
    member: Organisation,
    year: int,
    *,
    hours_per_fte: Decimal,
    framework_ids: list[int] | None = None,
) -> dict[str, Any]:
    """A member's social impact in a year across every framework and lead it buys through
    (§7.1), against its own target: (social-economy spend through the platform + declared
    outside social-economy spend) / maintenance budget ≥ its `social_target_percent`. Each
    framework keeps its own target (the social-economy share of its spend). With
    `framework_ids` (a coordinator: the frameworks its authority leads) only that part, without
    the member's outside spend and without a verdict on the member's own target."""
    from central.reports.models import ExternalSocialSpend, MaintenanceBudget

    impact = _impact(session, year, framework_ids=framework_ids, member_id=member.id)
    rows = []
    for key in impact.figures:
        row = _row(impact, key, hours_per_fte)
        framework = impact.frameworks[key[0]]
        row["framework_reference"] = framework.reference
        row["lead_organisation_id"] = framework.lead_organisation_id
        rows.append(row)
    leads = {
        o.id: o.name
        for o in session.scalars(
            select(Organisation).where(
                Organisation.id.in_({r["lead_organisation_id"] for r in rows})
            )
        )
    }
    for row in rows:
        row["lead_name"] = leads[row["lead_organisation_id"]]
    rows.sort(key=lambda r: (r["framework_reference"], r["provider_name"]))
    frameworks = []
    for framework_id, f in _grouped(
        rows,
        "framework_id",
        hours_per_fte,
        framework_reference="framework_reference",
        lead_name="lead_name",
    ).items():
        target = impact.frameworks[framework_id].social_target_percent
        share = f["social_share_of_spend"]
        frameworks.append(
            {
                **f,
                "target_percent": target,
                "target_met": None if share is None else share >= target,
            }
        )
    frameworks.sort(key=lambda f: f["framework_reference"])
    whole = framework_ids is None
    external = (
        list(
            session.scalars(
                select(ExternalSocialSpend)
                .where(ExternalSocialSpend.member_id == member.id, ExternalSocialSpend.year == year)
                .order_by(ExternalSocialSpend.created_at, ExternalSocialSpend.id)
            )
        )
        if whole
        else []
    )
    budget = session.scalar(
        select(MaintenanceBudget).where(
            MaintenanceBudget.member_id == member.id, MaintenanceBudget.year == year
        )
    )
    totals = _add(rows, hours_per_fte)
    external_total = sum((e.amount for e in external), ZERO)
    counted = totals["social_spend"] + external_total
    amount = budget.amount if budget is not None else None
    target = budget.social_target_percent if budget is not None else None
    share = _share(counted, amount)
    return {
        "member": member,
        "year": year,
        "hours_per_fte": hours_per_fte,
        "whole": whole,
        "rows": rows,
        "frameworks": frameworks,
        "external_spend": external,
        "external_social_spend": external_total if whole else None,
        "maintenance_budget": amount,
        "target_percent": target,
        "social_spend_counted": counted,
        "share_percent": share,
        "target_met": (None if not whole or share is None or target is None else share >= target),
        "totals": totals,
        "social_spend_by_month": _social_by_month(impact, year),
    }


def _period(recognition: Any) -> str:
    """A recognition's days as ISO 8601 from/until (an open end left empty)."""
    until = recognition.valid_until.isoformat() if recognition.valid_until else ""
    return f"{recognition.valid_from.isoformat()}/{until}"


def build_social_economy_export(
    session: Session, framework_ids: list[int], year: int, *, hours_per_fte: Decimal
) -> dict[str, Any]:
    """§7.3: the export for the Departement Werk en Sociale Economie — per provider and member in
    a year, over the given frameworks: the provider's recognitions valid in that year (status and
    number), spend and its social-economy part (as the awards kept it), target-group hours,
    worker-days and FTE (from the hours)."""
    from central.organisations.models import Recognition

    impact = _impact(session, year, framework_ids=framework_ids, member_id=None)
    pairs: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for key in impact.figures:
        row = _row(impact, key, hours_per_fte)
        pairs.setdefault((row["provider_id"], row["member_id"]), []).append(row)
    first, last = date(year, 1, 1), date(year, 12, 31)
    recognised: dict[int, list[Recognition]] = {}
    providers = list({provider_id for provider_id, _ in pairs})
    for recognition in session.scalars(
        select(Recognition)
        .where(
            Recognition.organisation_id.in_(providers),
            Recognition.valid_from <= last,
            (Recognition.valid_until.is_(None)) | (Recognition.valid_until >= first),
        )
        .order_by(Recognition.organisation_id, Recognition.valid_from, Recognition.id)
    ):
        recognised.setdefault(recognition.organisation_id, []).append(recognition)
    rows = []
    for (provider_id, member_id), parts in pairs.items():
        provider, member = impact.orgs[provider_id], impact.orgs[member_id]
        totals = _add(parts, hours_per_fte)
        recognitions = recognised.get(provider_id, [])
        rows.append(
            {
                "year": year,
                "provider_name": provider.name,
                "provider_enterprise_number": provider.enterprise_number,
                "recognition_status": " ".join(r.status for r in recognitions) or "none",
                "recognition_number": " ".join(r.number or "?" for r in recognitions),
                "recognition_valid": " ".join(_period(r) for r in recognitions),
                "member_name": member.name,
                "member_enterprise_number": member.enterprise_number,
                "spend": totals["spend"],
                "social_spend": totals["social_spend"],
                "target_group_hours": totals["target_group_hours"],
                "worker_days": totals["worker_days"],
                "fte": totals["fte"],
            }
        )
    rows.sort(key=lambda r: (r["provider_name"], r["member_name"]))
    return {"year": year, "hours_per_fte": hours_per_fte, "rows": rows}

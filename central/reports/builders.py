"""Report builders: pure functions from SQL to pandas DataFrames, with exact money.

Each builder reads with `pd.read_sql(select(...), connection, coerce_float=False)`, so that
money stays `Decimal` on every database (SQLite keeps NUMERIC as floating point: nothing is
summed in SQL, rows are grouped by unit price and quantity and counted, and Python multiplies
and adds). Formatting (CSV, XLSX, HTML, JSON, UBL) lives in `formats.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from central.core.clock import BRUSSELS
from central.core.errors import N_, ValidationError
from central.core.money import CENT
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

STATEMENT_COLUMNS = [
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
    "quantity",
    "tasks",
    "amount",
]
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


def statement_query(
    member_id: int,
    month: date,
    *,
    framework_id: int | None = None,
    provider_id: int | None = None,
    frameworks: ColumnElement[bool] | None = None,
) -> Select:
    """Accepted, billable tasks of a member in a month, grouped down to unit price and quantity
    (so that nothing is multiplied or summed by the database)."""
    start, end = month_period_utc(month)
    provider = Organisation
    stmt = (
        select(
            Round.framework_id.label("framework_id"),
            Framework.reference.label("framework_reference"),
            Round.lot_id.label("lot_id"),
            Round.provider_id.label("provider_id"),
            provider.name.label("provider_name"),
            Task.task_type.label("task_type"),
            TaskType.name.label("task_type_name"),
            Task.unit.label("unit"),
            Task.unit_price.label("unit_price"),
            Task.vat_rate.label("vat_rate"),
            Task.quantity.label("quantity"),
            func.count().label("tasks"),
        )
        .select_from(Task)
        .join(Round, Round.id == Task.round_id)
        .join(Framework, Framework.id == Round.framework_id)
        .join(provider, provider.id == Round.provider_id)
        .join(TaskType, TaskType.id == Task.task_type_id)
        .where(
            Round.member_id == member_id,
            billed_task(),
            Task.accepted_at >= start,
            Task.accepted_at < end,
        )
        .group_by(
            Round.framework_id,
            Framework.reference,
            Round.lot_id,
            Round.provider_id,
            provider.name,
            Task.task_type,
            TaskType.name,
            Task.unit,
            Task.unit_price,
            Task.vat_rate,
            Task.quantity,
        )
    )
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
    type and unit price; quantity × the unit price planned with (rule 5), rounded half up to
    the cent per line. `frameworks` restricts the lines (a coordinator's reach)."""
    raw = _read(
        session,
        statement_query(
            member_id,
            month,
            framework_id=framework_id,
            provider_id=provider_id,
            frameworks=frameworks,
        ),
    )
    if raw.empty:
        return pd.DataFrame(columns=STATEMENT_COLUMNS)
    for column in ("unit_price", "vat_rate", "quantity"):
        raw[column] = raw[column].map(_decimal)
    raw["tasks"] = raw["tasks"].astype(int)
    raw["quantity"] = [q * n for q, n in zip(raw["quantity"], raw["tasks"], strict=True)]
    lines = raw.groupby(LINE_KEY, as_index=False, sort=True).agg(
        quantity=("quantity", "sum"), tasks=("tasks", "sum")
    )
    lines["amount"] = [
        round_money(q * p) for q, p in zip(lines["quantity"], lines["unit_price"], strict=True)
    ]
    return lines[STATEMENT_COLUMNS].reset_index(drop=True)


VAT_COLUMNS = ["framework_id", "provider_id", "vat_rate", "base", "vat"]


def vat_for_base(base: Decimal, rate: Decimal) -> Decimal:
    """The VAT on the total at one rate, rounded half up to the cent."""
    return round_money(Decimal(base) * Decimal(rate) / HUNDRED)


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

"""Demo: the figures councils and providers are paid by. Each member's maintenance budget for
this year and last, with a 15 % target for the social economy; the crews' labour on last year's
accepted rounds (about 0.6 crew-hours a hydrant, mostly target-group hours), so that the
social-impact report has figures; the issued statements of every past month of accepted work —
for each provider an invoice and, where it has a statement to correct, a credit note (a full
credit, issued with the last month); and one credit the coordinator decided on Izegem's latest
statement, waiting for the next one.

Idempotent: budgets are set only where missing, labour only on rounds without any, statements
once per framework, member, provider and month, each provider's credit note once, the pending
credit once.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from dateutil.relativedelta import relativedelta
from sqlalchemy import exists, func, select

from central.accounts.models import Role
from central.assets.models import Asset
from central.core import clock
from central.extensions import db
from central.fieldwork.models import LabourEntry
from central.fieldwork.services import store_labour
from central.frameworks.models import Framework, FrameworkBeneficiary
from central.organisations.models import Organisation
from central.planning.models import Round, RoundStatus, Task
from central.reports import builders, services
from central.reports.models import Credit, MaintenanceBudget, Statement

# Euro of maintenance budget per hydrant, plus a base: a small municipality spends some
# 150,000 a year on the maintenance of its public domain.
BUDGET_BASE = Decimal("120000.00")
BUDGET_PER_ASSET = Decimal("85.00")
CREW_HOURS_PER_TASK = Decimal("0.6")
TARGET_GROUP_SHARE = Decimal("0.7")
# Each member's own target, as Hasselt sets it: 15 % of its maintenance budget (§7.1).
SOCIAL_TARGET_PERCENT = Decimal("15.00")


def load(orgs: dict[str, Organisation]) -> None:
    today = clock.today()
    lead = orgs["lead"]
    members = list(
        db.session.scalars(
            select(Organisation)
            .join(FrameworkBeneficiary, FrameworkBeneficiary.organisation_id == Organisation.id)
            .join(Framework, Framework.id == FrameworkBeneficiary.framework_id)
            .where(Framework.lead_organisation_id == lead.id)
            .distinct()
        )
    )
    _budgets(members, today)
    _labour()
    _statements(today)
    _credit(orgs, today)
    db.session.flush()


def _budgets(members: list[Organisation], today: date) -> None:
    assets = dict(
        db.session.execute(select(Asset.member_id, func.count()).group_by(Asset.member_id)).all()
    )
    for member in members:
        amount = BUDGET_BASE + BUDGET_PER_ASSET * assets.get(member.id, 0)
        for year in (today.year - 1, today.year):
            if services.get_budget(member.id, year) is None:
                db.session.add(
                    MaintenanceBudget(
                        member_id=member.id,
                        year=year,
                        amount=amount,
                        social_target_percent=SOCIAL_TARGET_PERCENT,
                    )
                )
    db.session.flush()


def _labour() -> None:
    """Labour of accepted rounds that have none: one work date, the day the work was done."""
    has_labour = exists().where(LabourEntry.round_id == Round.id)
    rows = db.session.execute(
        select(Round.id, Round.provider_id, func.max(Task.done_on), func.count())
        .join(Task, Task.round_id == Round.id)
        .where(Round.status == RoundStatus.ACCEPTED, ~has_labour, Task.done_on.is_not(None))
        .group_by(Round.id)
    ).all()
    values = []
    for round_id, provider_id, work_date, tasks in rows:
        hours = (CREW_HOURS_PER_TASK * tasks).quantize(Decimal("0.25"), ROUND_HALF_UP)
        group_hours = (hours * TARGET_GROUP_SHARE).quantize(Decimal("0.25"), ROUND_HALF_UP)
        values.append(
            {
                "round_id": round_id,
                "provider_id": provider_id,
                "work_date": work_date,
                "hours": hours,
                "target_group_hours": group_hours,
                "target_group_workers": 2 if group_hours else 0,
            }
        )
    store_labour(values)


def _statements(today: date) -> None:
    """Every past month of accepted work, issued as the monthly job would have issued it."""
    first = db.session.scalar(
        select(func.min(Task.accepted_at)).where(Task.accepted_at.is_not(None))
    )
    if first is None:
        return
    month = builders.parse_month(first.astimezone(clock.BRUSSELS).strftime("%Y-%m"))
    this_month = today.replace(day=1)
    months = []
    while month < this_month:
        months.append(month)
        month = month + relativedelta(months=1)
    for month in months[:-1]:
        services.issue_month(
            db.session, month, day=month + relativedelta(months=1), with_credits=False
        )
    if months:
        last = months[-1]
        credited = _full_credits(last)
        services.issue_month(
            db.session, last, day=last + relativedelta(months=1), with_credits=credited
        )


def _full_credits(last: date) -> bool:
    """Per provider, the coordinator credits the whole work of its latest statement of a
    member it did no work for in the last month: issued with that month, it is a credit note."""
    if db.session.scalar(select(func.count()).select_from(Credit)):
        return False
    lines = builders.build_month_lines(db.session, last)
    busy = {
        (int(f), int(m), int(p))
        for f, m, p in zip(
            lines["framework_id"], lines["member_id"], lines["provider_id"], strict=True
        )
    }
    label = builders.month_label(last)
    chosen: dict[int, Statement] = {}
    for statement in db.session.scalars(
        select(Statement).where(Statement.month < label).order_by(Statement.month, Statement.id)
    ):
        key = (statement.framework_id, statement.member_id, statement.provider_id)
        if key not in busy and statement.total_excl_vat > 0:
            chosen[statement.provider_id] = statement
    for statement in chosen.values():
        framework = db.session.get(Framework, statement.framework_id)
        coordinator = SimpleNamespace(
            role=Role.COORDINATOR, organisation_id=framework.lead_organisation_id, id=None
        )
        rate, base = max(
            ((row["vat_rate"], row["base"]) for row in statement.vat_breakdown),
            key=lambda pair: pair[1],
        )
        services.add_credit(
            statement,
            {
                "amount": str(base),
                "vat_rate": str(rate),
                "reason": "Work billed but not carried out as agreed: full credit (demo).",
            },
            actor=coordinator,
        )
    return bool(chosen)


def _credit(orgs: dict[str, Organisation], today: date) -> None:
    """The coordinator credits one inspection on Izegem's latest statement (rule 7)."""
    pending = select(func.count()).select_from(Credit).where(Credit.statement_id.is_(None))
    if db.session.scalar(pending):
        return
    latest = db.session.scalar(
        select(Statement)
        .where(Statement.member_id == orgs["member"].id)
        .order_by(Statement.month.desc(), Statement.id.desc())
        .limit(1)
    )
    if latest is None or not latest.lines:
        return
    line = latest.lines[0]
    coordinator = SimpleNamespace(role=Role.COORDINATOR, organisation_id=orgs["lead"].id, id=None)
    services.add_credit(
        latest,
        {
            "amount": str(line.unit_price),
            "vat_rate": str(line.vat_rate),
            "reason": "Hydrant counted twice in this round (demo).",
        },
        actor=coordinator,
    )

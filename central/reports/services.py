"""Reports rules: a member's maintenance budget per year; issuing statements (one per framework,
member, provider and month, immutable — rule 7) as invoices or credit notes in the provider's
name, numbered in the provider's own series; credits decided by the coordinator, carried by the
next statement.

Each service takes models and validated values plus the acting user, checks its rule, raises a
DomainError, records an audit event and flushes; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from central.core import audit
from central.core.clock import BRUSSELS
from central.core.errors import N_, Forbidden, ValidationError
from central.core.fields import MAX_AMOUNT
from central.core.jobs import job
from central.core.permissions import require_own_authority
from central.core.types import utcnow
from central.core.validators import structured_communication
from central.extensions import db
from central.frameworks.models import Accession, AccessionStatus, Framework
from central.frameworks.reach import leads_framework
from central.organisations.models import Organisation
from central.reports import builders
from central.reports.models import (
    Credit,
    DocumentType,
    ExternalSocialSpend,
    LineKind,
    MaintenanceBudget,
    Statement,
    StatementLine,
)

FIRST_YEAR, LAST_YEAR = 2000, 2100


def check_year(year: Any) -> int:
    """A budget or report year: a whole number from 2000 to 2100 (400 otherwise)."""
    try:
        value = int(str(year).strip())
    except (TypeError, ValueError):
        value = None
    if value is None or not FIRST_YEAR <= value <= LAST_YEAR:
        raise ValidationError(
            N_("Give a year from 2000 to 2100."),
            fields={"year": N_("Give a year from 2000 to 2100.")},
        )
    return value


def clean_amount(value: Any, field: str) -> Decimal:
    """A non-negative amount in euro with at most two decimals; floats are refused."""
    message = None
    amount = None
    if value is None or (isinstance(value, str) and not value.strip()):
        message = N_("Enter an amount.")
    elif isinstance(value, float | bool):
        message = N_("Give the amount as a string such as 1234.50.")
    else:
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            message = N_("Not an amount.")
        else:
            if not amount.is_finite():
                message = N_("Not an amount.")
            elif amount < 0:
                message = N_("Cannot be negative.")
            elif amount > MAX_AMOUNT:
                message = N_("The amount is too large.")
            elif amount != amount.quantize(Decimal("0.01")):
                message = N_("At most 2 decimals.")
    if message:
        raise ValidationError(message, fields={field: message})
    return amount.quantize(Decimal("0.01"))


def get_budget(member_id: int, year: int) -> MaintenanceBudget | None:
    return db.session.scalar(
        select(MaintenanceBudget).where(
            MaintenanceBudget.member_id == member_id, MaintenanceBudget.year == year
        )
    )


KEEP = object()  # a budget PUT without `social_target_percent` keeps the stored one


def clean_percent(value: Any, field: str) -> Decimal | None:
    """A percentage from 0 to 100 with at most two decimals, or None (none set)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    message = N_("Give a percentage from 0 to 100, such as 15.")
    if isinstance(value, float | bool):
        raise ValidationError(message, fields={field: message})
    try:
        percent = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValidationError(message, fields={field: message}) from None
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise ValidationError(message, fields={field: message})
    if percent != percent.quantize(Decimal("0.01")):
        raise ValidationError(N_("At most 2 decimals."), fields={field: N_("At most 2 decimals.")})
    return percent.quantize(Decimal("0.01"))


def _checked(errors: dict[str, list[str]], check: Any, *args: Any) -> Any:
    """`check(*args)`, its field errors kept in `errors` (None then) so that every field's error
    is said at once."""
    try:
        return check(*args)
    except ValidationError as exc:
        for name, messages in exc.fields.items():
            errors.setdefault(name, []).extend(messages)
        return None


def set_budget(
    member: Organisation,
    year: Any,
    amount: Any,
    *,
    actor: Any,
    social_target_percent: Any = KEEP,
) -> MaintenanceBudget:
    """A member authority enters its maintenance budget for a year (the base of its
    social-economy share) and its own target, the percentage of that budget it means to spend
    in the social economy (§7.1: Hasselt's 15 %); a new figure replaces the old one, a target
    left out keeps the stored one. Only the member itself may."""
    require_own_authority(actor, member.id)
    errors: dict[str, list[str]] = {}
    year = _checked(errors, check_year, year)
    value = _checked(errors, clean_amount, amount, "maintenance_budget")
    target = (
        KEEP
        if social_target_percent is KEEP
        else _checked(errors, clean_percent, social_target_percent, "social_target_percent")
    )
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], fields=errors)
    budget = get_budget(member.id, year)
    previous = budget.amount if budget is not None else None
    previous_target = budget.social_target_percent if budget is not None else None
    if target is KEEP:
        target = previous_target
    if budget is None:
        budget = MaintenanceBudget(member_id=member.id, year=year, amount=value)
        db.session.add(budget)
    budget.amount = value
    budget.social_target_percent = target
    budget.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(
        "budget.set",
        budget,
        actor=actor,
        year=year,
        amount=value,
        previous=previous,
        social_target_percent=target,
        previous_social_target_percent=previous_target,
    )
    return budget


def external_spends_query(member_id: int, year: int) -> Select:
    """A member's declared outside social-economy spend in a year, in the order declared."""
    return (
        select(ExternalSocialSpend)
        .where(ExternalSocialSpend.member_id == member_id, ExternalSocialSpend.year == year)
        .order_by(ExternalSocialSpend.created_at, ExternalSocialSpend.id)
    )


def external_spends(member_id: int, year: int) -> list[ExternalSocialSpend]:
    return list(db.session.scalars(external_spends_query(member_id, year)))


def add_external_spend(
    member: Organisation, year: Any, values: dict[str, Any], *, actor: Any
) -> ExternalSocialSpend:
    """A member declares social-economy spend it made outside the platform in a year (§7.1):
    with a recognised social-economy provider (enterprise number passing the mod-97 check), a
    positive amount excl. VAT. It counts towards the member's own target only. Only the member
    itself may."""
    from central.core.validators import normalise_enterprise_number
    from central.organisations.models import RECOGNISED_SOCIAL_ECONOMY

    require_own_authority(actor, member.id)
    errors: dict[str, str] = {}
    try:
        year = check_year(year)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.fields.items()})
    name = str(values.get("provider_name") or "").strip()
    if not name:
        errors["provider_name"] = N_("Enter the provider's name.")
    elif len(name) > 200:
        errors["provider_name"] = N_("At most 200 characters.")
    try:
        number = normalise_enterprise_number(str(values.get("enterprise_number") or ""))
    except ValueError as exc:
        errors["enterprise_number"] = str(exc.args[0])
        number = ""
    status = str(values.get("social_economy_status") or "").strip()
    if status not in RECOGNISED_SOCIAL_ECONOMY:
        errors["social_economy_status"] = N_(
            "Choose a recognised social-economy status: maatwerkbedrijf, lde or "
            "sociale_inschakeling."
        )
    description = str(values.get("description") or "").strip()
    if len(description) > 2000:
        errors["description"] = N_("At most 2000 characters.")
    try:
        amount = clean_amount(values.get("amount"), "amount")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.fields.items() if k not in errors})
        amount = None
    if amount is not None and amount == 0:
        errors["amount"] = N_("Enter an amount above zero.")
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    spend = ExternalSocialSpend(
        member_id=member.id,
        year=year,
        provider_name=name,
        enterprise_number=number,
        social_economy_status=status,
        amount=amount,
        description=description,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(spend)
    db.session.flush()
    audit.record(
        "external_spend.declared",
        spend,
        actor=actor,
        member_id=member.id,
        year=year,
        provider_name=name,
        enterprise_number=number,
        social_economy_status=status,
        amount=amount,
    )
    return spend


# --- issued statements and credits ------------------------------------------------------------


def order_reference(framework_id: int, member_id: int, lot_ids: Iterable[int | None] = ()) -> str:
    """The member's order reference for a framework: that of its latest approved accession (or,
    if none is approved any more, its latest accession). With `lot_ids` (the lots a statement
    bills), the references of the approved accessions covering those lots, newest first and
    each once: a member that acceded to two lots under two orders sees both."""
    accessions = db.session.scalars(
        select(Accession)
        .where(Accession.framework_id == framework_id, Accession.member_id == member_id)
        .order_by(Accession.requested_at.desc(), Accession.id.desc())
    ).all()
    approved = [a for a in accessions if a.status == AccessionStatus.APPROVED]
    wanted = {lot_id for lot_id in lot_ids if lot_id is not None}
    if wanted:
        covering = [a for a in approved if wanted & {lot.id for lot in a.lots}]
        references = list(dict.fromkeys(a.order_reference for a in covering))
        if references:
            return ", ".join(references)[:100]
    chosen = (approved or accessions or [None])[0]
    return chosen.order_reference if chosen is not None else "-"


def next_invoice_number(provider: Organisation, year: int) -> tuple[int, str]:
    """The next number in a provider's series for a year (art. 53 § 2 WBTW: the platform issues
    invoices in the provider's name, so each provider has its own gapless series):
    `{invoice_prefix}{year}-{n:05d}`, n = 1, 2, ... Statements issued before the series began
    (no sequence) do not count. The provider's row is locked (PostgreSQL) so that two issuers
    never take the same number; the unique (provider, year, sequence) backs it."""
    db.session.execute(
        select(Organisation.id).where(Organisation.id == provider.id).with_for_update()
    )
    last = db.session.scalar(
        select(func.max(Statement.sequence)).where(
            Statement.provider_id == provider.id, Statement.series_year == year
        )
    )
    sequence = (last or 0) + 1
    return sequence, f"{provider.invoice_prefix}{year:04d}-{sequence:05d}"


def payment_reference(year: int, sequence: int) -> str:
    """The structured communication of a statement in a provider's series: the year and the
    sequence number as ten digits (2026000012), unique among that provider's statements."""
    return structured_communication(year * 10**6 + sequence)


def pending_credits(framework_id: int, member_id: int, provider_id: int) -> list[Credit]:
    return list(
        db.session.scalars(
            select(Credit)
            .where(
                Credit.framework_id == framework_id,
                Credit.member_id == member_id,
                Credit.provider_id == provider_id,
                Credit.statement_id.is_(None),
            )
            .order_by(Credit.decided_at, Credit.id)
        )
    )


def _issue_time(day: date) -> datetime:
    """Now, on the business day (which `--today` may have moved)."""
    now = utcnow().astimezone(BRUSSELS)
    if now.date() == day:
        return now.astimezone(UTC)
    return datetime.combine(day, time(5, 0), tzinfo=BRUSSELS).astimezone(UTC)


def issue_statement(
    framework: Framework,
    member: Organisation,
    provider: Organisation,
    month: date,
    *,
    day: date,
    actor: Any = None,
    work: pd.DataFrame | None = None,
) -> Statement | None:
    """Issue the statement of a framework, member, provider and month (rule 7): the month's
    accepted work plus the pending credits; nothing when there is neither, or when it was
    issued before (one statement per framework, member, provider and month)."""
    label = builders.month_label(month)
    exists = db.session.scalar(
        select(Statement.id).where(
            Statement.framework_id == framework.id,
            Statement.member_id == member.id,
            Statement.provider_id == provider.id,
            Statement.month == label,
        )
    )
    if exists is not None:
        return None
    if work is None:
        work = builders.build_statement(
            db.session, member.id, month, framework_id=framework.id, provider_id=provider.id
        )
    credits = pending_credits(framework.id, member.id, provider.id)
    if work.empty and not credits:
        return None
    rows: list[dict[str, Any]] = [
        {
            "kind": LineKind.WORK,
            "lot_id": int(row["lot_id"]),
            "task_type": row["task_type"],
            "description": row["task_type_name"],
            "unit": row["unit"],
            "quantity": row["quantity"],
            "unit_price": row["unit_price"],
            "vat_rate": row["vat_rate"],
            "amount": row["amount"],
            "credit_id": None,
        }
        for row in builders.frame_rows(work)
    ]
    rows += [
        {
            "kind": LineKind.CREDIT,
            "lot_id": None,
            "task_type": "credit",
            "description": credit.reason,
            "unit": "piece",
            "quantity": Decimal("1"),
            "unit_price": credit.amount,
            "vat_rate": credit.vat_rate,
            "amount": -credit.amount,
            "credit_id": credit.id,
        }
        for credit in credits
    ]
    frame = pd.DataFrame(rows)
    frame["framework_id"] = framework.id
    frame["provider_id"] = provider.id
    vat = builders.vat_breakdown(frame)
    total = builders.totals(frame, vat)
    issued_at = _issue_time(day)
    year = issued_at.astimezone(BRUSSELS).year
    sequence, number = next_invoice_number(provider, year)
    statement = Statement(
        number=number,
        series_year=year,
        sequence=sequence,
        document_type=(
            DocumentType.CREDIT_NOTE if total.total_incl_vat < 0 else DocumentType.INVOICE
        ),
        payment_reference=payment_reference(year, sequence),
        framework_id=framework.id,
        member_id=member.id,
        provider_id=provider.id,
        month=label,
        order_reference=order_reference(framework.id, member.id, (r["lot_id"] for r in rows)),
        framework_reference=framework.reference,
        member_name=member.name,
        member_enterprise_number=member.enterprise_number,
        provider_name=provider.name,
        provider_enterprise_number=provider.enterprise_number,
        provider_vat_number=provider.vat_number,
        provider_iban=provider.iban,
        total_excl_vat=total.total_excl_vat,
        vat=total.vat,
        total_incl_vat=total.total_incl_vat,
        issued_at=issued_at,
    )
    db.session.add(statement)
    db.session.flush()
    # SPEC 7.2: each line keeps the provider's status on the issue date, as it was.
    status = provider.social_economy_status_on(issued_at.astimezone(BRUSSELS).date())
    db.session.add_all(
        StatementLine(
            statement_id=statement.id,
            position=position,
            social_economy_status=status,
            **{k: v for k, v in row.items() if k not in ("framework_id", "provider_id")},
        )
        for position, row in enumerate(rows, start=1)
    )
    for credit in credits:
        credit.statement_id = statement.id
    db.session.flush()
    audit.record(
        "statement.issue",
        statement,
        actor=actor,
        number=statement.number,
        document_type=statement.document_type,
        month=label,
        total_incl_vat=statement.total_incl_vat,
        credits=[c.id for c in credits],
    )
    return statement


def issue_month(
    session: Any, month: date, *, day: date, with_credits: bool = True
) -> list[Statement]:
    """Issue every statement of a month not issued yet: one read of the month's accepted work
    for all members, then one statement per framework, member and provider. Pending credits
    make a statement of their own when `with_credits` (the last month, not a missed older one)."""
    label = builders.month_label(month)
    issued_before = set(
        session.execute(
            select(Statement.framework_id, Statement.member_id, Statement.provider_id).where(
                Statement.month == label
            )
        ).tuples()
    )
    lines = builders.build_month_lines(session, month)
    work = {
        (int(f), int(m), int(p)): frame
        for (f, m, p), frame in lines.groupby(["framework_id", "member_id", "provider_id"])
    }
    triples = set(work)
    if with_credits:
        triples |= set(
            session.execute(
                select(Credit.framework_id, Credit.member_id, Credit.provider_id)
                .where(Credit.statement_id.is_(None))
                .distinct()
            ).tuples()
        )
    issued = []
    for framework_id, member_id, provider_id in sorted(triples - issued_before):
        frame = work.get((framework_id, member_id, provider_id))
        statement = issue_statement(
            session.get(Framework, framework_id),
            session.get(Organisation, member_id),
            session.get(Organisation, provider_id),
            month,
            day=day,
            work=frame if frame is not None else lines.iloc[0:0],
        )
        if statement is not None:
            issued.append(statement)
    return issued


# Months looked back on by the job: a month missed (the server was down on the 1st) is still
# issued; an issued one is never issued again.
LOOKBACK_MONTHS = 3


@job(
    "issue-statements",
    order=5,
    description=_l("Issues last month's statements: one per framework, member and provider."),
    cron={"day": 1, "hour": 5, "minute": 0},
    label=N_("Monthly, 1st at 05:00"),
    grace=12 * 3600,
)
def issue_statements(session: Any, today: date) -> dict[str, Any]:
    """Job `issue-statements`: issue last month's statements (and any missed in the months
    before), one per framework, member and provider. Idempotent: the key (framework, member,
    provider, month) is unique, so a second run issues nothing."""
    first_of_this_month = today.replace(day=1)
    months = [first_of_this_month - relativedelta(months=n) for n in range(LOOKBACK_MONTHS, 0, -1)]
    issued: list[str] = []
    for month in months:
        statements = issue_month(session, month, day=today, with_credits=month == months[-1])
        issued += [s.number for s in statements]
    return {"issued": len(issued), "numbers": issued, "month": builders.month_label(months[-1])}


def _require_lead_coordinator(statement: Statement, actor: Any) -> None:
    if not leads_framework(actor, statement.framework_id):
        raise Forbidden(N_("Only a coordinator of the lead authority can decide a credit."))


def add_credit(statement: Statement, values: dict[str, Any], *, actor: Any) -> Credit:
    """A coordinator of the lead authority decides a credit on an issued statement (rule 7):
    the statement stays as it is; the credit goes on the next statement of the same framework,
    member and provider. Credits on a statement never exceed its work."""
    _require_lead_coordinator(statement, actor)
    errors: dict[str, str] = {}
    amount = None
    try:
        amount = clean_amount(values.get("amount"), "amount")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.fields.items()})
    if amount is not None and amount <= 0:
        errors["amount"] = N_("A credit is more than zero.")
    rates = sorted({line.vat_rate for line in statement.lines if line.kind == LineKind.WORK})
    raw_rate = values.get("vat_rate")
    rate = None
    if raw_rate in (None, ""):
        if len(rates) == 1:
            rate = rates[0]
        else:
            errors["vat_rate"] = N_("Choose the VAT rate of the work being credited.")
    else:
        try:
            rate = Decimal(str(raw_rate).strip()).quantize(Decimal("0.01"))
        except InvalidOperation:
            errors["vat_rate"] = N_("Choose the VAT rate of the work being credited.")
        else:
            if rate not in rates:
                errors["vat_rate"] = N_("Choose the VAT rate of the work being credited.")
    reason = (values.get("reason") or "").strip()
    if not reason:
        errors["reason"] = N_("Say why the member gets a credit.")
    elif len(reason) > 2000:
        errors["reason"] = N_("At most 2000 characters.")
    if errors:
        raise ValidationError(N_("The credit has invalid fields."), fields=errors)
    work = sum(
        (line.amount for line in statement.lines if line.kind == LineKind.WORK), Decimal("0")
    )
    given = sum(
        db.session.scalars(
            select(Credit.amount).where(Credit.corrects_statement_id == statement.id)
        ),
        Decimal("0"),
    )
    if given + amount > work:
        message = N_("Credits on a statement cannot exceed the work it billed.")
        raise ValidationError(message, fields={"amount": message})
    credit = Credit(
        corrects_statement_id=statement.id,
        framework_id=statement.framework_id,
        member_id=statement.member_id,
        provider_id=statement.provider_id,
        amount=amount,
        vat_rate=rate,
        reason=reason,
        decided_by_id=getattr(actor, "id", None),
    )
    db.session.add(credit)
    db.session.flush()
    audit.record(
        "credit.add",
        credit,
        actor=actor,
        statement=statement.number,
        amount=amount,
        vat_rate=rate,
        reason=reason,
    )
    return credit


DEFAULT_HOURS_PER_FTE = 1976  # a full-time year's hours, unless HOURS_PER_FTE says otherwise


def hours_per_fte(raw: str | None) -> Decimal:
    """The hours of one full-time equivalent for the social-impact figures: `raw` (from a query
    string), else the configured HOURS_PER_FTE; 1 to 8784 (a leap year's hours)."""
    raw = (raw or "").strip()
    if not raw:
        return Decimal(str(current_app.config.get("HOURS_PER_FTE", DEFAULT_HOURS_PER_FTE)))
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("0")
    if not value.is_finite() or not Decimal("1") <= value <= Decimal("8784"):
        message = N_("Hours per FTE: from 1 to 8784.")
        raise ValidationError(N_("Unknown hours per FTE."), fields={"hours_per_fte": message})
    return value

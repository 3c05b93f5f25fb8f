"""The reports demo step: budgets, labour on past rounds, every past month's statements and one
pending credit; loading it twice changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from central.core.clock import frozen_today
from central.extensions import db
from central.fieldwork.models import LabourEntry
from central.reports import demo
from central.reports.models import Credit, MaintenanceBudget, Statement
from tests.factories import make_work


def counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Statement, Credit, MaintenanceBudget, LabourEntry)
    )


def test_the_reports_demo_is_complete_and_idempotent(central):
    for month in (3, 4, 6):
        make_work(
            central.lot,
            central.member_a,
            central.provider,
            [{"accepted_at": datetime(2025, month, 10, tzinfo=UTC)}] * 2,
        )
    orgs = {"lead": central.lead, "member": central.member_a, "provider": central.provider}
    with frozen_today(date(2025, 7, 20)):
        demo.load(orgs)
        first = counts()
        demo.load(orgs)
    assert counts() == first
    months = db.session.scalars(select(Statement.month).order_by(Statement.month)).all()
    assert months == ["2025-03", "2025-04", "2025-06"]
    credit = db.session.scalar(select(Credit))
    assert credit.pending and credit.corrects.month == "2025-06"
    # Budgets for this year and last for every beneficiary of the lead's frameworks.
    assert first[2] == 2 * 3
    assert first[3] == 3  # one labour entry per accepted round


def test_the_demo_shows_each_provider_an_invoice_and_a_credit_note(central):
    make_work(
        central.lot,
        central.member_a,
        central.provider,
        [{"accepted_at": datetime(2025, month, 10, tzinfo=UTC)} for month in (4, 6)],
    )
    make_work(
        central.lot,
        central.member_b,
        central.provider,
        [{"accepted_at": datetime(2025, 4, 10, tzinfo=UTC)}],
    )
    orgs = {"lead": central.lead, "member": central.member_a, "provider": central.provider}
    with frozen_today(date(2025, 7, 20)):
        demo.load(orgs)
    kinds = db.session.execute(
        select(Statement.document_type, Statement.member_id, Statement.month).where(
            Statement.provider_id == central.provider.id
        )
    ).all()
    assert ("credit_note", central.member_b.id, "2025-06") in kinds
    assert {kind for kind, _member, _month in kinds} == {"invoice", "credit_note"}

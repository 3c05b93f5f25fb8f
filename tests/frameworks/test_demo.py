"""The demo framework: the Roeselare hydrant central as the issue describes it; loading twice
changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from central.demo import load_demo
from central.frameworks import demo
from central.frameworks.models import (
    Accession,
    Award,
    Framework,
    FrameworkBeneficiary,
    FrameworkChange,
    PriceLine,
    TaskType,
)
from central.frameworks.queries import current_prices


def _counts(db) -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Framework, TaskType, PriceLine, Award, FrameworkBeneficiary, Accession)
    )


def test_demo_holds_the_roeselare_hydrant_framework(db):
    orgs = load_demo()
    framework = db.session.scalar(select(Framework).where(Framework.reference == demo.REFERENCE))
    assert framework.status == "active"
    assert framework.reserved
    assert framework.lead_organisation_id == orgs["lead"].id
    assert [lot.title for lot in framework.lots] == [
        "Inspectie en onderhoud brandkranen",
        "Signalisatie en herstellingen",
    ]
    inspection = next(t for t in framework.lots[0].task_types if t.code == "hydrant_inspection")
    assert inspection.follow_up.code == "minor_repair"
    assert inspection.follow_up.lot_id == framework.lots[1].id
    pressure = next(i for i in inspection.checklist if i["kind"] == "reading")
    assert (pressure["min"], pressure["max"]) == ("1.5", "10")
    lot = framework.lots[0].id
    assert current_prices(lot, date(2025, 6, 1))[inspection.id].unit_price == Decimal("18.50")
    assert current_prices(lot, date(2026, 6, 1))[inspection.id].unit_price == Decimal("19.05")
    assert all(len(lot.awards) == 2 for lot in framework.lots)
    assert {a.weekly_capacity for a in framework.lots[0].awards} == {150, 100}
    assert len(framework.beneficiaries) == 12
    statuses = db.session.execute(
        select(Accession.status, func.count())
        .where(Accession.framework_id == framework.id)
        .group_by(Accession.status)
    ).all()
    assert dict(statuses) == {"approved": 10, "requested": 1}


def test_the_demo_contract_is_on_record(db):
    """SPEC 7.2: the procedure, CPV codes, a revision clause, one price revision recorded
    through the changes register, a provider's own prices and recognitions with numbers."""
    load_demo()
    framework = db.session.scalar(select(Framework).where(Framework.reference == demo.REFERENCE))
    assert framework.procedure == "open"
    assert framework.cpv_codes[0] == "50413200-5"
    assert framework.notice_references and framework.standstill_end < framework.activated_at.date()
    assert framework.revision_clause
    changes = db.session.scalars(
        select(FrameworkChange).where(FrameworkChange.framework_id == framework.id)
    ).all()
    assert [c.kind for c in changes] == ["review_clause"]
    revised = db.session.scalars(select(PriceLine).where(PriceLine.change_id == changes[0].id))
    assert {line.unit_price for line in revised} == {
        Decimal("19.62"),
        Decimal("20.58"),
        Decimal("22.25"),
    }
    own = db.session.scalars(
        select(PriceLine).where(
            PriceLine.provider_id.is_not(None), PriceLine.lot_id == framework.lots[0].id
        )
    ).all()
    assert {line.provider.name for line in own} == {demo.MANDEL}
    for award in framework.lots[0].awards:
        recognitions = award.provider.recognitions
        assert recognitions and all(r.number and r.valid_from for r in recognitions)


def test_demo_loads_twice_without_change(db):
    orgs = load_demo()
    before = _counts(db)
    demo.load(orgs)
    load_demo()
    assert _counts(db) == before

"""Prices per awarded provider (SPEC 7.2): a provider's own line overrides the lot's common line;
generate-rounds commits at the highest price in force among the lot's providers; assign-rounds
prices the round at the assigned provider's price (through the one commit decision: a provider
whose price would cross the maximum is passed over); statements bill each provider at its own
price and VAT rate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from central.core.audit import AuditEvent
from central.extensions import db
from central.frameworks.queries import committed_amounts, current_prices
from central.planning.jobs import assign_rounds, generate_rounds
from central.reports.models import Statement
from central.reports.services import issue_statements
from tests.factories import make_award, make_org, make_price, make_round
from tests.planning.conftest import TODAY, rounds, tasks

DUE = TODAY + timedelta(days=20)


@pytest.fixture
def cascade(hydrants):
    """Rank 1 tendered 17.00 (21 % VAT), rank 2 20.00 (6 % VAT); the lot's common line is the
    factory's 18.50 at 21 %."""
    second = make_org("provider", social_economy_status="lde")
    make_award(hydrants.lot, second, rank=2, weekly_capacity=50)
    make_price(hydrants.task_type, "17.00", provider=hydrants.provider)
    make_price(hydrants.task_type, "20.00", provider=second, vat_rate="6.00")
    hydrants.second = second
    return hydrants


def prices_of(round_) -> set[tuple[Decimal, Decimal, Decimal]]:
    db.session.refresh(round_)
    return {(t.unit_price, t.vat_rate, t.amount) for t in round_.tasks}


def test_a_providers_own_line_overrides_the_lots_common_line(cascade):
    task_type, lot, day = cascade.task_type, cascade.lot.id, date(2026, 3, 1)
    assert current_prices(lot, day)[task_type.id].unit_price == Decimal("18.50")
    assert current_prices(lot, day, cascade.provider.id)[task_type.id].unit_price == Decimal(
        "17.00"
    )
    other = current_prices(cascade.lot.id, day, cascade.second.id)[task_type.id]
    assert (other.unit_price, other.vat_rate) == (Decimal("20.00"), Decimal("6.00"))
    # A provider without a line of its own is paid the common line.
    third = make_org("provider", social_economy_status="lde")
    make_award(cascade.lot, third, rank=3)
    assert current_prices(lot, day, third.id)[task_type.id].unit_price == Decimal("18.50")


def test_a_providers_line_counts_only_from_its_date(cascade):
    make_price(cascade.task_type, "25.00", valid_from=date(2026, 6, 1), provider=cascade.provider)
    lot, task_type, provider = cascade.lot.id, cascade.task_type.id, cascade.provider.id
    assert current_prices(lot, date(2026, 5, 31), provider)[task_type].unit_price == Decimal("17")
    assert current_prices(lot, date(2026, 6, 1), provider)[task_type].unit_price == Decimal("25")


def test_planning_commits_at_the_highest_price_in_force_among_the_lots_providers(cascade):
    cascade.add_assets(3)
    generate_rounds(db.session, TODAY)
    assert {(t.unit_price, t.vat_rate, t.amount) for t in tasks()} == {
        (Decimal("20.00"), Decimal("6.00"), Decimal("20.00"))
    }
    assert committed_amounts(cascade.framework.id).total.committed == Decimal("60.00")


def test_assignment_prices_the_round_at_the_assigned_providers_price(cascade):
    cascade.add_assets(3)
    generate_rounds(db.session, TODAY)
    (round_,) = rounds()
    counts = assign_rounds(db.session, TODAY)
    assert counts["assigned"] == 1 and counts["repriced"] == 1
    assert round_.provider_id == cascade.provider.id
    assert prices_of(round_) == {(Decimal("17.00"), Decimal("21.00"), Decimal("17.00"))}
    # The committed value follows the stored amounts (§7.1): the difference is freed.
    assert committed_amounts(cascade.framework.id).total.committed == Decimal("51.00")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rounds.assigned"))
    assert event.data["repriced"] == [round_.id]


def test_in_a_cascade_the_rank_two_provider_is_paid_its_own_price_and_vat_rate(cascade):
    """The issue's case: rank 2 was paid rank 1's tendered price and VAT rate."""
    cascade.lot.awards[0].weekly_capacity = 4  # rank 1 has no room for a round of five
    cascade.add_assets(5)
    generate_rounds(db.session, TODAY)
    (round_,) = rounds()
    assign_rounds(db.session, TODAY)
    assert round_.provider_id == cascade.second.id
    assert prices_of(round_) == {(Decimal("20.00"), Decimal("6.00"), Decimal("20.00"))}
    for task in round_.tasks:
        task.status, task.result, task.done_on = "accepted", "ok", date(2026, 3, 5)
        task.accepted_at = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    round_.status = "accepted"
    db.session.flush()
    issue_statements(db.session, date(2026, 4, 1))
    (statement,) = db.session.scalars(select(Statement)).all()
    assert statement.provider_id == cascade.second.id
    assert (statement.total_excl_vat, statement.vat) == (Decimal("100.00"), Decimal("6.00"))
    assert {(line.unit_price, line.vat_rate) for line in statement.lines} == {
        (Decimal("20.00"), Decimal("6.00"))
    }


def test_a_provider_whose_price_would_cross_the_maximum_is_passed_over(cascade):
    # Planned at the common 18.50 (five tasks, 92.50); rank 1's own price is now 30.00.
    make_price(cascade.task_type, "30.00", valid_from=date(2025, 6, 1), provider=cascade.provider)
    round_ = make_round(cascade.lot, cascade.member, cascade.add_assets(5), due_date=DUE)
    framework = cascade.framework
    framework.estimated_value = framework.max_value = Decimal("120.00")
    db.session.flush()
    counts = assign_rounds(db.session, TODAY)
    assert counts["assigned"] == 1
    assert round_.provider_id == cascade.second.id  # 100.00 at its own 20.00 fits
    assert prices_of(round_) == {(Decimal("20.00"), Decimal("6.00"), Decimal("20.00"))}


def test_a_decrease_taken_earlier_in_the_night_makes_room_for_a_later_raise(cascade):
    """Decreases are counted without reading the framework's room; a later raise reads it with
    them (rule 2 decides on what the night has committed so far)."""
    # Round A, planned in March 2025: rank 1 takes it at its own 17.00 (5 x -1.50 = -7.50).
    early = make_round(
        cascade.lot,
        cascade.member,
        cascade.add_assets(5),
        due_date=DUE,
        created_at=datetime(2025, 3, 1, 12, tzinfo=UTC),
    )
    # Round B, planned in July 2025, when rank 1's own price is 30.00: rank 1 would add 57.50,
    # rank 2 (20.00) 7.50, which fits only with A's decrease counted.
    make_price(cascade.task_type, "30.00", valid_from=date(2025, 6, 1), provider=cascade.provider)
    late = make_round(
        cascade.lot,
        cascade.member,
        cascade.add_assets(5),
        due_date=DUE + timedelta(days=7),
        created_at=datetime(2025, 7, 1, 12, tzinfo=UTC),
    )
    framework = cascade.framework
    framework.estimated_value = framework.max_value = Decimal("188.00")  # 185.00 committed
    db.session.flush()
    counts = assign_rounds(db.session, TODAY)
    assert counts["assigned"] == 2
    assert early.provider_id == cascade.provider.id
    assert prices_of(early) == {(Decimal("17.00"), Decimal("21.00"), Decimal("17.00"))}
    assert late.provider_id == cascade.second.id
    assert prices_of(late) == {(Decimal("20.00"), Decimal("6.00"), Decimal("20.00"))}
    assert committed_amounts(framework.id).total.committed == Decimal("185.00")


def test_a_round_no_provider_can_take_within_the_maximum_stays_unassigned_and_unpriced(cascade):
    make_price(cascade.task_type, "30.00", valid_from=date(2025, 6, 1), provider=cascade.provider)
    make_price(cascade.task_type, "31.00", valid_from=date(2025, 6, 1), provider=cascade.second)
    round_ = make_round(cascade.lot, cascade.member, cascade.add_assets(5), due_date=DUE)
    framework = cascade.framework
    framework.estimated_value = framework.max_value = Decimal("120.00")
    db.session.flush()
    counts = assign_rounds(db.session, TODAY)
    assert counts["unassigned_round_ids"] == [round_.id]
    assert round_.provider_id is None
    assert prices_of(round_) == {(Decimal("18.50"), Decimal("21.00"), Decimal("18.50"))}


def test_a_lot_with_common_lines_only_keeps_its_planned_prices(hydrants):
    round_ = make_round(hydrants.lot, hydrants.member, hydrants.add_assets(3), due_date=DUE)
    counts = assign_rounds(db.session, TODAY)
    assert counts == {"assigned": 1, "unassigned": 0}
    assert prices_of(round_) == {(Decimal("18.50"), Decimal("21.00"), Decimal("18.50"))}


def test_assign_rounds_with_provider_prices_run_twice_changes_nothing_the_second_time(cascade):
    cascade.add_assets(3)
    generate_rounds(db.session, TODAY)
    assign_rounds(db.session, TODAY)
    before = [(t.id, t.unit_price, t.vat_rate, t.amount) for t in tasks()]
    assert assign_rounds(db.session, TODAY) == {"assigned": 0, "unassigned": 0}
    assert [(t.id, t.unit_price, t.vat_rate, t.amount) for t in tasks()] == before

"""Framework rules (SPEC rules 1–5), each tested by name, through the services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from central.core.audit import AuditEvent
from central.core.clock import frozen_today
from central.core.errors import Conflict, Forbidden, ValidationError
from central.core.money import format_money
from central.extensions import db
from central.frameworks import queries, services
from central.frameworks.models import Framework, FrameworkAlert, PriceLine
from central.frameworks.queries import AmountRow
from tests.factories import (
    make_accession,
    make_active_framework,
    make_award,
    make_framework,
    make_lot,
    make_org,
    make_price,
    make_task_type,
    make_user,
    name_beneficiaries,
)

VALUES = {
    "reference": "RSL-2025-BK-01",
    "title": "Brandkranen",
    "reserved": True,
    "start_date": date(2025, 1, 1),
    "end_date": date(2028, 12, 31),
    "estimated_value": "400000.00",
    "max_value": "500000.00",
    "social_target_percent": "15",
}


@pytest.fixture
def lead():
    return make_org("authority")


@pytest.fixture
def coordinator(lead):
    return make_user("coordinator", lead)


@pytest.fixture
def draft(lead):
    return make_framework(lead)


def ready_draft(lead, *, reserved=False):
    """A draft that meets every activation condition."""
    framework = make_framework(lead, reserved=reserved)
    lot = make_lot(framework)
    make_price(make_task_type(lot))
    make_award(lot)
    name_beneficiaries(framework, make_org("authority"))
    return framework


@pytest.fixture
def amounts():
    """Register a fake task source: the test sets `rows[framework_id]` to AmountRows."""
    rows: dict[int, list[AmountRow]] = {}

    def source(framework_id: int):
        return rows.get(framework_id, [])

    queries.register_amount_source(source)
    yield rows
    queries._SOURCES.remove(source)


# --- rule 1: term ------------------------------------------------------------------------------


def test_framework_longer_than_four_years_needs_justification(coordinator):
    values = dict(VALUES, end_date=date(2029, 1, 2))
    with pytest.raises(ValidationError) as exc:
        services.create_framework(values, actor=coordinator)
    assert "term_justification" in exc.value.fields
    framework = services.create_framework(
        dict(values, term_justification="Investment in equipment needs a 5-year payback."),
        actor=coordinator,
    )
    assert framework.end_date == date(2029, 1, 2)


def test_framework_of_exactly_four_years_needs_no_justification(coordinator):
    framework = services.create_framework(
        dict(VALUES, end_date=date(2029, 1, 1)), actor=coordinator
    )
    assert framework.max_end_date == date(2029, 1, 1)


def test_database_refuses_a_term_over_four_years_without_justification(draft):
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(
            text("UPDATE frameworks SET end_date = :end WHERE id = :id"),
            {"end": date(2030, 1, 1), "id": draft.id},
        )
    db.session.execute(
        text("UPDATE frameworks SET end_date = :end, term_justification = 'x' WHERE id = :id"),
        {"end": date(2030, 1, 1), "id": draft.id},
    )


def test_framework_end_must_follow_start(coordinator):
    with pytest.raises(ValidationError) as exc:
        services.create_framework(dict(VALUES, end_date=date(2025, 1, 1)), actor=coordinator)
    assert "end_date" in exc.value.fields


def test_framework_estimated_value_cannot_exceed_maximum(coordinator):
    with pytest.raises(ValidationError) as exc:
        services.create_framework(dict(VALUES, estimated_value="500000.01"), actor=coordinator)
    assert "estimated_value" in exc.value.fields


def test_framework_maximum_must_be_positive(coordinator):
    with pytest.raises(ValidationError) as exc:
        services.create_framework(
            dict(VALUES, max_value="0", estimated_value="0"), actor=coordinator
        )
    assert "max_value" in exc.value.fields


def test_database_refuses_a_maximum_of_zero(draft):
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(text("UPDATE frameworks SET max_value = 0, estimated_value = 0"))


def test_framework_reference_is_unique(coordinator):
    services.create_framework(VALUES, actor=coordinator)
    with pytest.raises(ValidationError) as exc:
        services.create_framework(VALUES, actor=coordinator)
    assert "reference" in exc.value.fields


def test_only_a_coordinator_creates_a_framework():
    with pytest.raises(Forbidden):
        services.create_framework(VALUES, actor=make_user("member"))


def test_framework_amounts_are_exact_and_bounded(coordinator):
    with pytest.raises(ValidationError) as exc:
        services.create_framework(dict(VALUES, max_value="500000.001"), actor=coordinator)
    assert "max_value" in exc.value.fields
    with pytest.raises(ValidationError):
        services.create_framework(dict(VALUES, max_value="1e20"), actor=coordinator)
    with pytest.raises(ValidationError):
        services.create_framework(dict(VALUES, max_value=500000.0), actor=coordinator)


# --- editing and activation --------------------------------------------------------------------


def test_draft_framework_can_be_edited(draft, coordinator):
    services.update_framework(
        draft, {"max_value": "600000.00", "reserved": True}, actor=coordinator
    )
    assert draft.max_value == Decimal("600000.00")
    assert draft.reserved


def test_active_framework_maximum_cannot_change(lead, coordinator):
    framework = make_active_framework(lead)
    with pytest.raises(Conflict) as exc:
        services.update_framework(framework, {"max_value": "900000.00"}, actor=coordinator)
    assert "max_value" in exc.value.fields
    assert "max value" in exc.value.message
    services.update_framework(framework, {"title": "New title"}, actor=coordinator)
    assert framework.title == "New title"
    # The same value again is no change.
    services.update_framework(framework, {"max_value": "500000.00"}, actor=coordinator)


def test_active_framework_beneficiaries_are_fixed(lead, coordinator):
    framework = make_active_framework(lead)
    with pytest.raises(Conflict):
        services.add_beneficiaries(framework, [make_org("authority").id], actor=coordinator)


def test_beneficiaries_are_authorities(draft, coordinator):
    with pytest.raises(ValidationError):
        services.add_beneficiaries(draft, [make_org("provider").id], actor=coordinator)
    with pytest.raises(ValidationError):
        services.add_beneficiaries(draft, [999999], actor=coordinator)
    member = make_org("authority")
    assert services.add_beneficiaries(draft, [member.id, member.id], actor=coordinator) == [member]
    services.add_beneficiaries(draft, [member.id], actor=coordinator)  # naming twice is fine


def test_activation_needs_lots_task_types_prices_and_awards(lead, coordinator, draft):
    with pytest.raises(Conflict) as exc:
        services.activate_framework(draft, actor=coordinator)
    assert "at least one lot" in exc.value.message
    lot = make_lot(draft)
    with pytest.raises(Conflict) as exc:
        services.activate_framework(draft, actor=coordinator)
    assert "no task type" in exc.value.message
    assert "no price" in exc.value.message
    assert "not awarded" in exc.value.message
    make_price(make_task_type(lot))
    make_award(lot)
    name_beneficiaries(draft, make_org("authority"))
    with frozen_today(date(2025, 6, 1)):
        services.activate_framework(draft, actor=coordinator)
    assert draft.status == "active"
    assert draft.activated_at is not None
    with pytest.raises(Conflict):
        services.activate_framework(draft, actor=coordinator)


def test_other_lead_coordinator_cannot_change_a_framework(draft):
    other = make_user("coordinator", make_org("authority"))
    with pytest.raises(Forbidden):
        services.update_framework(draft, {"title": "x"}, actor=other)


def test_terminated_framework_keeps_its_reason(lead, coordinator):
    framework = make_active_framework(lead)
    with pytest.raises(ValidationError):
        services.terminate_framework(framework, "  ", actor=coordinator)
    services.terminate_framework(framework, "Provider went bankrupt.", actor=coordinator)
    assert framework.status == "terminated"
    assert framework.termination_reason == "Provider went bankrupt."
    with pytest.raises(Conflict):
        services.terminate_framework(framework, "again", actor=coordinator)
    with pytest.raises(Conflict):
        services.update_framework(framework, {"title": "x"}, actor=coordinator)


def test_draft_cannot_be_terminated(draft, coordinator):
    with pytest.raises(Conflict):
        services.terminate_framework(draft, "why", actor=coordinator)


def test_framework_past_its_end_date_expires(lead):
    framework = make_active_framework(lead)
    assert not services.expire_framework(framework, date(2028, 12, 31))
    assert services.expire_framework(framework, date(2029, 1, 1))
    assert framework.status == "expired"


# --- lots, task types, checklists --------------------------------------------------------------


def test_lot_number_is_unique_in_its_framework(draft, coordinator):
    services.create_lot(draft, {"number": 1, "title": "A", "service_type": "x"}, actor=coordinator)
    with pytest.raises(ValidationError) as exc:
        services.create_lot(
            draft, {"number": 1, "title": "B", "service_type": "x"}, actor=coordinator
        )
    assert "number" in exc.value.fields


def test_lot_maximum_within_framework_maximum(draft, coordinator):
    with pytest.raises(ValidationError) as exc:
        services.create_lot(
            draft,
            {"number": 1, "title": "A", "service_type": "x", "max_value": "500000.01"},
            actor=coordinator,
        )
    assert "max_value" in exc.value.fields


def test_active_lot_keeps_its_terms_but_planning_settings_change(lead, coordinator):
    framework = make_active_framework(lead)
    lot = framework.lots[0]
    with pytest.raises(Conflict):
        services.update_lot(lot, {"max_value": "1000.00"}, actor=coordinator)
    with pytest.raises(Conflict):
        services.create_lot(
            framework, {"number": 2, "title": "B", "service_type": "x"}, actor=coordinator
        )
    services.update_lot(lot, {"max_tasks_per_round": 30}, actor=coordinator)
    assert lot.max_tasks_per_round == 30


def test_task_type_checklist_is_validated(draft, coordinator):
    lot = make_lot(draft)
    good = [
        {"key": "lid", "label": "Lid and frame", "kind": "pass_fail"},
        {"key": "pressure", "label": "Static pressure", "kind": "reading", "min": "1.5", "max": 10},
    ]
    task_type = services.create_task_type(
        lot, {"code": "inspection", "name": "Inspection", "checklist": good}, actor=coordinator
    )
    assert task_type.checklist[1] == {
        "key": "pressure",
        "label": "Static pressure",
        "kind": "reading",
        "min": "1.5",
        "max": "10",
    }
    bad_lists = [
        [
            {"key": "a", "label": "A", "kind": "pass_fail"},
            {"key": "a", "label": "B", "kind": "pass_fail"},
        ],
        [{"key": "a", "label": "A", "kind": "other"}],
        [{"key": "a", "label": "A", "kind": "reading", "min": 5, "max": 1}],
        [{"key": "a", "label": "A", "kind": "pass_fail", "min": 1}],
        [{"key": "A B", "label": "A", "kind": "pass_fail"}],
        "not a list",
    ]
    for n, checklist in enumerate(bad_lists):
        with pytest.raises(ValidationError):
            services.create_task_type(
                lot, {"code": f"t{n}", "name": "T", "checklist": checklist}, actor=coordinator
            )


def test_task_type_code_is_unique_in_its_lot(draft, coordinator):
    lot = make_lot(draft)
    services.create_task_type(lot, {"code": "inspection", "name": "I"}, actor=coordinator)
    with pytest.raises(Conflict):
        services.create_task_type(lot, {"code": "inspection", "name": "I"}, actor=coordinator)
    with pytest.raises(ValidationError):
        services.create_task_type(lot, {"code": "Bad Code", "name": "I"}, actor=coordinator)


def test_follow_up_task_type_is_in_the_same_framework(draft, coordinator):
    lot1, lot2 = make_lot(draft), make_lot(draft)
    repair = make_task_type(lot2, "plate_replacement")
    inspection = services.create_task_type(
        lot1,
        {
            "code": "inspection",
            "name": "Inspection",
            "follow_up": {"lot_id": lot2.id, "task_type": "plate_replacement"},
        },
        actor=coordinator,
    )
    assert inspection.follow_up == repair
    other_lot = make_lot(make_framework())
    make_task_type(other_lot, "plate_replacement")
    with pytest.raises(ValidationError):
        services.create_task_type(
            lot1,
            {
                "code": "inspection2",
                "name": "I",
                "follow_up": {"lot_id": other_lot.id, "task_type": "plate_replacement"},
            },
            actor=coordinator,
        )
    with pytest.raises(ValidationError):
        services.update_task_type(
            inspection,
            {"follow_up": {"lot_id": lot1.id, "task_type": "inspection"}},
            actor=coordinator,
        )


# --- rule 5: prices ----------------------------------------------------------------------------


def test_new_price_line_does_not_rewrite_past(lead, coordinator):
    framework = make_active_framework(lead)
    lot = framework.lots[0]
    task_type = lot.task_types[0]
    first = db.session.scalar(select(PriceLine).where(PriceLine.task_type_id == task_type.id))
    with frozen_today(date(2026, 3, 1)):
        change = services.record_change(
            framework,
            {"kind": "de_minimis", "description": "Price update", "effective_from": "2026-01-01"},
            actor=coordinator,
        ).id
        with pytest.raises(Conflict):
            services.add_price_line(
                lot,
                {
                    "task_type": task_type.code,
                    "unit_price": "20.00",
                    "valid_from": "2026-02-01",
                    "change_id": change,
                },
                actor=coordinator,
            )
        line = services.add_price_line(
            lot,
            {
                "task_type": task_type.code,
                "unit_price": "20.00",
                "valid_from": "2026-04-01",
                "change_id": change,
            },
            actor=coordinator,
        )
    assert line.vat_rate == Decimal("21.00")
    assert queries.current_prices(lot.id, date(2026, 3, 31))[task_type.id] == first
    assert queries.current_prices(lot.id, date(2026, 4, 1))[task_type.id] == line
    assert task_type.id not in queries.current_prices(lot.id, date(2024, 12, 31))
    assert first.unit_price == Decimal("18.50")
    assert queries.current_prices(lot.id, date(2026, 4, 2))[task_type.id] == line


def test_price_line_keeps_its_task_types_unit(draft, coordinator):
    lot = make_lot(draft)
    task_type = make_task_type(lot)
    make_price(task_type)
    with pytest.raises(ValidationError) as exc:
        services.add_price_line(
            lot,
            {
                "task_type": task_type.code,
                "unit": "hour",
                "unit_price": "40",
                "valid_from": "2026-01-01",
            },
            actor=coordinator,
        )
    assert "unit" in exc.value.fields


def test_price_line_needs_a_task_type_of_the_lot_and_a_sane_price(draft, coordinator):
    lot = make_lot(draft)
    make_task_type(lot)
    for values in (
        {"task_type": "unknown", "unit_price": "1"},
        {"task_type": "hydrant_inspection", "unit_price": "-1"},
        {"task_type": "hydrant_inspection", "unit_price": "1.005"},
        {"task_type": "hydrant_inspection", "unit_price": "1", "vat_rate": "101"},
        {"task_type": "hydrant_inspection", "unit_price": "1", "unit": "kg"},
    ):
        with pytest.raises(ValidationError):
            services.add_price_line(lot, values, actor=coordinator)


def test_money_formats_per_locale():
    amount = Decimal("1234.50")
    assert format_money(amount, "nl") == "€\xa01.234,50"
    assert format_money(amount, "en") == "€1,234.50"


# --- rule 4: reserved awards -------------------------------------------------------------------


def test_reserved_lot_only_awards_social_economy(draft, coordinator):
    lot = make_lot(draft, reserved=True)
    ordinary = make_org("provider", social_economy_status="none")
    with pytest.raises(ValidationError) as exc:
        services.award_lot(
            lot, {"provider_id": ordinary.id, "rank": 1, "weekly_capacity": 100}, actor=coordinator
        )
    assert "provider_id" in exc.value.fields
    for rank, status in enumerate(("maatwerkbedrijf", "lde", "sociale_inschakeling"), start=1):
        provider = make_org("provider", social_economy_status=status)
        services.award_lot(
            lot,
            {"provider_id": provider.id, "rank": rank, "weekly_capacity": 50},
            actor=coordinator,
        )
    assert len(lot.awards) == 3


def test_reserved_framework_only_awards_social_economy(lead, coordinator):
    framework = make_framework(lead, reserved=True)
    lot = make_lot(framework)
    ordinary = make_org("provider")
    with pytest.raises(ValidationError):
        services.award_lot(
            lot, {"provider_id": ordinary.id, "rank": 1, "weekly_capacity": 100}, actor=coordinator
        )


def test_reserving_a_framework_with_ordinary_awards_is_refused(draft, coordinator):
    lot = make_lot(draft)
    make_award(lot, make_org("provider"))
    with pytest.raises(ValidationError):
        services.update_framework(draft, {"reserved": True}, actor=coordinator)


def test_award_rank_and_provider_are_unique_per_lot(draft, coordinator):
    lot = make_lot(draft)
    a, b = make_org("provider"), make_org("provider")
    services.award_lot(
        lot, {"provider_id": a.id, "rank": 1, "weekly_capacity": 10}, actor=coordinator
    )
    with pytest.raises(Conflict):
        services.award_lot(
            lot, {"provider_id": a.id, "rank": 2, "weekly_capacity": 10}, actor=coordinator
        )
    with pytest.raises(Conflict):
        services.award_lot(
            lot, {"provider_id": b.id, "rank": 1, "weekly_capacity": 10}, actor=coordinator
        )
    with pytest.raises(ValidationError):
        services.award_lot(
            lot,
            {"provider_id": make_org("authority").id, "rank": 2, "weekly_capacity": 10},
            actor=coordinator,
        )


# --- rule 3: accessions ------------------------------------------------------------------------


@pytest.fixture
def running(lead):
    framework = make_active_framework(lead)
    make_lot(framework, number=2)
    return framework


def test_only_beneficiary_can_accede(running):
    stranger = make_user("member", make_org("authority"))
    with pytest.raises(Conflict) as exc:
        services.request_accession(running, [running.lots[0].id], "PO-1", actor=stranger)
    assert "beneficiary" in exc.value.message


def test_beneficiary_requests_accession(running):
    member_org = make_org("authority")
    name_beneficiaries(running, member_org)
    member = make_user("member", member_org)
    accession = services.request_accession(
        running, [running.lots[0].id], " PO-2025-17 ", actor=member
    )
    assert accession.status == "requested"
    assert accession.order_reference == "PO-2025-17"
    assert accession.lot_ids == [running.lots[0].id]
    assert queries.approved_lot_ids(member_org.id) == set()


def test_lot_already_covered_conflicts(running, coordinator):
    member_org = make_org("authority")
    name_beneficiaries(running, member_org)
    member = make_user("member", member_org)
    lot1, lot2 = running.lots
    first = services.request_accession(running, [lot1.id], "PO-1", actor=member)
    with pytest.raises(Conflict):
        services.request_accession(running, [lot1.id, lot2.id], "PO-2", actor=member)
    services.approve_accession(first, actor=coordinator)
    with pytest.raises(Conflict):
        services.request_accession(running, [lot1.id], "PO-2", actor=member)
    # A later request for other lots is fine.
    second = services.request_accession(running, [lot2.id], "PO-2", actor=member)
    assert second.status == "requested"
    # Once withdrawn, the lot is free again.
    services.withdraw_accession(first, actor=member)
    services.request_accession(running, [lot1.id], "PO-3", actor=member)


def test_database_refuses_two_covering_accessions_for_one_lot(running):
    member_org = make_org("authority")
    lot = running.lots[0]
    make_accession(running, member_org, [lot], status="requested")
    with pytest.raises(IntegrityError), db.session.begin_nested():
        make_accession(running, member_org, [lot], status="approved")
    make_accession(running, member_org, [lot], status="rejected")


def test_accession_is_decided_as_a_whole_by_the_lead_coordinator(running, coordinator):
    member_org = make_org("authority")
    name_beneficiaries(running, member_org)
    member = make_user("member", member_org)
    lot1, lot2 = running.lots
    accession = services.request_accession(running, [lot1.id, lot2.id], "PO", actor=member)
    with pytest.raises(Forbidden):
        services.approve_accession(accession, actor=member)
    other = make_user("coordinator", make_org("authority"))
    with pytest.raises(Forbidden):
        services.approve_accession(accession, actor=other)
    services.approve_accession(accession, actor=coordinator)
    assert accession.status == "approved"
    assert accession.decided_at is not None
    assert queries.approved_lot_ids(member_org.id, running.id) == {lot1.id, lot2.id}
    assert queries.approved_members_by_lot([lot1.id])[lot1.id] == {member_org.id}
    with pytest.raises(Conflict):
        services.reject_accession(accession, "late", actor=coordinator)


def test_rejection_needs_a_reason(running, coordinator):
    member_org = make_org("authority")
    accession = make_accession(running, member_org, status="requested")
    with pytest.raises(ValidationError):
        services.reject_accession(accession, "", actor=coordinator)
    services.reject_accession(accession, "Not in our region.", actor=coordinator)
    assert accession.status == "rejected"
    assert accession.reason == "Not in our region."
    assert all(not link.covering for link in accession.lot_links)


def test_only_the_member_withdraws_its_accession(running, coordinator):
    member_org = make_org("authority")
    accession = make_accession(running, member_org)
    with pytest.raises(Forbidden):
        services.withdraw_accession(accession, actor=coordinator)
    services.withdraw_accession(accession, actor=make_user("member", member_org))
    assert accession.status == "withdrawn"
    with pytest.raises(Conflict):
        services.withdraw_accession(accession, actor=make_user("member", member_org))


def test_accession_to_a_draft_framework_conflicts(lead, draft):
    member_org = make_org("authority")
    name_beneficiaries(draft, member_org)
    make_lot(draft)
    with pytest.raises(Conflict):
        services.request_accession(
            draft, [draft.lots[0].id], "PO", actor=make_user("member", member_org)
        )


def test_accession_after_the_end_date_conflicts(running):
    member_org = make_org("authority")
    name_beneficiaries(running, member_org)
    with frozen_today(date(2029, 1, 1)), pytest.raises(Conflict):
        services.request_accession(
            running, [running.lots[0].id], "PO", actor=make_user("member", member_org)
        )


def test_accession_names_lots_of_its_framework(running):
    member_org = make_org("authority")
    name_beneficiaries(running, member_org)
    member = make_user("member", member_org)
    other_lot = make_lot(make_framework())
    with pytest.raises(ValidationError):
        services.request_accession(running, [other_lot.id], "PO", actor=member)
    with pytest.raises(ValidationError):
        services.request_accession(running, [], "PO", actor=member)
    with pytest.raises(ValidationError):
        services.request_accession(running, [running.lots[0].id], "", actor=member)


def test_coordinator_accedes_for_its_own_authority(lead, running, coordinator):
    name_beneficiaries(running, lead)
    accession = services.request_accession(
        running, [running.lots[0].id], "RSL-BUDGET", actor=coordinator
    )
    services.approve_accession(accession, actor=coordinator)
    assert accession.member_id == lead.id


# --- rule 2: committed value and thresholds ----------------------------------------------------


def test_committed_value_is_the_exact_sum_of_the_task_amounts(lead, amounts):
    framework = make_active_framework(lead, max_value=Decimal("1000.00"), estimated_value="900")
    lot = framework.lots[0]
    amounts[framework.id] = [
        AmountRow(lot.id, "open", Decimal("0.10"), 3),
        AmountRow(lot.id, "done", Decimal("18.50"), 10),
        AmountRow(lot.id, "accepted", Decimal("8.33"), 2),  # 3.33 × 2.5 = 8.325, stored 8.33
    ]
    check = services.committed_value(framework)
    # 0.30 + 185.00 + 2 × 8.33
    assert check.committed == Decimal("201.96")
    assert not check.crosses
    totals = queries.committed_amounts(framework.id).total
    assert totals.awaiting == Decimal("185.00")  # done, not yet accepted
    assert totals.completed == totals.accepted == Decimal("16.66")  # only accepted work
    assert services.committed_value(framework, would_commit=Decimal("798.04")).crosses is False
    assert services.committed_value(framework, would_commit=Decimal("798.05")).crosses is True


def test_committed_value_is_zero_without_planned_work(lead):
    framework = make_active_framework(lead)
    check = services.committed_value(framework)
    assert check.committed == Decimal("0.00")
    assert check.thresholds_reached == ()


def test_round_past_lot_maximum_is_refused(lead, amounts):
    framework = make_active_framework(lead)
    lot = framework.lots[0]
    lot.max_value = Decimal("100.00")
    amounts[framework.id] = [AmountRow(lot.id, "open", Decimal("18.50"), 5)]
    room = services.room_under(framework)
    room.commit(lot, Decimal("7.50"))
    with pytest.raises(services.MaximumReached) as exc:
        room.commit(lot, Decimal("0.01"))  # what the room committed counts too
    assert (exc.value.status, exc.value.code) == (409, "maximum_reached")
    assert services.room_under(framework).refusal(lot, Decimal("7.51")).scope == "lot"
    assert services.room_under(framework).refusal(lot, Decimal("7.50")) is None


def test_framework_thresholds_alert_coordinators_at_80_90_and_100_percent(lead, amounts):
    framework = make_active_framework(lead, max_value=Decimal("1000.00"), estimated_value="900")
    lot = framework.lots[0]

    def commit(total: str) -> list[int]:
        amounts[framework.id] = [AmountRow(lot.id, "open", Decimal(total), 1)]
        return [a.threshold for a in services.refresh_spend_status(framework)]

    assert commit("799.99") == []
    assert commit("800.00") == [80]
    assert commit("850.00") == []  # raised once
    assert commit("999.99") == [90]
    assert framework.status == "active"
    assert commit("1000.00") == [100]
    assert framework.status == "exhausted"
    # Cancellations free room: the flag is recomputed and the alerts clear.
    assert commit("500.00") == []
    assert framework.status == "active"
    active = db.session.scalars(
        select(FrameworkAlert).where(
            FrameworkAlert.framework_id == framework.id, FrameworkAlert.cleared_at.is_(None)
        )
    ).all()
    assert active == []
    # Crossing again warns again.
    assert commit("800.00") == [80]


def test_exhausted_flag_set_when_work_would_cross_maximum(lead, amounts):
    framework = make_active_framework(lead, max_value=Decimal("100.00"), estimated_value="50")
    lot = framework.lots[0]
    amounts[framework.id] = [AmountRow(lot.id, "open", Decimal("95.00"), 1)]
    services.flag_exhausted(framework, lot, needed=Decimal("18.50"))
    assert framework.status == "exhausted"
    events = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == framework.id)
    ).all()
    assert "framework.exhausted" in events


def test_framework_status_pass_is_idempotent(lead, amounts):
    framework = make_active_framework(lead, max_value=Decimal("100.00"), estimated_value="50")
    ended = make_active_framework(lead, end_date=date(2026, 6, 30))
    amounts[framework.id] = [AmountRow(framework.lots[0].id, "open", Decimal("90.00"), 1)]
    first = services.refresh_frameworks(date(2026, 7, 1))
    assert first["expired"] == 1
    assert first["alerts"] == 2
    assert ended.status == "expired"
    second = services.refresh_frameworks(date(2026, 7, 1))
    assert second["expired"] == 0
    assert second["alerts"] == 0


def test_every_change_is_audited(coordinator):
    framework = services.create_framework(VALUES, actor=coordinator)
    actions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_type == "frameworks", AuditEvent.object_id == framework.id
        )
    ).all()
    assert actions == ["framework.created"]
    assert (
        db.session.get(Framework, framework.id).lead_organisation_id == coordinator.organisation_id
    )


def test_threshold_alert_is_emailed_to_the_lead_coordinators_after_commit(
    lead, coordinator, amounts, smtp_server
):
    framework = make_active_framework(lead, max_value=Decimal("1000.00"), estimated_value="900")
    amounts[framework.id] = [AmountRow(framework.lots[0].id, "open", Decimal("850.00"), 1)]
    services.refresh_spend_status(framework)
    assert smtp_server.messages == []  # nothing before the commit
    db.session.commit()
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert mail["To"] == coordinator.email
    assert "80" in mail["Subject"]
    services.refresh_spend_status(framework)
    db.session.commit()
    assert len(smtp_server.messages) == 1  # raised once


def test_rolled_back_change_sends_no_mail(lead, coordinator, amounts, smtp_server):
    framework = make_active_framework(lead, max_value=Decimal("1000.00"), estimated_value="900")
    amounts[framework.id] = [AmountRow(framework.lots[0].id, "open", Decimal("950.00"), 1)]
    with db.session.begin_nested():
        services.refresh_spend_status(framework)
    db.session.rollback()
    db.session.commit()
    assert smtp_server.messages == []

"""generate-rounds: SPEC rules 2, 3, 5, 6, 10, 11 and 12, each in a test named after it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from central.assets.models import Need
from central.core.clock import BRUSSELS
from central.extensions import db
from central.frameworks.models import FrameworkAlert, FrameworkStatus, PriceLine
from central.frameworks.services import committed_value
from central.jobs.models import JobStatus
from central.jobs.runner import run_job
from central.organisations.models import Organisation
from central.planning.jobs import generate_rounds
from central.planning.models import Round, Task
from central.planning.routing import route_length_km
from tests.factories import (
    make_accession,
    make_active_framework,
    make_asset,
    make_lot,
    make_need,
    make_org,
    make_price,
    make_round,
    make_service_plan,
    make_task_type,
    name_beneficiaries,
)
from tests.planning.conftest import TODAY, count, rounds, tasks


def generate(day: date = TODAY) -> dict:
    return generate_rounds(db.session, day)


def served(asset, lot, done_on: date, *, result: str = "ok", status: str = "accepted") -> Task:
    """`asset` was served on `done_on` under `lot` (a closed round with one task)."""
    member = db.session.get(Organisation, asset.member_id)
    provider = make_org("provider", social_economy_status="lde")
    round_ = make_round(
        lot, member, [asset], provider=provider, status="accepted", due_date=done_on
    )
    task = round_.tasks[0]
    task.status, task.result, task.done_on = status, result, done_on
    db.session.flush()
    return task


def planned_asset_ids() -> set[int]:
    return {t.asset_id for t in tasks() if t.status == "open"}


# Rule 10: dueness -------------------------------------------------------------------------------


def test_asset_never_served_is_due_a_planning_horizon_after_it_is_first_planned(hydrants):
    hydrants.add_assets(3)
    counts = generate()
    assert counts["rounds"] == 1 and counts["tasks"] == 3
    [round_] = rounds()
    assert round_.due_date == TODAY + timedelta(days=28)
    assert {t.due_date for t in round_.tasks} == {TODAY + timedelta(days=28)}
    assert round_.status == "planned" and round_.provider_id is None


def test_asset_served_within_its_interval_is_not_due(hydrants):
    [recent, old] = hydrants.add_assets(2)
    served(recent, hydrants.lot, TODAY - timedelta(days=200))
    served(old, hydrants.lot, date(2025, 3, 20))  # 12 months on: due 20 March, within 28 days
    generate()
    assert planned_asset_ids() == {old.id}
    [task] = [t for t in tasks() if t.status == "open"]
    assert task.due_date == date(2026, 3, 20)  # last service + interval


def test_dueness_follows_the_task_type_code_across_frameworks(hydrants):
    """A renewed framework does not make everything due again (rule 10)."""
    [asset] = hydrants.add_assets(1)
    old_framework = make_active_framework(members=[hydrants.member])
    old_framework.status = FrameworkStatus.EXPIRED
    served(asset, old_framework.lots[0], TODAY - timedelta(days=100))
    generate()
    assert tasks() and all(t.status == "accepted" for t in tasks())


def test_task_closed_as_inaccessible_leaves_the_asset_due(hydrants):
    [asset] = hydrants.add_assets(1)
    served(asset, hydrants.lot, TODAY - timedelta(days=30), result="inaccessible", status="done")
    generate()
    assert planned_asset_ids() == {asset.id}


def test_retired_assets_inactive_plans_and_other_kinds_are_not_planned(hydrants):
    [kept, retired, pillar] = hydrants.add_assets(3)
    retired.status, retired.retired_at = "retired", retired.created_at
    pillar.kind = "hydrant_pillar"
    hydrants.plan.asset_kind = "hydrant_underground"
    db.session.flush()
    generate()
    assert planned_asset_ids() == {kept.id}
    db.session.execute(db.delete(Task))
    db.session.execute(db.delete(Round))
    hydrants.plan.active = False
    db.session.flush()
    generate()
    assert tasks() == []


def test_plan_with_a_season_plans_only_in_its_months(hydrants):
    hydrants.add_assets(2)
    hydrants.plan.active = False
    db.session.flush()
    make_service_plan(hydrants.member, hydrants.lot, season_months=[4, 5, 6])
    assert generate(date(2026, 3, 4))["tasks"] == 0
    assert generate(date(2026, 4, 1))["tasks"] == 2


# Rule 3: accessions ----------------------------------------------------------------------------


def test_no_rounds_are_generated_without_an_approved_accession(hydrants):
    hydrants.add_assets(2)
    for status in ("requested", "rejected", "withdrawn"):
        other = make_org("authority")
        name_beneficiaries(hydrants.framework, other)
        make_accession(hydrants.framework, other, status=status)
        make_service_plan(other, hydrants.lot)
        make_asset(other)
    # Approved for another lot only.
    second_lot = make_lot(hydrants.framework)
    other = make_org("authority")
    make_accession(hydrants.framework, other, lots=[second_lot])
    make_service_plan(other, hydrants.lot)
    make_asset(other)
    generate()
    assert {r.member_id for r in rounds()} == {hydrants.member.id}


# Rule 6: only open frameworks ------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"status": FrameworkStatus.EXHAUSTED},
        {"status": FrameworkStatus.TERMINATED, "termination_reason": "Provider bankrupt"},
        {"status": FrameworkStatus.EXPIRED},
        {"status": FrameworkStatus.DRAFT},
        {"end_date": TODAY - timedelta(days=1)},  # past its end, not yet flagged expired
        {"start_date": TODAY + timedelta(days=1)},
    ],
)
def test_expired_exhausted_or_terminated_framework_creates_no_new_rounds(hydrants, change):
    hydrants.add_assets(2)
    for key, value in change.items():
        setattr(hydrants.framework, key, value)
    db.session.flush()
    assert generate()["rounds"] == 0
    assert rounds() == []


# Rule 11: one open task per asset and task-type code -------------------------------------------


def test_asset_is_never_planned_twice_for_the_same_task_type(hydrants):
    hydrants.add_assets(30)
    first = generate()
    second = generate()
    assert first["tasks"] == 30
    assert second["rounds"] == 0 and second["tasks"] == 0
    assert count(Task) == 30
    # A second plan for the same code (all kinds and one kind) plans each asset once.
    make_service_plan(hydrants.member, hydrants.lot, asset_kind="hydrant_underground")
    assert generate()["tasks"] == 0


def test_database_refuses_a_second_open_task_for_an_asset_and_task_type(hydrants):
    [asset] = hydrants.add_assets(1)
    make_round(hydrants.lot, hydrants.member, [asset])
    with pytest.raises(IntegrityError), db.session.begin_nested():
        make_round(hydrants.lot, hydrants.member, [asset])
    # Closed work does not count: a cancelled task allows a new one.
    db.session.execute(db.update(Task).values(status="cancelled"))
    make_round(hydrants.lot, hydrants.member, [asset])


def test_cancelled_task_frees_the_asset_for_planning_again(hydrants):
    [asset] = hydrants.add_assets(1)
    generate()
    db.session.execute(db.update(Task).values(status="cancelled"))
    assert generate()["tasks"] == 1
    assert planned_asset_ids() == {asset.id}


# Rule 12: rounds -------------------------------------------------------------------------------


def test_round_holds_at_most_max_tasks_per_round_of_one_member_and_lot(hydrants):
    hydrants.lot.max_tasks_per_round = 7
    other = make_org("authority")
    name_beneficiaries(hydrants.framework, other)
    make_accession(hydrants.framework, other)
    make_service_plan(other, hydrants.lot)
    hydrants.add_assets(30)
    hydrants.add_assets(9, member=other)
    counts = generate()
    assert counts["tasks"] == 39
    by_member: dict[int, list[int]] = {}
    for round_ in rounds():
        assert round_.lot_id == hydrants.lot.id
        assert {t.asset.member_id for t in round_.tasks} == {round_.member_id}
        by_member.setdefault(round_.member_id, []).append(len(round_.tasks))
    assert max(by_member[hydrants.member.id]) <= 7 and sum(by_member[hydrants.member.id]) == 30
    assert len(by_member[hydrants.member.id]) == 5  # ceil(30 / 7): as few crew-days as possible
    assert sorted(by_member[other.id]) == [4, 5]


def test_rounds_are_grouped_by_proximity_and_ordered_along_a_short_route(hydrants):
    """Two villages 5 km apart: each round stays in one village, and is routed."""
    hydrants.lot.max_tasks_per_round = 20
    for village in range(2):
        for n in np.random.default_rng(village).permutation(20):
            make_asset(
                hydrants.member,
                lat=50.90 + village * 0.045 + (n // 5) * 0.002,
                lon=3.10 + (n % 5) * 0.003,
            )
    generate()
    found = rounds()
    assert len(found) == 2
    for round_ in found:
        lats = np.array([t.asset.lat for t in round_.tasks])
        lons = np.array([t.asset.lon for t in round_.tasks])
        assert lats.max() - lats.min() < 0.01  # one village
        assert [t.sequence for t in round_.tasks] == list(range(1, 21))
        assert float(round_.route_km) == pytest.approx(route_length_km(lats, lons), abs=0.01)
        by_id = sorted(round_.tasks, key=lambda t: t.asset_id)
        unordered = route_length_km(
            np.array([t.asset.lat for t in by_id]), np.array([t.asset.lon for t in by_id])
        )
        assert float(round_.route_km) <= unordered


def test_round_due_date_is_the_earliest_due_date_of_its_tasks(hydrants):
    [late, early] = hydrants.add_assets(2)
    served(early, hydrants.lot, date(2025, 3, 10))
    generate()
    [round_] = [r for r in rounds() if r.status == "planned"]
    assert round_.due_date == date(2026, 3, 10)
    assert {t.asset_id: t.due_date for t in round_.tasks} == {
        early.id: date(2026, 3, 10),
        late.id: TODAY + timedelta(days=28),
    }


def test_urgent_need_is_due_urgent_days_after_it_was_logged_in_a_round_of_its_own(hydrants):
    [asset] = hydrants.add_assets(1)
    hydrants.plan.active = False
    repair = make_task_type(hydrants.lot, "hydrant_repair")
    make_price(repair, "95.00")
    urgent = make_need(hydrants.member, hydrants.lot, task_type="hydrant_repair", priority="urgent")
    make_need(hydrants.member, hydrants.lot, asset=asset, task_type="hydrant_repair")
    db.session.flush()
    counts = generate()
    assert counts["needs_planned"] == 2
    urgent_round, normal_round = rounds()  # urgent first
    logged = urgent.created_at.astimezone(BRUSSELS).date()  # the day in Brussels
    assert urgent_round.due_date == max(logged + timedelta(days=7), TODAY)
    assert [t.need_id for t in urgent_round.tasks] == [urgent.id]
    assert normal_round.due_date == TODAY + timedelta(days=28)
    assert normal_round.tasks[0].asset_id == asset.id
    assert {n.status for n in db.session.scalars(select(Need))} == {"planned"}
    assert generate()["tasks"] == 0  # a planned need is not planned again


def test_need_without_a_task_type_waits_for_the_member(hydrants):
    hydrants.plan.active = False
    make_need(hydrants.member, hydrants.lot, task_type=None)
    db.session.flush()
    assert generate()["tasks"] == 0


# Rule 5: prices --------------------------------------------------------------------------------


def test_task_keeps_the_unit_price_and_vat_rate_in_force_when_it_was_planned(hydrants):
    hydrants.add_assets(1)
    make_price(hydrants.task_type, "20.00", valid_from=date(2026, 3, 1), vat_rate="6.00")
    make_price(hydrants.task_type, "25.00", valid_from=date(2026, 4, 1))
    generate()
    [task] = tasks()
    assert (task.unit_price, task.vat_rate, task.unit) == (
        Decimal("20.00"),
        Decimal("6.00"),
        "piece",
    )
    assert task.quantity == Decimal("1")


def test_task_type_without_a_price_in_force_is_not_planned(hydrants):
    hydrants.add_assets(2)
    db.session.execute(db.delete(PriceLine))
    assert generate()["no_price"] == 2
    assert tasks() == []


# Rule 2: the maximum ---------------------------------------------------------------------------


def test_committed_value_counts_open_done_and_accepted_tasks_not_cancelled_or_unbilled(hydrants):
    hydrants.add_assets(4)
    generate()
    assert committed_value(hydrants.framework).committed == Decimal("74.00")  # 4 × 18.50
    first, second, third, _fourth = tasks()
    first.status = "cancelled"
    second.status, second.result, second.done_on = "done", "not_found", TODAY
    third.status, third.result, third.done_on = "accepted", "ok", TODAY
    db.session.flush()
    assert committed_value(hydrants.framework).committed == Decimal("37.00")


def short_of_room(hydrants, monkeypatch) -> list:
    """30 due assets in rounds of 10 under a framework with room for 21 tasks (at 18.50) and a
    coordinator to warn; returns the list the mails sent land in."""
    sent = []
    monkeypatch.setattr("central.core.mail.send_mail", lambda *a, **k: sent.append(a) or True)
    from tests.factories import make_user

    make_user("coordinator", org=hydrants.framework.lead_organisation)
    hydrants.lot.max_tasks_per_round = 10
    hydrants.framework.max_value = Decimal("400.00")
    hydrants.framework.estimated_value = Decimal("300.00")
    hydrants.add_assets(30)
    db.session.flush()
    return sent


def test_round_is_not_created_past_the_framework_maximum(hydrants, monkeypatch):
    sent = short_of_room(hydrants, monkeypatch)
    counts = generate()
    assert counts["rounds"] == 2 and counts["tasks"] == 20
    assert counts["tasks_over_maximum"] == 10
    assert counts["frameworks_exhausted"] == 1
    assert committed_value(hydrants.framework).committed <= hydrants.framework.max_value
    assert hydrants.framework.status == FrameworkStatus.EXHAUSTED
    alert = db.session.scalar(select(FrameworkAlert).where(FrameworkAlert.threshold == 100))
    assert alert is not None and alert.lot_id is None
    assert any("past niet meer" in subject for _to, subject, _body in sent)  # does not fit
    assert alert.committed_value == Decimal("370.00")  # what is committed, not the refused round
    assert generate()["rounds"] == 0  # exhausted: no new work at all


def test_a_framework_whose_next_round_does_not_fit_is_retried_nightly_and_mailed_once(
    hydrants, monkeypatch
):
    """framework-status reopens the framework from what is committed (rule 2: it recomputes the
    flag), planning tries again and flags it again; the 100 % alert stays open meanwhile, so the
    coordinator is told once, not every night."""
    from central.planning.jobs import framework_status

    sent = short_of_room(hydrants, monkeypatch)
    generate()
    # The first framework-status also raises the 80 and 90 % warnings (92.5 % is committed).
    assert framework_status(db.session, TODAY)["alerts"] == 2
    mails = len(sent)
    for night in range(1, 4):  # framework-status, then generate-rounds, as the nightly chain
        assert framework_status(db.session, TODAY + timedelta(days=night))["alerts"] == 0
        assert hydrants.framework.status == FrameworkStatus.ACTIVE  # recomputed: 92.5 %
        assert generate(TODAY + timedelta(days=night))["rounds"] == 0  # still does not fit
        assert hydrants.framework.status == FrameworkStatus.EXHAUSTED
    assert len(sent) == mails  # the coordinator is told once, not every night
    [alert] = db.session.scalars(select(FrameworkAlert).where(FrameworkAlert.threshold == 100))
    assert alert.cleared_at is None
    # The work that did not fit goes away (its assets retired): planning finds room for all the
    # rest, and the alert clears.
    from central.assets.models import Asset

    waiting = db.session.scalars(
        select(Asset).where(
            Asset.member_id == hydrants.member.id,
            ~Asset.id.in_(select(Task.asset_id).where(Task.asset_id.is_not(None))),
        )
    ).all()
    assert len(waiting) == 10
    for asset in waiting:
        asset.status, asset.retired_at = "retired", datetime.now(UTC)
    db.session.flush()
    framework_status(db.session, TODAY + timedelta(days=4))
    generate(TODAY + timedelta(days=4))
    assert hydrants.framework.status == FrameworkStatus.ACTIVE
    db.session.refresh(alert)
    assert alert.cleared_at is not None


def test_round_is_not_created_past_a_lot_maximum_and_other_lots_go_on(hydrants):
    hydrants.lot.max_value = Decimal("100.00")  # room for 5 tasks: one round of 4 (of 4, 4, 4)
    hydrants.lot.max_tasks_per_round = 5
    other_lot = make_lot(hydrants.framework)
    make_price(make_task_type(other_lot, "hydrant_painting"), "10.00")
    make_accession(hydrants.framework, hydrants.member, lots=[other_lot])
    make_service_plan(hydrants.member, other_lot, task_type="hydrant_painting")
    hydrants.add_assets(12)
    db.session.flush()
    counts = generate()
    assert counts["lots_full"] == 1
    by_lot = {}
    for round_ in rounds():
        by_lot[round_.lot_id] = by_lot.get(round_.lot_id, 0) + len(round_.tasks)
    assert by_lot[hydrants.lot.id] == 4
    assert by_lot[other_lot.id] == 12
    assert hydrants.framework.status == FrameworkStatus.ACTIVE


def test_urgent_needs_come_first_when_room_is_short(hydrants):
    hydrants.framework.max_value = Decimal("100.00")
    hydrants.framework.estimated_value = Decimal("100.00")
    hydrants.add_assets(10)
    repair = make_task_type(hydrants.lot, "hydrant_repair")
    make_price(repair, "90.00")
    urgent = make_need(hydrants.member, hydrants.lot, task_type="hydrant_repair", priority="urgent")
    db.session.flush()
    generate()
    [round_] = rounds()
    assert [t.need_id for t in round_.tasks] == [urgent.id]


# The job as a whole ----------------------------------------------------------------------------


def test_the_audit_trail_names_every_generated_round_and_planned_need(hydrants):
    from central.core.audit import AuditEvent

    hydrants.lot.max_tasks_per_round = 5
    hydrants.add_assets(12)
    need = make_need(
        hydrants.member, hydrants.lot, priority="urgent", task_type="hydrant_inspection"
    )
    db.session.flush()
    generate()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "rounds.generated")
    ).all()
    named = sorted(rid for event in events for rid in event.data["rounds"])
    assert named == [r.id for r in rounds()]
    assert sum(event.data["tasks"] for event in events) == 13
    assert [nid for event in events for nid in event.data["needs_planned"]] == [need.id]


def test_generate_rounds_run_twice_changes_nothing_the_second_time(hydrants):
    hydrants.add_assets(40)
    make_need(hydrants.member, hydrants.lot, priority="urgent", task_type="hydrant_inspection")
    db.session.flush()
    first = run_job("generate-rounds", today=TODAY)
    snapshot = [(r.id, r.due_date, float(r.route_km)) for r in rounds()]
    second = run_job("generate-rounds", today=TODAY)
    assert first.status == second.status == JobStatus.SUCCEEDED
    assert first.counts["tasks"] == 41
    assert second.counts["rounds"] == 0 and second.counts["tasks"] == 0
    assert [(r.id, r.due_date, float(r.route_km)) for r in rounds()] == snapshot


def test_today_moves_the_clock_for_the_whole_run(hydrants):
    hydrants.add_assets(1)
    run = run_job("generate-rounds", today=date(2027, 1, 6))
    assert run.today == date(2027, 1, 6)
    assert rounds()[0].due_date == date(2027, 2, 3)


def test_big_run_refreshes_the_statistics_for_the_jobs_after_it(hydrants, monkeypatch):
    """After many new tasks PostgreSQL's statistics are refreshed at once (ANALYZE), so that
    assign-rounds and mark-overdue are not planned on counts from before the run."""
    from central.planning import jobs

    statements: list[str] = []
    execute = db.session.execute

    def spy(statement, *args, **kwargs):
        statements.append(str(statement))
        return execute(statement, *args, **kwargs)

    hydrants.add_assets(3)
    db.session.flush()
    monkeypatch.setattr(jobs, "ANALYZE_AFTER_TASKS", 3)
    monkeypatch.setattr(db.session, "execute", spy)
    counts = generate()
    assert counts["tasks"] == 3
    analyzed = "ANALYZE rounds, tasks" in statements
    assert analyzed == (db.session.get_bind().dialect.name == "postgresql")


# Rule 5: quantities ----------------------------------------------------------------------------


def hedges(hydrants, unit_price: str = "2.50", unit: str = "m"):
    """The hydrant plan paused; a hedge-trimming task type of the lot priced per `unit`, and an
    active plan of the member for it."""
    hydrants.plan.active = False
    trimming = make_task_type(hydrants.lot, "hedge_trimming", checklist=[])
    make_price(trimming, unit_price, unit=unit)
    make_service_plan(hydrants.member, hydrants.lot, task_type="hedge_trimming")
    db.session.flush()
    return trimming


def test_task_priced_per_metre_takes_the_assets_measure_as_its_quantity(hydrants):
    hedges(hydrants)
    [hedge] = hydrants.add_assets(1, measure=Decimal("40"))
    generate()
    [task] = tasks()
    assert (task.asset_id, task.unit, task.quantity) == (hedge.id, "m", Decimal("40"))
    assert committed_value(hydrants.framework).committed == Decimal("100.00")  # 40 × 2.50


def test_task_priced_per_square_metre_takes_a_fractional_measure(hydrants):
    hedges(hydrants, unit_price="0.35", unit="m2")
    hydrants.add_assets(1, measure=Decimal("1250.75"))
    generate()
    [task] = tasks()
    assert task.quantity == Decimal("1250.75")
    assert committed_value(hydrants.framework).committed == Decimal("437.76")  # 437.7625 half up


def test_task_priced_per_metre_without_a_measure_has_quantity_one(hydrants):
    hedges(hydrants)
    hydrants.add_assets(1)
    generate()
    assert [t.quantity for t in tasks()] == [Decimal("1")]


def test_task_priced_per_piece_ignores_the_assets_measure(hydrants):
    hydrants.add_assets(2, measure=Decimal("40"))
    generate()
    assert [(t.unit, t.quantity) for t in tasks()] == [("piece", Decimal("1"))] * 2
    assert committed_value(hydrants.framework).committed == Decimal("37.00")  # 2 × 18.50


def test_a_needs_quantity_is_the_tasks_quantity(hydrants):
    trimming = hedges(hydrants)
    for plan in db.session.scalars(select(type(hydrants.plan))):
        plan.active = False  # only the needs
    [hedge] = hydrants.add_assets(1, measure=Decimal("40"))
    make_need(hydrants.member, hydrants.lot, asset=hedge, task_type=trimming.code, quantity=3)
    make_need(hydrants.member, hydrants.lot, task_type=trimming.code)  # a place: quantity 1
    make_need(
        hydrants.member, hydrants.lot, task_type="hydrant_inspection", quantity=Decimal("2.5")
    )
    db.session.flush()
    assert generate()["needs_planned"] == 3
    by_type = sorted((t.task_type, t.quantity) for t in tasks())
    assert by_type == [
        ("hedge_trimming", Decimal("1")),
        ("hedge_trimming", Decimal("3")),
        ("hydrant_inspection", Decimal("2.5")),  # even per piece: the member said so
    ]
    # 3 × 2.50 + 1 × 2.50 + 2.5 × 18.50 = 56.25
    assert committed_value(hydrants.framework).committed == Decimal("56.25")


def test_a_need_without_a_quantity_takes_the_assets_measure(hydrants):
    trimming = hedges(hydrants)
    for plan in db.session.scalars(select(type(hydrants.plan))):
        plan.active = False
    [hedge] = hydrants.add_assets(1, measure=Decimal("12.5"))
    make_need(hydrants.member, hydrants.lot, asset=hedge, task_type=trimming.code)
    db.session.flush()
    generate()
    assert [t.quantity for t in tasks()] == [Decimal("12.5")]


def test_the_maximum_counts_the_quantity(hydrants):
    """Two hedges of 40 m at 2.50 (100.00 each) under a lot maximum of 150.00: one fits, the
    other crosses the maximum and is refused (counted per task, both would fit)."""
    hedges(hydrants)
    hydrants.lot.max_value = Decimal("150.00")
    hydrants.lot.max_tasks_per_round = 1
    hydrants.add_assets(2, measure=Decimal("40"))
    db.session.flush()
    counts = generate()
    assert counts["rounds"] == 1 and counts["tasks"] == 1
    assert counts["lots_full"] == 1 and counts["tasks_over_maximum"] == 1
    assert committed_value(hydrants.framework).committed == Decimal("100.00")


def test_the_framework_maximum_counts_the_quantity(hydrants):
    hedges(hydrants)
    hydrants.framework.max_value = Decimal("99.99")
    hydrants.framework.estimated_value = Decimal("99.99")
    hydrants.add_assets(1, measure=Decimal("40"))  # 100.00: one cent too much
    db.session.flush()
    counts = generate()
    assert counts["tasks"] == 0 and counts["frameworks_exhausted"] == 1
    assert hydrants.framework.status == FrameworkStatus.EXHAUSTED


def test_the_statement_line_bills_the_planned_quantity(hydrants):
    from datetime import UTC, datetime

    from central.reports import builders

    hedges(hydrants, unit_price="2.35")
    hydrants.add_assets(2, measure=Decimal("40"))
    generate()
    [round_] = rounds()
    round_.provider_id, round_.status = hydrants.provider.id, "accepted"
    for task in tasks():
        task.status, task.result, task.done_on = "accepted", "ok", TODAY
        task.accepted_at = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    db.session.flush()
    report = builders.statement_report(db.session, hydrants.member.id, date(2026, 3, 1))
    [line] = report.lines.to_dict(orient="records")
    assert (line["unit"], line["quantity"], line["tasks"]) == ("m", Decimal("80"), 2)
    assert line["amount"] == Decimal("188.00")  # 2 × 40 m × 2.35


# §7.5: rounds sized by the crew-day -------------------------------------------------------------


def test_rounds_are_split_so_that_service_and_travel_time_fit_the_crew_day(hydrants):
    hydrants.lot.crew_day_minutes = 100
    hydrants.task_type.service_minutes = 15
    hydrants.add_assets(20)  # 300 minutes of service alone
    generate()
    made = rounds()
    assert sum(len(r.tasks) for r in made) == 20
    assert len(made) >= 4
    for round_ in made:
        travel = float(round_.route_km) / hydrants.lot.travel_kmh * 60
        assert round_.planned_minutes == pytest.approx(len(round_.tasks) * 15 + travel, abs=1)
        assert round_.planned_minutes <= 100


def test_max_tasks_per_round_stays_an_upper_bound_when_the_day_has_room(hydrants):
    hydrants.lot.max_tasks_per_round = 4
    hydrants.task_type.service_minutes = 1
    hydrants.add_assets(10)
    generate()
    assert sorted(len(r.tasks) for r in rounds()) == [3, 3, 4]
    assert all(r.planned_minutes is not None for r in rounds())


def test_a_default_crew_day_holds_a_full_round_of_hydrants(hydrants):
    hydrants.add_assets(25)  # 25 × 15 minutes and a short drive fit 450 minutes
    generate()
    [round_] = rounds()
    assert len(round_.tasks) == 25
    assert 375 <= round_.planned_minutes <= 450

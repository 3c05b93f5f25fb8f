"""Rules 14–16 in the services: results and the checklist, follow-up needs, the round's status,
contests, acceptance and labour."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from central.assets.models import Need
from central.core.clock import today
from central.core.errors import Conflict, Forbidden, ValidationError
from central.extensions import db
from central.fieldwork import queries, services
from central.fieldwork.models import LabourDay, LabourEntry
from central.frameworks.queries import committed_amounts
from tests.factories import make_need, make_round, make_user
from tests.fieldwork.conftest import OK


def defect_needs(task) -> list[Need]:
    return list(
        db.session.scalars(select(Need).where(Need.task_id == task.id, Need.source == "defect"))
    )


def finish(field, results=None):
    """Record a result on every task of the field's round (ok unless given)."""
    for n, task in enumerate(field.tasks):
        values = (results or {}).get(n, OK)
        services.record_result(task, values, actor=field.crew)


# --- rule 14: results --------------------------------------------------------------------------


def test_rule_14_result_moves_open_task_to_done(field):
    task = field.tasks[0]
    services.record_result(task, {**OK, "notes": " all fine "}, actor=field.crew)
    assert task.status == "done" and task.result == "ok" and task.done_on == today()
    report = queries.report_of(task)
    assert report.notes == "all fine" and report.checklist == {"lid": True, "pressure": 4.2}
    assert report.failed_items == []
    assert defect_needs(task) == []


def test_rule_14_provider_may_correct_a_done_result(field):
    task = field.tasks[0]
    services.record_result(task, OK, actor=field.crew)
    services.record_result(task, {"result": "defect", "defect_category": "lid"}, actor=field.crew)
    assert task.status == "done" and task.result == "defect"


def test_rule_14_checklist_unknown_key_is_refused(field):
    with pytest.raises(ValidationError) as error:
        services.record_result(
            field.tasks[0],
            {"result": "ok", "checklist": {**OK["checklist"], "x": True}},
            actor=field.crew,
        )
    assert "x" in error.value.message
    assert field.tasks[0].status == "open"


@pytest.mark.parametrize(
    "answers",
    [
        {"lid": "yes", "pressure": 4},
        {"lid": 1, "pressure": 4},
        {"lid": True, "pressure": "4"},
        {"lid": True, "pressure": True},
    ],
)
def test_rule_14_checklist_wrong_types_are_refused(field, answers):
    with pytest.raises(ValidationError):
        services.record_result(
            field.tasks[0], {"result": "ok", "checklist": answers}, actor=field.crew
        )


def test_rule_14_ok_result_answers_the_whole_checklist(field):
    with pytest.raises(ValidationError):
        services.record_result(
            field.tasks[0], {"result": "ok", "checklist": {"lid": True}}, actor=field.crew
        )
    # A defect may leave items unanswered (the hydrant could not be tested further).
    services.record_result(
        field.tasks[0], {"result": "defect", "checklist": {"lid": False}}, actor=field.crew
    )


def test_rule_14_defect_creates_one_follow_up_need_with_the_follow_up_task_type(field):
    task = field.tasks[0]
    services.record_result(
        task, {"result": "defect", "defect_category": "valve", "notes": "stuck"}, actor=field.crew
    )
    needs = defect_needs(task)
    assert len(needs) == 1
    need = needs[0]
    assert need.member_id == field.member.id and need.asset_id == task.asset_id
    assert need.lot_id == field.follow_up.lot_id and need.task_type == "minor_repair"
    assert need.status == "open" and "stuck" in need.description and "valve" in need.description
    # Correcting and resubmitting keeps one need, with the new description.
    services.record_result(
        task,
        {"result": "defect", "defect_category": "lid", "notes": "lid broken"},
        actor=field.crew,
    )
    services.record_result(
        task,
        {"result": "defect", "defect_category": "lid", "notes": "lid broken"},
        actor=field.crew,
    )
    needs = defect_needs(task)
    assert len(needs) == 1 and "lid broken" in needs[0].description


@pytest.mark.parametrize(
    "answers",
    [{"lid": False, "pressure": 4}, {"lid": True, "pressure": 1.2}, {"lid": True, "pressure": 11}],
)
def test_rule_14_failed_checklist_item_creates_a_follow_up_need(field, answers):
    task = field.tasks[0]
    services.record_result(task, {"result": "ok", "checklist": answers}, actor=field.crew)
    needs = defect_needs(task)
    assert len(needs) == 1
    assert queries.report_of(task).failed_items


def test_rule_14_follow_up_need_without_configured_follow_up_has_no_task_type(field):
    field.task_type.follow_up_task_type_id = None
    db.session.flush()
    db.session.expire(field.task_type)
    task = field.tasks[0]
    services.record_result(task, {"result": "defect"}, actor=field.crew)
    need = defect_needs(task)[0]
    assert need.lot_id is None and need.task_type is None


def test_rule_14_correction_to_ok_cancels_the_open_follow_up_need(field):
    task = field.tasks[0]
    services.record_result(task, {"result": "defect"}, actor=field.crew)
    services.record_result(task, OK, actor=field.crew)
    assert [need.status for need in defect_needs(task)] == ["cancelled"]
    services.record_result(task, {"result": "defect"}, actor=field.crew)
    assert [need.status for need in defect_needs(task)] == ["open"]


def test_rule_14_defect_on_a_place_need_task_raises_the_need_on_that_place(field):
    origin = make_need(field.member, field.lot, status="planned")
    round_ = make_round(field.lot, field.member, [], provider=field.provider)
    from central.planning.models import Task

    task = Task(
        round_id=round_.id,
        sequence=1,
        need_id=origin.id,
        task_type_id=field.task_type.id,
        task_type=field.task_type.code,
        quantity=Decimal("1"),
        unit="piece",
        unit_price=Decimal("18.50"),
        vat_rate=Decimal("21.00"),
        due_date=round_.due_date,
    )
    db.session.add(task)
    db.session.flush()
    services.record_result(task, {"result": "defect"}, actor=field.crew)
    need = defect_needs(task)[0]
    assert need.asset_id is None and (need.lat, need.lon) == (origin.lat, origin.lon)
    assert origin.status == "done"


@pytest.mark.parametrize("result", ["inaccessible", "not_found"])
def test_rule_14_inaccessible_and_not_found_close_the_task_unbilled(field, result):
    task = field.tasks[0]
    services.record_result(task, {"result": result, "notes": "car parked on it"}, actor=field.crew)
    assert task.status == "done" and task.result == result
    amounts = committed_amounts(field.framework.id)
    # Three tasks of 18.50 planned; the closed one commits nothing (rule 2) ...
    assert amounts.total.committed == Decimal("37.00")
    # ... and the asset stays due: its last service ignores the closed task (rule 10).
    from central.planning.queries import last_service_query

    served = db.session.execute(last_service_query()).all()
    assert all(row.asset_id != task.asset_id for row in served)


def test_rule_14_no_result_on_a_cancelled_task(field):
    task = field.tasks[0]
    task.status = "cancelled"
    db.session.flush()
    with pytest.raises(Conflict):
        services.record_result(task, OK, actor=field.crew)


def test_rule_14_no_result_on_an_accepted_round(field):
    finish(field)
    services.accept_round(field.round, actor=field.member_user)
    with pytest.raises(Conflict):
        services.record_result(field.tasks[0], OK, actor=field.crew)


def test_rule_14_only_the_rounds_provider_records_results(field):
    other_crew = make_user("provider")
    for actor in (other_crew, field.member_user, field.coordinator):
        with pytest.raises(Forbidden):
            services.record_result(field.tasks[0], OK, actor=actor)


def test_rule_14_contested_task_is_redone_to_done(field):
    finish(field)
    task = field.tasks[1]
    services.contest_task(task, "The lid is still broken", actor=field.member_user)
    assert task.status == "contested" and field.round.status == "in_progress"
    assert field.round.completed_at is None
    assert queries.open_contest_of(task).reason == "The lid is still broken"
    services.record_result(task, OK, actor=field.crew)
    assert task.status == "done" and field.round.status == "completed"
    assert queries.open_contest_of(task) is None
    assert queries.latest_contest_of(task).resolved_at is not None


def test_rule_14_contest_needs_a_reason_and_a_done_task(field):
    task = field.tasks[0]
    with pytest.raises(Conflict):
        services.contest_task(task, "not done", actor=field.member_user)
    services.record_result(task, OK, actor=field.crew)
    with pytest.raises(ValidationError):
        services.contest_task(task, "   ", actor=field.member_user)
    with pytest.raises(Forbidden):
        services.contest_task(task, "Wrong", actor=field.crew)
    assert task.status == "done"


# --- rule 15: round status and acceptance --------------------------------------------------------


def test_rule_15_round_follows_its_tasks(field):
    assert field.round.status == "assigned"
    services.record_result(field.tasks[0], OK, actor=field.crew)
    assert field.round.status == "in_progress"
    field.tasks[1].status = "cancelled"  # cancelled work does not hold the round back
    db.session.flush()
    services.record_result(field.tasks[2], {"result": "inaccessible"}, actor=field.crew)
    assert field.round.status == "completed" and field.round.completed_at is not None


def test_rule_15_overdue_round_stays_overdue_until_completed(field):
    field.round.status = "overdue"
    db.session.flush()
    services.record_result(field.tasks[0], OK, actor=field.crew)
    assert field.round.status == "overdue"
    services.record_result(field.tasks[1], OK, actor=field.crew)
    services.record_result(field.tasks[2], OK, actor=field.crew)
    assert field.round.status == "completed"


def test_rule_15_member_accepts_a_completed_round(field):
    finish(field, {0: {"result": "defect"}, 1: {"result": "not_found"}})
    services.accept_round(field.round, actor=field.member_user)
    assert field.round.status == "accepted" and field.round.accepted_at is not None
    assert {t.status for t in field.tasks} == {"accepted"}
    assert all(t.accepted_at is not None for t in field.tasks)


def test_rule_15_accept_refuses_an_incomplete_or_accepted_round(field):
    services.record_result(field.tasks[0], OK, actor=field.crew)
    with pytest.raises(Conflict):
        services.accept_round(field.round, actor=field.member_user)
    finish(field)
    with pytest.raises(Forbidden):
        services.accept_round(field.round, actor=field.crew)
    with pytest.raises(Forbidden):
        services.accept_round(field.round, actor=field.coordinator)  # another authority's round
    services.accept_round(field.round, actor=field.member_user)
    with pytest.raises(Conflict):
        services.accept_round(field.round, actor=field.member_user)


def test_rule_15_only_accepted_work_counts_as_completed_value(field):
    finish(field)
    amounts = committed_amounts(field.framework.id).total
    assert amounts.committed == Decimal("55.50")
    # Done work awaits the member's acceptance: it is not completed (nor billed) yet.
    assert amounts.awaiting == Decimal("55.50")
    assert amounts.completed == amounts.accepted == Decimal("0.00")
    services.accept_round(field.round, actor=field.member_user)
    amounts = committed_amounts(field.framework.id).total
    assert amounts.completed == amounts.accepted == Decimal("55.50")
    assert amounts.awaiting == Decimal("0.00")


def test_rule_15_round_with_a_contested_task_cannot_be_accepted(field):
    finish(field)
    services.contest_task(field.tasks[0], "Not done", actor=field.member_user)
    with pytest.raises(Conflict):
        services.accept_round(field.round, actor=field.member_user)


# --- rule 16: labour -----------------------------------------------------------------------------


def labour(**values):
    return {"hours": "14.5", "target_group_hours": "7.25", "target_group_workers": 1, **values}


def test_rule_16_labour_is_logged_per_round_and_work_date(field):
    entry, created = services.record_labour(field.round, labour(), actor=field.crew)
    assert created and entry.work_date == today()
    assert entry.hours == Decimal("14.50") and entry.target_group_hours == Decimal("7.25")


def test_rule_16_same_round_and_work_date_replaces(field):
    day = today() - timedelta(days=1)
    services.record_labour(field.round, labour(work_date=day), actor=field.crew)
    entry, created = services.record_labour(
        field.round, labour(work_date=day, hours="8", target_group_hours="8"), actor=field.crew
    )
    assert not created and entry.hours == Decimal("8.00")
    count = db.session.scalar(
        select(func.count()).select_from(LabourEntry).where(LabourEntry.round_id == field.round.id)
    )
    assert count == 1
    services.record_labour(field.round, labour(), actor=field.crew)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(LabourEntry)
            .where(LabourEntry.round_id == field.round.id)
        )
        == 2
    )


@pytest.mark.parametrize(
    ("values", "field_name"),
    [
        ({"hours": "-1"}, "hours"),
        ({"hours": "abc"}, "hours"),
        ({"hours": "4", "target_group_hours": "5"}, "target_group_hours"),
        ({"target_group_hours": "-1"}, "target_group_hours"),
        ({"target_group_workers": -1}, "target_group_workers"),
        ({"target_group_workers": 0}, "target_group_workers"),
        ({"hours": "40", "target_group_hours": "30"}, "target_group_hours"),
        ({"work_date": "2026-13-01"}, "work_date"),
        ({"work_date": (today() + timedelta(days=1)).isoformat()}, "work_date"),
    ],
)
def test_rule_16_labour_validation(field, values, field_name):
    with pytest.raises(ValidationError) as error:
        services.record_labour(field.round, labour(**values), actor=field.crew)
    assert field_name in error.value.fields
    assert db.session.scalar(select(func.count()).select_from(LabourEntry)) == 0


def test_rule_16_only_the_provider_logs_labour(field):
    for actor in (make_user("provider"), field.member_user, field.coordinator):
        with pytest.raises(Forbidden):
            services.record_labour(field.round, labour(), actor=actor)


def test_rule_16_labour_shares_sum_exactly_per_provider_member_framework_and_year(field):
    from central.fieldwork.queries import labour_shares

    second = field.another_round()
    day = today() - timedelta(days=1) if today().timetuple().tm_yday > 1 else today()
    for round_, work_date, hours, group, workers in (
        (field.round, day, "7.10", "3.35", 1),
        (field.round, today(), "0.10", "0.10", 1),
        (second, today(), "0.20", "0", 0),
    ):
        services.record_labour(
            round_,
            {
                "work_date": work_date,
                "hours": hours,
                "target_group_hours": group,
                "target_group_workers": workers,
            },
            actor=field.crew,
        )
    (total,) = labour_shares(framework_ids=[field.framework.id], year=today().year)
    assert (total.provider_id, total.member_id, total.framework_id) == (
        field.provider.id,
        field.member.id,
        field.framework.id,
    )
    assert total.hours == Decimal("7.40") and total.target_group_hours == Decimal("3.45")
    # Today one target-group worker served both rounds: one worker-day that day, not two.
    assert total.target_group_worker_days == (2 if day != today() else 1)
    assert total.work_days == 3
    assert labour_shares(provider_id=field.member.id, year=today().year) == []
    assert labour_shares(year=2001) == []


def test_rule_16_a_crew_serving_several_rounds_on_a_day_is_one_day_of_its_workers(field):
    """§7.1: labour is kept per provider and work date; each round adds its part."""
    second = field.another_round()
    services.record_labour(field.round, labour(workers=2), actor=field.crew)
    entry, _ = services.record_labour(second, labour(hours="7.25", workers=2), actor=field.crew)
    day = entry.day
    assert sorted(day.round_ids) == sorted([field.round.id, second.id])
    assert (day.hours, day.workers) == (Decimal("21.75"), 2)
    assert (day.target_group_hours, day.target_group_workers) == (Decimal("14.50"), 1)
    # Posting the first round again replaces its part; the day follows.
    services.record_labour(field.round, labour(hours="10", workers=3), actor=field.crew)
    db.session.refresh(day)
    assert (day.hours, day.workers) == (Decimal("17.25"), 3)
    assert db.session.scalar(select(func.count()).select_from(LabourDay)) == 1


def test_rule_16_workers_default_to_the_target_group_workers(field):
    entry, _ = services.record_labour(
        field.round,
        labour(hours="8", target_group_hours="8", target_group_workers=2),
        actor=field.crew,
    )
    assert entry.workers == 2
    entry, _ = services.record_labour(
        field.round, {"hours": "3", "work_date": today() - timedelta(days=1)}, actor=field.crew
    )
    assert entry.workers == 1  # no target-group workers: the fewest the hours need


@pytest.mark.parametrize(
    ("values", "field_name"),
    [
        ({"hours": "25", "target_group_hours": "0", "workers": 1}, "hours"),
        ({"workers": 0, "target_group_workers": 1}, "workers"),
        ({"workers": -1}, "workers"),
    ],
)
def test_rule_16_hours_are_at_most_24_a_day_per_worker(field, values, field_name):
    with pytest.raises(ValidationError) as error:
        services.record_labour(field.round, labour(**values), actor=field.crew)
    assert field_name in error.value.fields
    assert db.session.scalar(select(func.count()).select_from(LabourEntry)) == 0


def test_rule_16_a_day_over_24_hours_per_worker_is_refused_and_writes_nothing(field):
    second = field.another_round()
    services.record_labour(field.round, labour(hours="20", workers=1), actor=field.crew)
    with pytest.raises(ValidationError) as error:
        services.record_labour(second, labour(hours="20", workers=1), actor=field.crew)
    assert "workers" in error.value.fields
    assert db.session.scalar(select(func.count()).select_from(LabourEntry)) == 1


def test_rule_14_reading_on_its_bound_passes(field):
    task = field.tasks[0]
    services.record_result(
        task, {"result": "ok", "checklist": {"lid": True, "pressure": 1.5}}, actor=field.crew
    )
    assert queries.report_of(task).failed_items == []
    services.record_result(
        task, {"result": "ok", "checklist": {"lid": True, "pressure": 10}}, actor=field.crew
    )
    assert queries.report_of(task).failed_items == []
    assert defect_needs(task) == []

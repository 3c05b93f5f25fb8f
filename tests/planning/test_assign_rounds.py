"""assign-rounds (rules 4 and 13), mark-overdue (rule 15) and framework-status (rules 2 and 6)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from central.core.clock import BRUSSELS
from central.extensions import db
from central.frameworks.models import FrameworkAlert, FrameworkStatus
from central.jobs.models import JobStatus
from central.jobs.runner import run_job
from central.planning.jobs import assign_rounds, framework_status, mark_overdue
from tests.factories import make_award, make_org, make_round, make_user
from tests.planning.conftest import TODAY, rounds

MONDAY = date(2026, 3, 2)


@pytest.fixture
def mails(monkeypatch):
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setattr(
        "central.core.mail.send_mail",
        lambda to, subject, body: sent.append((to, subject, body)) or True,
    )
    return sent


def unassigned_round(hydrants, size: int, due: date, **values):
    return make_round(
        hydrants.lot, hydrants.member, hydrants.add_assets(size), due_date=due, **values
    )


def assign(day: date = TODAY) -> dict:
    return assign_rounds(db.session, day)


# Rule 13 ---------------------------------------------------------------------------------------


def test_round_goes_to_the_highest_ranked_provider_with_capacity_in_the_earliest_week(hydrants):
    second = make_org("provider", social_economy_status="lde")
    make_award(hydrants.lot, second, rank=2)
    round_ = unassigned_round(hydrants, 5, TODAY + timedelta(days=20))
    counts = assign()
    assert counts == {"assigned": 1, "unassigned": 0}
    assert round_.provider_id == hydrants.provider.id
    assert round_.status == "assigned"
    # The first open working day from the later of today and the week's Monday (§7.5): today.
    assert round_.scheduled_date == TODAY
    assert round_.assigned_at is not None


def test_rounds_are_taken_by_due_date_and_fill_weeks_in_order(hydrants):
    hydrants.lot.awards[0].weekly_capacity = 10
    later = unassigned_round(hydrants, 6, TODAY + timedelta(days=25))
    sooner = unassigned_round(hydrants, 6, TODAY + timedelta(days=10))
    assign()
    assert sooner.scheduled_date == TODAY
    assert later.scheduled_date == MONDAY + timedelta(weeks=1)


def test_round_goes_to_the_next_ranked_provider_when_the_first_has_no_room_in_time(hydrants):
    hydrants.lot.awards[0].weekly_capacity = 4
    second = make_org("provider", social_economy_status="maatwerkbedrijf")
    make_award(hydrants.lot, second, rank=2, weekly_capacity=50)
    round_ = unassigned_round(hydrants, 5, TODAY + timedelta(days=20))
    assign()
    assert round_.provider_id == second.id


def test_existing_work_counts_against_a_weeks_capacity(hydrants):
    hydrants.lot.awards[0].weekly_capacity = 10
    make_round(
        hydrants.lot,
        hydrants.member,
        hydrants.add_assets(8),
        provider=hydrants.provider,
        scheduled_date=MONDAY,
    )
    round_ = unassigned_round(hydrants, 5, TODAY + timedelta(days=20))
    assign()
    assert round_.scheduled_date == MONDAY + timedelta(weeks=1)


def test_reserved_lot_only_goes_to_social_economy_providers(hydrants):
    hydrants.lot.reserved = True
    for recognition in hydrants.provider.recognitions:
        db.session.delete(recognition)
    db.session.flush()
    db.session.expire(hydrants.provider, ["recognitions"])
    recognised = make_org("provider", social_economy_status="sociale_inschakeling")
    make_award(hydrants.lot, recognised, rank=2)
    round_ = unassigned_round(hydrants, 3, TODAY + timedelta(days=20))
    assign()
    assert round_.provider_id == recognised.id


def test_round_no_provider_can_take_stays_unassigned_and_is_reported(hydrants):
    hydrants.lot.awards[0].weekly_capacity = 2
    too_big = unassigned_round(hydrants, 3, TODAY + timedelta(days=20))
    counts = assign()
    assert counts["unassigned"] == 1 and counts["unassigned_round_ids"] == [too_big.id]
    assert too_big.provider_id is None and too_big.status == "planned"


def test_providers_and_members_are_told_after_the_commit(hydrants, mails):
    make_user("provider", org=hydrants.provider, email="crew@provider.example")
    make_user("member", org=hydrants.member, email="staff@member.example")
    unassigned_round(hydrants, 3, TODAY + timedelta(days=20))
    assign()
    recipients = {to for to, _subject, _body in mails}
    assert {"crew@provider.example", "staff@member.example"} <= recipients
    assert any("4 mrt 2026" in body for _to, _subject, body in mails)  # nl-BE, as people read it


def test_mail_is_not_sent_when_the_job_fails(hydrants, mails, monkeypatch):
    make_user("provider", org=hydrants.provider)
    unassigned_round(hydrants, 3, TODAY + timedelta(days=20))

    def broken(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr("central.planning.jobs.audit.record", broken)
    run = run_job("assign-rounds", today=TODAY)
    assert run.status == JobStatus.FAILED
    assert mails == []
    assert rounds()[0].provider_id is None


def test_assign_rounds_run_twice_changes_nothing_the_second_time(hydrants):
    for due in (10, 20, 30):
        unassigned_round(hydrants, 4, TODAY + timedelta(days=due))
    first = run_job("assign-rounds", today=TODAY)
    snapshot = [(r.id, r.provider_id, r.scheduled_date) for r in rounds()]
    second = run_job("assign-rounds", today=TODAY)
    assert first.counts["assigned"] == 3
    assert second.counts == {"assigned": 0, "unassigned": 0}
    assert [(r.id, r.provider_id, r.scheduled_date) for r in rounds()] == snapshot


# Rule 15: mark-overdue -------------------------------------------------------------------------


def test_round_past_its_due_date_with_open_tasks_becomes_overdue(hydrants, mails):
    make_user("provider", org=hydrants.provider, email="crew@provider.example")
    late = unassigned_round(hydrants, 2, date(2026, 3, 3), provider=hydrants.provider)
    due_today = unassigned_round(hydrants, 2, TODAY, provider=hydrants.provider)
    done = unassigned_round(
        hydrants,
        1,
        date(2026, 3, 1),
        provider=hydrants.provider,
        status="completed",
        task_status="done",
        completed_at=datetime(2026, 3, 3, tzinfo=UTC),
    )
    counts = mark_overdue(db.session, TODAY)
    assert counts["overdue"] == 1
    assert (late.status, due_today.status, done.status) == ("overdue", "assigned", "completed")
    assert late.provider_id == hydrants.provider.id  # the work stays with the provider
    assert any(f"#{late.id}" in body for _to, _subject, body in mails)


def test_completed_round_not_contested_within_14_days_is_accepted(hydrants):
    completed_on = datetime(2026, 2, 18, 15, 0, tzinfo=UTC)  # 18 February, Brussels
    round_ = unassigned_round(
        hydrants,
        2,
        date(2026, 2, 20),
        provider=hydrants.provider,
        status="completed",
        task_status="done",
        completed_at=completed_on,
    )
    assert mark_overdue(db.session, date(2026, 3, 3))["auto_accepted"] == 0  # day 13
    counts = mark_overdue(db.session, date(2026, 3, 4))  # day 14
    assert counts["auto_accepted"] == 1 and counts["tasks_accepted"] == 2
    assert round_.status == "accepted" and round_.accepted_at is not None
    assert {t.status for t in round_.tasks} == {"accepted"}
    # The business day in Brussels (its UTC date is the day before between midnight and 1 h).
    assert all(t.accepted_at.astimezone(BRUSSELS).date() == date(2026, 3, 4) for t in round_.tasks)


def test_mark_overdue_run_twice_changes_nothing_the_second_time(hydrants):
    unassigned_round(hydrants, 2, date(2026, 3, 1), provider=hydrants.provider)
    unassigned_round(
        hydrants,
        1,
        date(2026, 2, 1),
        provider=hydrants.provider,
        status="completed",
        task_status="done",
        completed_at=datetime(2026, 2, 2, tzinfo=UTC),
    )
    first = run_job("mark-overdue", today=TODAY)
    second = run_job("mark-overdue", today=TODAY)
    assert (first.counts["overdue"], first.counts["auto_accepted"]) == (1, 1)
    assert second.counts == {"overdue": 0, "auto_accepted": 0, "tasks_accepted": 0}


# framework-status (rules 2 and 6) --------------------------------------------------------------


def test_framework_status_expires_frameworks_past_their_end_date(hydrants):
    hydrants.framework.end_date = TODAY - timedelta(days=1)
    counts = framework_status(db.session, TODAY)
    assert counts["expired"] == 1
    assert hydrants.framework.status == FrameworkStatus.EXPIRED


def test_cancellation_frees_room_and_framework_status_reopens_the_framework(hydrants):
    hydrants.framework.max_value = Decimal("37.00")
    hydrants.framework.estimated_value = Decimal("37.00")
    make_round(hydrants.lot, hydrants.member, hydrants.add_assets(2))  # 37.00: 100 %
    framework_status(db.session, TODAY)
    assert hydrants.framework.status == FrameworkStatus.EXHAUSTED
    assert db.session.scalar(select(FrameworkAlert).where(FrameworkAlert.threshold == 100))
    rounds()[0].tasks[0].status = "cancelled"
    db.session.flush()
    framework_status(db.session, TODAY)
    assert hydrants.framework.status == FrameworkStatus.ACTIVE


def test_framework_status_run_twice_changes_nothing_the_second_time(hydrants, mails):
    make_user("coordinator", org=hydrants.framework.lead_organisation)
    hydrants.framework.max_value = Decimal("40.00")
    hydrants.framework.estimated_value = Decimal("40.00")
    make_round(hydrants.lot, hydrants.member, hydrants.add_assets(2))  # 92.5 %
    first = run_job("framework-status", today=TODAY)
    sent = len(mails)
    second = run_job("framework-status", today=TODAY)
    assert first.counts["alerts"] == 2 and second.counts["alerts"] == 0
    assert len(mails) == sent  # nobody is warned twice


def test_the_audit_trail_names_which_provider_got_which_round(hydrants):
    from central.core.audit import AuditEvent

    first = unassigned_round(hydrants, 2, date(2026, 3, 20))
    second = unassigned_round(hydrants, 2, date(2026, 3, 27))
    assign_rounds(db.session, TODAY)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "rounds.assigned")
    ).one()
    assert event.data["assigned"] == {str(hydrants.provider.id): [first.id, second.id]}
    assert event.data["unassigned"] == []

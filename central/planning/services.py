"""Changes to planned work (SPEC rules 13 and 14): a provider moves its round within its week;
a coordinator of the lead authority, or the member, cancels open work, which frees the assets
for planning again.

Each service takes models, validated values and the acting user, checks its rule, writes an
audit event and flushes; the caller commits.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from central.accounts.models import Role
from central.assets.models import Need, NeedStatus
from central.core import audit, clock
from central.core.errors import N_, Conflict, Forbidden, ValidationError
from central.extensions import db
from central.fieldwork import notifications as fieldwork_notifications
from central.frameworks.reach import leads_framework
from central.planning import notifications
from central.planning.calendar import FIRST_DAY, LAST_DAY, LATE_WEEKS, ProviderCalendar
from central.planning.models import (
    CANCELLABLE_ROUNDS,
    Closure,
    Crew,
    Round,
    RoundStatus,
    Task,
    TaskStatus,
)
from central.planning.queries import monday

# Tasks whose work is done (rule 15 counts them towards a completed round).
CLOSED_TASK_STATUSES = (TaskStatus.DONE, TaskStatus.ACCEPTED)
MOVABLE_ROUNDS = (RoundStatus.ASSIGNED, RoundStatus.IN_PROGRESS, RoundStatus.OVERDUE)


def may_cancel(round_: Round, actor: Any) -> bool:
    """The member authority of the round, or a coordinator of the framework's lead authority."""
    role = getattr(actor, "role", None)
    if role in (Role.MEMBER, Role.COORDINATOR) and actor.organisation_id == round_.member_id:
        return True
    return leads_framework(actor, round_.framework_id)


def may_move(round_: Round, actor: Any) -> bool:
    """The round's provider (within its week) or a coordinator of the framework's lead authority
    (to any day from today, rule 15)."""
    if getattr(actor, "role", None) == Role.PROVIDER:
        return actor.organisation_id == round_.provider_id
    return leads_framework(actor, round_.framework_id)


def move_round(round_: Round, scheduled_date: Any, *, actor: Any) -> Round:
    """Rule 13: the provider moves its round to another day of the week it is scheduled in.
    Rule 15: the lead coordinator moves a round, overdue ones too, to any day from today on; its
    due date then moves with it when it was earlier, so that a moved round is not overdue."""
    if not may_move(round_, actor):
        raise Forbidden(N_("Only the provider of this round or the lead coordinator can move it."))
    if not isinstance(scheduled_date, date):
        raise ValidationError(
            N_("Give the new date."), fields={"scheduled_date": N_("Enter a date.")}
        )
    if round_.status not in MOVABLE_ROUNDS or round_.scheduled_date is None:
        raise Conflict(N_("Only a scheduled round with open work can be moved."))
    coordinator = actor.role == Role.COORDINATOR
    if coordinator and scheduled_date < clock.today():
        raise ValidationError(
            N_("A round cannot be moved into the past."),
            fields={"scheduled_date": N_("Choose today or a later day.")},
        )
    if not coordinator and monday(scheduled_date) != monday(round_.scheduled_date):
        raise ValidationError(
            N_("A round moves within its week; ask the coordinator for another week."),
            fields={"scheduled_date": N_("Choose a day of the same week.")},
        )
    previous, previous_due, previous_status = (
        round_.scheduled_date,
        round_.due_date,
        round_.status,
    )
    if scheduled_date == previous and not (coordinator and round_.status == RoundStatus.OVERDUE):
        return round_
    round_.scheduled_date = scheduled_date
    if coordinator and round_.due_date < scheduled_date:
        round_.due_date = scheduled_date
    if round_.status == RoundStatus.OVERDUE and round_.due_date >= clock.today():
        started = any(t.status not in (TaskStatus.OPEN, TaskStatus.CANCELLED) for t in round_.tasks)
        round_.status = RoundStatus.IN_PROGRESS if started else RoundStatus.ASSIGNED
    db.session.flush()
    audit.record(
        "round.moved",
        round_,
        actor=actor,
        previous=previous,
        scheduled=scheduled_date,
        previous_due=previous_due,
        due=round_.due_date,
        previous_status=previous_status,
        status=round_.status,
    )
    return round_


def _lock_round_and_tasks(round_: Round, tasks: list[Task]) -> list[Task]:
    """Reload the round, then the tasks, under row locks (PostgreSQL; SQLite serialises writers),
    in the order recording a result takes them, and keep only the tasks still open: a result a
    crew saved a moment ago is never overwritten by a cancellation."""
    db.session.refresh(round_, with_for_update=True)
    for task in sorted(tasks, key=lambda t: t.id):
        db.session.refresh(task, with_for_update=True)
    return [t for t in tasks if t.status == TaskStatus.OPEN]


def _cancel_tasks(round_: Round, tasks: list[Task], *, actor: Any) -> list[Task]:
    now = clock.business_now()
    for task in tasks:
        task.status = TaskStatus.CANCELLED
        task.cancelled_at = now
        if task.need_id is not None:
            need = db.session.get(Need, task.need_id)
            if need is not None and need.status == NeedStatus.PLANNED:
                need.status = NeedStatus.OPEN  # planned again, unless the member cancels it
    db.session.flush()
    remaining = [t for t in round_.tasks if t.status != TaskStatus.CANCELLED]
    if not remaining:
        round_.status = RoundStatus.CANCELLED
        round_.cancelled_at = now
    else:
        refresh_round_status(round_, actor=actor)
    db.session.flush()
    notifications.work_cancelled(round_, tasks)
    return tasks


def cancel_open_tasks_of_asset(asset_id: int, *, actor: Any) -> list[int]:
    """An asset is retired: its open tasks (rounds not yet finished) are cancelled, each round
    refreshed as for any cancellation (rule 14). Returns the cancelled task ids."""
    tasks = list(
        db.session.scalars(
            select(Task)
            .join(Round, Round.id == Task.round_id)
            .where(
                Task.asset_id == asset_id,
                Task.status == TaskStatus.OPEN,
                Round.status.in_(list(CANCELLABLE_ROUNDS)),
            )
            .order_by(Task.id)
        )
    )
    cancelled = []
    for task in tasks:
        round_ = task.round
        if not _lock_round_and_tasks(round_, [task]) or round_.status not in CANCELLABLE_ROUNDS:
            continue  # done (or its round closed) in the meantime: the work stays
        _cancel_tasks(round_, [task], actor=actor)
        audit.record("task.cancelled", task, actor=actor, round_id=task.round_id, reason="retired")
        cancelled.append(task.id)
    return cancelled


def cancel_round(round_: Round, *, actor: Any) -> Round:
    """Rule 14: cancel every open task of a round; the round is cancelled when nothing else is
    left (done work stays and is billed). Open work only: 409 otherwise."""
    if not may_cancel(round_, actor):
        raise Forbidden(N_("Only the member authority or the lead coordinator can cancel."))
    open_tasks = _lock_round_and_tasks(round_, list(round_.tasks))
    if round_.status not in CANCELLABLE_ROUNDS or not open_tasks:
        raise Conflict(N_("This round has no open work to cancel."))
    _cancel_tasks(round_, open_tasks, actor=actor)
    audit.record(
        "round.cancelled",
        round_,
        actor=actor,
        tasks=[t.id for t in open_tasks],
        status=round_.status,
    )
    return round_


def cancel_task(task: Task, *, actor: Any) -> Task:
    """Rule 14: cancel one open task; its asset may be planned again."""
    round_ = task.round
    if not may_cancel(round_, actor):
        raise Forbidden(N_("Only the member authority or the lead coordinator can cancel."))
    if not _lock_round_and_tasks(round_, [task]) or round_.status not in CANCELLABLE_ROUNDS:
        raise Conflict(N_("Only an open task can be cancelled."))
    _cancel_tasks(round_, [task], actor=actor)
    audit.record("task.cancelled", task, actor=actor, round_id=round_.id)
    return task


# --- crews and closures (§7.5) -----------------------------------------------------------------

RESCHEDULED_ROUNDS = (RoundStatus.ASSIGNED, RoundStatus.OVERDUE)  # not started yet


def may_plan_crews(provider: Any, actor: Any) -> bool:
    """The provider's own users and the admin keep its crews and closures."""
    role = getattr(actor, "role", None)
    if role == Role.ADMIN:
        return True
    return role == Role.PROVIDER and actor.organisation_id == provider.id


def _require_crew_planner(provider: Any, actor: Any) -> None:
    if not may_plan_crews(provider, actor):
        raise Forbidden(N_("Only the provider itself keeps its crews and closures."))


def _clean_crew(values: dict[str, Any], current: Crew | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    if "name" in values or current is None:
        name = (values.get("name") or "").strip()
        if not name:
            errors["name"] = N_("Enter the crew's name.")
        elif len(name) > 100:
            errors["name"] = N_("At most 100 characters.")
        cleaned["name"] = name
    if "days_per_week" in values or current is None:
        days = values.get("days_per_week", 5)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 7:
            errors["days_per_week"] = N_("Between 1 and 7 days a week.")
        cleaned["days_per_week"] = days
    if errors:
        raise ValidationError(N_("Check the crew."), fields=errors)
    return cleaned


def _unique_crew_name(provider_id: int, name: str, current: Crew | None) -> None:
    stmt = select(Crew.id).where(Crew.provider_id == provider_id, Crew.name == name)
    if current is not None:
        stmt = stmt.where(Crew.id != current.id)
    if db.session.scalar(stmt) is not None:
        raise Conflict(
            N_("This provider already has a crew with this name."),
            fields={"name": N_("Another crew of this provider has this name.")},
        )


def create_crew(provider: Any, values: dict[str, Any], *, actor: Any) -> Crew:
    """§7.5: a provider's crew does one round a day on `days_per_week` days (1 to 7)."""
    _require_crew_planner(provider, actor)
    cleaned = _clean_crew(values, None)
    _unique_crew_name(provider.id, cleaned["name"], None)
    crew = Crew(provider_id=provider.id, **cleaned)
    db.session.add(crew)
    db.session.flush()
    audit.record("crew.created", crew, actor=actor, provider_id=provider.id, **cleaned)
    return crew


def update_crew(crew: Crew, provider: Any, values: dict[str, Any], *, actor: Any) -> Crew:
    """Rename a crew or change its days a week; rounds already given stay where they are."""
    _require_crew_planner(provider, actor)
    cleaned = _clean_crew(values, crew)
    if "name" in cleaned:
        _unique_crew_name(provider.id, cleaned["name"], crew)
    changed = sorted(k for k, v in cleaned.items() if getattr(crew, k) != v)
    for key in changed:
        setattr(crew, key, cleaned[key])
    db.session.flush()
    if changed:
        audit.record("crew.updated", crew, actor=actor, fields=changed)
    return crew


def create_closure(provider: Any, values: dict[str, Any], *, actor: Any) -> Closure:
    """§7.5: days the provider (or one crew) does not work. Rounds already scheduled on them
    that the provider can no longer do move to its next open day with room (from today on);
    the provider and the members are told."""
    _require_crew_planner(provider, actor)
    errors: dict[str, str] = {}
    start, end = values.get("start_date"), values.get("end_date")
    if not isinstance(start, date):
        errors["from"] = N_("Enter a date.")
    if not isinstance(end, date):
        errors["until"] = N_("Enter a date.")
    for name, day in (("from", start), ("until", end)):
        if name not in errors and not FIRST_DAY <= day <= LAST_DAY:
            errors[name] = N_("A day from 2000 to 2099.")
    if not errors and end < start:
        errors["until"] = N_("On or after the first day.")
    reason = (values.get("reason") or "").strip()
    if not reason:
        errors["reason"] = N_("Say why (holiday, training, a sick crew).")
    elif len(reason) > 200:
        errors["reason"] = N_("At most 200 characters.")
    crew_id = values.get("crew_id")
    if crew_id is not None:
        valid = isinstance(crew_id, int) and 0 < crew_id < 2**31  # 32-bit ids everywhere
        crew = db.session.get(Crew, crew_id) if valid else None
        if crew is None or crew.provider_id != provider.id:
            errors["crew_id"] = N_("Not a crew of this provider.")
    if errors:
        raise ValidationError(N_("Check the closure."), fields=errors)
    closure = Closure(
        provider_id=provider.id, crew_id=crew_id, start_date=start, end_date=end, reason=reason
    )
    db.session.add(closure)
    db.session.flush()
    moved = reschedule_closed_days(provider.id, start, end)
    audit.record(
        "closure.created",
        closure,
        actor=actor,
        provider_id=provider.id,
        crew_id=crew_id,
        start=start,
        end=end,
        reason=reason,
        moved={str(rid): day for rid, (_old, day) in moved.items()},
    )
    return closure


def reschedule_closed_days(provider_id: int, start: date, end: date) -> dict[int, tuple]:
    """Rounds of the provider scheduled from `start` to `end` (not before today) that its open
    crews can no longer do that day move to its next open working day with room; a provider
    without crews keeps rounds on any open day. A moved round due earlier is due that day (as
    when the coordinator moves it). Returns {round id: (old day, new day)}."""
    today = clock.today()
    first = max(start, today)
    if first > end:
        return {}
    calendar = ProviderCalendar.load(db.session, [provider_id], monday(first))
    crews = calendar.has_crews(provider_id)
    horizon = end + timedelta(weeks=LATE_WEEKS + 1)
    scheduled = list(
        db.session.scalars(
            select(Round)
            .where(
                Round.provider_id == provider_id,
                Round.scheduled_date >= monday(first),
                Round.scheduled_date <= horizon,
                Round.status != RoundStatus.CANCELLED,
            )
            .order_by(Round.scheduled_date, Round.due_date, Round.id)
        )
    )
    affected = [
        r for r in scheduled if first <= r.scheduled_date <= end and r.status in RESCHEDULED_ROUNDS
    ]
    affected_ids = {r.id for r in affected}
    per_day: dict[date, int] = {}
    per_week: dict[date, int] = {}

    def count(day: date) -> None:
        per_day[day] = per_day.get(day, 0) + 1
        per_week[monday(day)] = per_week.get(monday(day), 0) + 1

    for round_ in scheduled:
        if round_.id not in affected_ids:
            count(round_.scheduled_date)

    def fits(day: date) -> bool:
        if not calendar.is_open(provider_id, day):
            return False
        if not crews:
            return True
        return per_day.get(day, 0) < calendar.crews_open(provider_id, day) and per_week.get(
            monday(day), 0
        ) < calendar.week_capacity(provider_id, monday(day))

    # Rounds a crew still does on their day stay (earliest due first); the others move.
    to_move = []
    for round_ in affected:
        if fits(round_.scheduled_date):
            count(round_.scheduled_date)
        else:
            to_move.append(round_)
    moved: dict[int, tuple] = {}
    for round_ in to_move:
        day = round_.scheduled_date
        new_day = first
        while new_day <= horizon and not fits(new_day):
            new_day += timedelta(days=1)
        if new_day > horizon:
            new_day = end + timedelta(days=1)
            while not calendar.is_open(provider_id, new_day):
                new_day += timedelta(days=1)
        count(new_day)
        moved[round_.id] = (day, new_day)
        round_.scheduled_date = new_day
        if round_.due_date < new_day:
            round_.due_date = new_day
        if round_.status == RoundStatus.OVERDUE and round_.due_date >= today:
            round_.status = RoundStatus.ASSIGNED
    if moved:
        db.session.flush()
        notifications.rounds_moved_for_closure(
            provider_id, [r for r in scheduled if r.id in moved], moved
        )
    return moved


def refresh_round_status(round_: Round, *, actor: Any = None) -> None:
    """Rule 15: a round is completed when every task is done or closed (cancelled tasks do not
    count), in progress once work is recorded; a contest takes a completed round back into
    progress. Overdue rounds stay overdue until they are completed."""
    if round_.status in (RoundStatus.PLANNED, RoundStatus.ACCEPTED, RoundStatus.CANCELLED):
        return
    db.session.flush()
    statuses = list(
        db.session.scalars(
            select(Task.status).where(
                Task.round_id == round_.id, Task.status != TaskStatus.CANCELLED
            )
        )
    )
    if not statuses:
        return
    if all(status in CLOSED_TASK_STATUSES for status in statuses):
        if round_.status != RoundStatus.COMPLETED:
            round_.status = RoundStatus.COMPLETED
            round_.completed_at = clock.business_now()
            audit.record("round.completed", round_, actor=actor)
            fieldwork_notifications.round_completed(round_)
        return
    if round_.status == RoundStatus.COMPLETED:
        round_.status = RoundStatus.IN_PROGRESS
        round_.completed_at = None
        audit.record("round.reopened", round_, actor=actor)
    elif round_.status == RoundStatus.ASSIGNED and any(
        status != TaskStatus.OPEN for status in statuses
    ):
        round_.status = RoundStatus.IN_PROGRESS
        audit.record("round.started", round_, actor=actor)

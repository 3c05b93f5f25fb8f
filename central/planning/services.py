"""Changes to planned work (SPEC rules 13 and 14): a provider moves its round within its week;
a coordinator of the lead authority, or the member, cancels open work, which frees the assets
for planning again.

Each service takes models, validated values and the acting user, checks its rule, writes an
audit event and flushes; the caller commits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from central.assets.models import Need, NeedStatus
from central.core import audit, clock
from central.core.errors import N_, Conflict, Forbidden, ValidationError
from central.core.permissions import leads_framework
from central.extensions import db
from central.planning import notifications
from central.planning.models import Round, RoundStatus, Task, TaskStatus
from central.planning.queries import monday

MOVABLE_ROUNDS = (RoundStatus.ASSIGNED, RoundStatus.IN_PROGRESS, RoundStatus.OVERDUE)
CANCELLABLE_ROUNDS = (
    RoundStatus.PLANNED,
    RoundStatus.ASSIGNED,
    RoundStatus.IN_PROGRESS,
    RoundStatus.OVERDUE,
)


def _now():
    from central.planning.jobs import business_now

    return business_now(clock.today())


def may_cancel(round_: Round, actor: Any) -> bool:
    """The member authority of the round, or a coordinator of the framework's lead authority."""
    role = getattr(actor, "role", None)
    if role in ("member", "coordinator") and actor.organisation_id == round_.member_id:
        return True
    return leads_framework(actor, round_.framework_id)


def may_move(round_: Round, actor: Any) -> bool:
    """The round's provider (within its week) or a coordinator of the framework's lead authority
    (to any day from today, rule 15)."""
    if getattr(actor, "role", None) == "provider":
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
    coordinator = actor.role == "coordinator"
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
    now = _now()
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
        from central.fieldwork.services import refresh_round_status

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

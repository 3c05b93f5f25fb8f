"""API: rounds in reach (tasks in route order), a provider moving its round within its week, and
cancelling open work (the member or the lead coordinator). Outside reach answers 404; a visible
round whose action is not the user's answers 403."""

from __future__ import annotations

from datetime import date

from flask import request
from flask_login import current_user

from central.core.api import endpoint
from central.core.errors import N_, ValidationError
from central.core.permissions import get_visible, visible_rounds, visible_tasks
from central.extensions import db
from central.planning import services
from central.planning.models import Round, RoundStatus, Task
from central.planning.schemas import (
    MoveRoundSchema,
    RoundDetailSchema,
    RoundSchema,
    RoundTaskSchema,
)

TAG = "rounds"
INTEGER_FILTERS = ("framework_id", "lot_id", "member_id", "provider_id")
LIST_QUERY = [
    *({"name": name, "in": "query", "schema": {"type": "integer"}} for name in INTEGER_FILTERS),
    {
        "name": "status",
        "in": "query",
        "schema": {"type": "string", "enum": [s.value for s in RoundStatus]},
    },
    {"name": "scheduled_from", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "scheduled_to", "in": "query", "schema": {"type": "string", "format": "date"}},
]


def _round(round_id: int) -> Round:
    return get_visible(visible_rounds(current_user), Round, round_id)


def filtered_rounds(user, args):
    """Rounds in the user's reach, filtered by the query string (400 on a bad filter)."""
    stmt = visible_rounds(user)
    errors = {}
    for name in INTEGER_FILTERS:
        raw = args.get(name)
        if raw:
            if not raw.isdigit():
                errors[name] = N_("Not a number.")
            else:
                stmt = stmt.where(getattr(Round, name) == int(raw))
    status = args.get("status")
    if status:
        if status not in {s.value for s in RoundStatus}:
            errors["status"] = N_("Not a round status.")
        else:
            stmt = stmt.where(Round.status == status)
    for name, compare in (("scheduled_from", "__ge__"), ("scheduled_to", "__le__")):
        raw = args.get(name)
        if raw:
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                errors[name] = N_("Use YYYY-MM-DD.")
            else:
                stmt = stmt.where(getattr(Round.scheduled_date, compare)(day))
    if errors:
        raise ValidationError(N_("The filters are not valid."), fields=errors)
    return stmt.order_by(Round.due_date, Round.id)


@endpoint(
    "/rounds",
    summary="List the rounds in reach, by due date",
    tag=TAG,
    response=RoundSchema,
    many=True,
    query=LIST_QUERY,
)
def list_rounds():
    return filtered_rounds(current_user, request.args)


@endpoint(
    "/rounds/<int:round_id>",
    summary="Read a round with its tasks in route order",
    tag=TAG,
    response=RoundDetailSchema,
)
def get_round(round_id: int):
    return _round(round_id)


@endpoint(
    "/rounds/<int:round_id>",
    "PATCH",
    summary="Move a round: its provider within its week; the lead coordinator to any day from "
    "today, overdue rounds too (their due date moves along)",
    tag=TAG,
    body=MoveRoundSchema,
    response=RoundDetailSchema,
)
def move_round(round_id: int, data):
    round_ = _round(round_id)
    services.move_round(round_, data["scheduled_date"], actor=current_user)
    db.session.commit()
    return round_


@endpoint(
    "/rounds/<int:round_id>/cancel",
    "POST",
    summary="Cancel a round's open work (member or lead coordinator)",
    tag=TAG,
    response=RoundDetailSchema,
)
def cancel_round(round_id: int):
    round_ = _round(round_id)
    services.cancel_round(round_, actor=current_user)
    db.session.commit()
    return round_


@endpoint(
    "/tasks/<int:task_id>/cancel",
    "POST",
    summary="Cancel an open task (member or lead coordinator)",
    tag=TAG,
    response=RoundTaskSchema,
)
def cancel_task(task_id: int):
    task = get_visible(visible_tasks(current_user), Task, task_id)
    services.cancel_task(task, actor=current_user)
    db.session.commit()
    from central.planning.queries import stops

    return next(stop for stop in stops(task.round) if stop.id == task.id)

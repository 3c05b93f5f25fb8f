"""API: rounds in reach (tasks in route order), a provider moving its round within its week, and
cancelling open work (the member or the lead coordinator). Outside reach answers 404; a visible
round whose action is not the user's answers 403."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy import select

from central.core.api import endpoint
from central.core.errors import N_, NotFound
from central.core.permissions import get_visible
from central.extensions import db
from central.organisations.models import Organisation, OrganisationKind
from central.organisations.reach import visible_organisations
from central.planning import queries, services
from central.planning.models import Closure, Crew, Round, RoundStatus, Task
from central.planning.reach import visible_rounds, visible_tasks
from central.planning.schemas import (
    ClosureSchema,
    CrewSchema,
    MoveRoundSchema,
    RoundDetailSchema,
    RoundSchema,
    RoundTaskSchema,
)

TAG = "rounds"
LIST_QUERY = [
    *(
        {"name": name, "in": "query", "schema": {"type": "integer"}}
        for name in queries.INTEGER_FILTERS
    ),
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


@endpoint(
    "/rounds",
    summary="List the rounds in reach, by due date",
    tag=TAG,
    response=RoundSchema,
    many=True,
    query=LIST_QUERY,
)
def list_rounds():
    return queries.filtered_rounds(current_user, request.args)


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


# --- crews and closures (§7.5) -----------------------------------------------------------------

CREWS_TAG = "crews"


def _provider(provider_id: int) -> Organisation:
    """A provider in the reader's reach (its own users, the admin, coordinators of frameworks
    that award it), or 404."""
    provider = get_visible(visible_organisations(current_user), Organisation, provider_id)
    if provider.kind != OrganisationKind.PROVIDER:
        raise NotFound(N_("Not found."))
    return provider


@endpoint(
    "/providers/<int:provider_id>/crews",
    summary="List a provider's crews",
    tag=CREWS_TAG,
    response=CrewSchema,
    many=True,
)
def list_crews(provider_id: int):
    provider = _provider(provider_id)
    return select(Crew).where(Crew.provider_id == provider.id).order_by(Crew.name, Crew.id)


@endpoint(
    "/providers/<int:provider_id>/crews",
    "POST",
    summary="Add a crew (the provider or the admin): one round a day on its days a week",
    tag=CREWS_TAG,
    body=CrewSchema,
    response=CrewSchema,
    status=201,
)
def create_crew(provider_id: int, data):
    provider = _provider(provider_id)
    crew = services.create_crew(provider, data, actor=current_user)
    db.session.commit()
    return crew


@endpoint(
    "/providers/<int:provider_id>/crews/<int:crew_id>",
    "PATCH",
    summary="Change a crew's name or days a week (the provider or the admin)",
    tag=CREWS_TAG,
    body=CrewSchema,
    partial=True,
    response=CrewSchema,
)
def update_crew(provider_id: int, crew_id: int, data):
    provider = _provider(provider_id)
    crew = get_visible(select(Crew).where(Crew.provider_id == provider.id), Crew, crew_id)
    services.update_crew(crew, provider, data, actor=current_user)
    db.session.commit()
    return crew


@endpoint(
    "/providers/<int:provider_id>/closures",
    summary="List a provider's closures (whole provider or one crew), latest first",
    tag=CREWS_TAG,
    response=ClosureSchema,
    many=True,
)
def list_closures(provider_id: int):
    provider = _provider(provider_id)
    return (
        select(Closure)
        .where(Closure.provider_id == provider.id)
        .order_by(Closure.start_date.desc(), Closure.id.desc())
    )


@endpoint(
    "/providers/<int:provider_id>/closures",
    "POST",
    summary="Close days (the provider or the admin); scheduled rounds on them move to the next "
    "open day and the provider and members are told",
    tag=CREWS_TAG,
    body=ClosureSchema,
    response=ClosureSchema,
    status=201,
)
def create_closure(provider_id: int, data):
    provider = _provider(provider_id)
    closure = services.create_closure(provider, data, actor=current_user)
    db.session.commit()
    return closure

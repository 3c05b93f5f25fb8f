"""API: rounds in reach (tasks in route order), a provider moving its round within its week, and
cancelling open work (the member or the lead coordinator). Outside reach answers 404; a visible
round whose action is not the user's answers 403."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from central.core.api import api
from central.core.errors import N_, NotFound
from central.core.permissions import get_visible, get_visible_for
from central.extensions import db
from central.organisations.models import Organisation, OrganisationKind
from central.planning import queries, services
from central.planning.models import Closure, Crew, Round, Task
from central.planning.schemas import (
    ClosureSchema,
    CrewSchema,
    MoveRoundSchema,
    RoundDetailSchema,
    RoundFilterSchema,
    RoundSchema,
    RoundTaskSchema,
)

TAG = "rounds"


@api.route("/rounds", tags=[TAG])
@api.arguments(RoundFilterSchema, location="query")
@api.response(200, RoundSchema(many=True))
@api.paginate()
def list_rounds(filters):
    """List the rounds in reach, by due date"""
    return queries.rounds_matching(current_user, filters)


@api.route("/rounds/<int:round_id>", tags=[TAG])
@api.response(200, RoundDetailSchema)
def get_round(round_id: int):
    """Read a round with its tasks in route order"""
    return get_visible_for(current_user, Round, round_id)


@api.route("/rounds/<int:round_id>", methods=["PATCH"], tags=[TAG])
@api.doc(
    summary="Move a round: its provider within its week; the lead coordinator to any day from "
    "today, overdue rounds too (their due date moves along)"
)
@api.arguments(MoveRoundSchema)
@api.response(200, RoundDetailSchema)
def move_round(data, round_id: int):
    round_ = get_visible_for(current_user, Round, round_id)
    services.move_round(round_, data["scheduled_date"], actor=current_user)
    db.session.commit()
    return round_


@api.route("/rounds/<int:round_id>/cancel", methods=["POST"], tags=[TAG])
@api.response(200, RoundDetailSchema)
def cancel_round(round_id: int):
    """Cancel a round's open work (member or lead coordinator)"""
    round_ = get_visible_for(current_user, Round, round_id)
    services.cancel_round(round_, actor=current_user)
    db.session.commit()
    return round_


@api.route("/tasks/<int:task_id>/cancel", methods=["POST"], tags=[TAG])
@api.response(200, RoundTaskSchema)
def cancel_task(task_id: int):
    """Cancel an open task (member or lead coordinator)"""
    task = get_visible_for(current_user, Task, task_id)
    services.cancel_task(task, actor=current_user)
    db.session.commit()
    from central.planning.queries import stops

    return next(stop for stop in stops(task.round) if stop.id == task.id)


# --- crews and closures (§7.5) -----------------------------------------------------------------

CREWS_TAG = "crews"


def _provider(provider_id: int) -> Organisation:
    """A provider in the reader's reach (its own users, the admin, coordinators of frameworks
    that award it), or 404."""
    provider = get_visible_for(current_user, Organisation, provider_id)
    if provider.kind != OrganisationKind.PROVIDER:
        raise NotFound(N_("Not found."))
    return provider


@api.route("/providers/<int:provider_id>/crews", tags=[CREWS_TAG])
@api.response(200, CrewSchema(many=True))
@api.paginate()
def list_crews(provider_id: int):
    """List a provider's crews"""
    provider = _provider(provider_id)
    return select(Crew).where(Crew.provider_id == provider.id).order_by(Crew.name, Crew.id)


@api.route("/providers/<int:provider_id>/crews", methods=["POST"], tags=[CREWS_TAG])
@api.arguments(CrewSchema)
@api.response(201, CrewSchema)
def create_crew(data, provider_id: int):
    """Add a crew (the provider or the admin): one round a day on its days a week"""
    provider = _provider(provider_id)
    crew = services.create_crew(provider, data, actor=current_user)
    db.session.commit()
    return crew


@api.route("/providers/<int:provider_id>/crews/<int:crew_id>", methods=["PATCH"], tags=[CREWS_TAG])
@api.arguments(CrewSchema(partial=True))
@api.response(200, CrewSchema)
def update_crew(data, provider_id: int, crew_id: int):
    """Change a crew's name or days a week (the provider or the admin)"""
    provider = _provider(provider_id)
    crew = get_visible(select(Crew).where(Crew.provider_id == provider.id), Crew, crew_id)
    services.update_crew(crew, provider, data, actor=current_user)
    db.session.commit()
    return crew


@api.route("/providers/<int:provider_id>/closures", tags=[CREWS_TAG])
@api.response(200, ClosureSchema(many=True))
@api.paginate()
def list_closures(provider_id: int):
    """List a provider's closures (whole provider or one crew), latest first"""
    provider = _provider(provider_id)
    return (
        select(Closure)
        .where(Closure.provider_id == provider.id)
        .order_by(Closure.start_date.desc(), Closure.id.desc())
    )


@api.route("/providers/<int:provider_id>/closures", methods=["POST"], tags=[CREWS_TAG])
@api.doc(
    summary="Close days (the provider or the admin); scheduled rounds on them move to the next "
    "open day and the provider and members are told"
)
@api.arguments(ClosureSchema)
@api.response(201, ClosureSchema)
def create_closure(data, provider_id: int):
    provider = _provider(provider_id)
    closure = services.create_closure(provider, data, actor=current_user)
    db.session.commit()
    return closure

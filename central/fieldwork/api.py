"""API: task results and photos, labour (providers, on their own rounds); contests and acceptance
(members, on their own rounds); task details and photos for everyone in reach. Outside reach
answers 404; a visible task or round whose action is not the user's answers 403. Results,
labour and photos honour an Idempotency-Key."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from central.core.api import endpoint
from central.core.errors import N_, NotFound
from central.core.permissions import get_visible
from central.extensions import db
from central.fieldwork import idempotency, photos, services
from central.fieldwork.models import LabourDay, LabourEntry, TaskPhoto
from central.fieldwork.schemas import (
    AcceptedRoundSchema,
    ContestSchema,
    FieldTaskSchema,
    LabourSchema,
    PhotoSchema,
    TaskResultSchema,
)
from central.planning.models import Round, Task
from central.planning.reach import labour_rounds, sees_round_labour, visible_rounds, visible_tasks

TAG = "fieldwork"
IDEMPOTENCY_HEADER = [
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "maxLength": idempotency.MAX_KEY_LENGTH},
        "description": "Same key and body: stored once, the first answer replayed; "
        "another body: 422.",
    }
]


def _task(task_id: int) -> Task:
    return get_visible(visible_tasks(current_user), Task, task_id)


def _round(round_id: int) -> Round:
    return get_visible(visible_rounds(current_user), Round, round_id)


@endpoint(
    "/tasks/<int:task_id>",
    summary="Read a task with its result, checklist answers, contest and photos",
    tag=TAG,
    response=FieldTaskSchema,
)
def get_task(task_id: int):
    return _task(task_id)


@endpoint(
    "/tasks/<int:task_id>/result",
    "POST",
    summary="Record or correct a task's result (provider, until the member accepts)",
    tag=TAG,
    body=TaskResultSchema,
    response=FieldTaskSchema,
    query=IDEMPOTENCY_HEADER,
)
def record_result(task_id: int, data):
    task = _task(task_id)

    def write():
        return services.record_result(task, data, actor=current_user), 200

    return idempotency.respond(current_user, write, FieldTaskSchema)


@endpoint(
    "/tasks/<int:task_id>/photos",
    "POST",
    summary="Add a photo to a task (provider; an image of at most 10 MB)",
    tag=TAG,
    response=PhotoSchema,
    status=201,
    multipart=True,
    query=IDEMPOTENCY_HEADER,
)
def add_photo(task_id: int):
    task = _task(task_id)
    data = photos.read_upload()

    def write():
        return photos.add_photo(task, data, actor=current_user), 201

    return idempotency.respond(current_user, write, PhotoSchema, fingerprint_extra=data)


@endpoint(
    "/tasks/<int:task_id>/photos/<int:photo_id>",
    summary="A task's photo (JPEG), for those who may see the task",
    tag=TAG,
    produces=("image/jpeg",),
)
def get_photo(task_id: int, photo_id: int):
    task = _task(task_id)
    photo = db.session.scalar(
        select(TaskPhoto).where(TaskPhoto.id == photo_id, TaskPhoto.task_id == task.id)
    )
    if photo is None:
        raise NotFound(N_("Not found."))
    return photos.photo_response(photo)


@endpoint(
    "/tasks/<int:task_id>/contest",
    "POST",
    summary="Contest a done task with a reason (member); the provider redoes it",
    tag=TAG,
    body=ContestSchema,
    response=FieldTaskSchema,
)
def contest_task(task_id: int, data):
    task = _task(task_id)
    services.contest_task(task, data["reason"], actor=current_user)
    db.session.commit()
    return task


@endpoint(
    "/rounds/<int:round_id>/accept",
    "POST",
    summary="Accept a completed round (member): every done task becomes accepted",
    tag=TAG,
    response=AcceptedRoundSchema,
)
def accept_round(round_id: int):
    round_ = _round(round_id)
    services.accept_round(round_, actor=current_user)
    db.session.commit()
    return round_


@endpoint(
    "/rounds/<int:round_id>/labour",
    "POST",
    summary="Log a round's labour for a work date (provider); the same date again replaces",
    tag=TAG,
    body=LabourSchema,
    response=LabourSchema,
    status=201,
    also=(200,),  # the work date had labour already: replaced
    query=IDEMPOTENCY_HEADER,
)
def record_labour(round_id: int, data):
    # A subcontractor's crew logs its own day on the rounds it works on (SPEC 7.1, 7.3).
    round_ = get_visible(labour_rounds(current_user), Round, round_id)

    def write():
        entry, created = services.record_labour(round_, data, actor=current_user)
        return entry, 201 if created else 200

    return idempotency.respond(current_user, write, LabourSchema)


@endpoint(
    "/rounds/<int:round_id>/labour",
    summary="A round's labour per work date",
    tag=TAG,
    response=LabourSchema,
    many=True,
)
def list_labour(round_id: int):
    round_ = get_visible(labour_rounds(current_user), Round, round_id)
    stmt = select(LabourEntry).where(LabourEntry.round_id == round_.id)
    if not sees_round_labour(current_user, round_):
        # A subcontractor reads only its own labour on the main contractor's round.
        stmt = stmt.join(LabourDay, LabourDay.id == LabourEntry.labour_day_id).where(
            LabourDay.provider_id == current_user.organisation_id
        )
    return stmt.order_by(LabourEntry.work_date, LabourEntry.id)

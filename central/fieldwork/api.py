"""API: task results and photos, labour (providers, on their own rounds); contests and acceptance
(members, on their own rounds); task details and photos for everyone in reach. Outside reach
answers 404; a visible task or round whose action is not the user's answers 403. Results,
labour and photos honour an Idempotency-Key."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from central.core.api import UPLOAD_BODY, answers, api
from central.core.errors import N_, NotFound
from central.core.permissions import get_visible, get_visible_for
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
from central.planning.reach import labour_rounds, sees_round_labour

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


@api.route("/tasks/<int:task_id>", tags=[TAG])
@api.response(200, FieldTaskSchema)
def get_task(task_id: int):
    """Read a task with its result, checklist answers, contest and photos"""
    return get_visible_for(current_user, Task, task_id)


@api.route("/tasks/<int:task_id>/result", methods=["POST"], tags=[TAG])
@api.doc(parameters=IDEMPOTENCY_HEADER)
@api.arguments(TaskResultSchema)
@api.response(200, FieldTaskSchema)
def record_result(data, task_id: int):
    """Record or correct a task's result (provider, until the member accepts)"""
    task = get_visible_for(current_user, Task, task_id)

    def write():
        return services.record_result(task, data, actor=current_user), 200

    return idempotency.respond(current_user, write, FieldTaskSchema)


@api.route("/tasks/<int:task_id>/photos", methods=["POST"], tags=[TAG])
@api.doc(requestBody=UPLOAD_BODY)
@api.doc(parameters=IDEMPOTENCY_HEADER)
@api.response(201, PhotoSchema)
def add_photo(task_id: int):
    """Add a photo to a task (provider; an image of at most 10 MB)"""
    task = get_visible_for(current_user, Task, task_id)
    data = photos.read_upload()

    def write():
        return photos.add_photo(task, data, actor=current_user), 201

    return idempotency.respond(current_user, write, PhotoSchema, fingerprint_extra=data)


@api.route("/tasks/<int:task_id>/photos/<int:photo_id>", tags=[TAG])
@api.response(200)
@api.doc(responses=answers(200, "image/jpeg"))
def get_photo(task_id: int, photo_id: int):
    """A task's photo (JPEG), for those who may see the task"""
    task = get_visible_for(current_user, Task, task_id)
    photo = db.session.scalar(
        select(TaskPhoto).where(TaskPhoto.id == photo_id, TaskPhoto.task_id == task.id)
    )
    if photo is None:
        raise NotFound(N_("Not found."))
    return photos.photo_response(photo)


@api.route("/tasks/<int:task_id>/contest", methods=["POST"], tags=[TAG])
@api.arguments(ContestSchema)
@api.response(200, FieldTaskSchema)
def contest_task(data, task_id: int):
    """Contest a done task with a reason (member); the provider redoes it"""
    task = get_visible_for(current_user, Task, task_id)
    services.contest_task(task, data["reason"], actor=current_user)
    db.session.commit()
    return task


@api.route("/rounds/<int:round_id>/accept", methods=["POST"], tags=[TAG])
@api.response(200, AcceptedRoundSchema)
def accept_round(round_id: int):
    """Accept a completed round (member): every done task becomes accepted"""
    round_ = get_visible_for(current_user, Round, round_id)
    services.accept_round(round_, actor=current_user)
    db.session.commit()
    return round_


@api.route("/rounds/<int:round_id>/labour", methods=["POST"], tags=[TAG])
@api.doc(parameters=IDEMPOTENCY_HEADER)
@api.arguments(LabourSchema)
@api.response(201, LabourSchema)
@api.alt_response(200, schema=LabourSchema, success=True)
def record_labour(data, round_id: int):
    """Log a round's labour for a work date (provider); the same date again replaces"""
    # A subcontractor's crew logs its own day on the rounds it works on (SPEC 7.1, 7.3).
    round_ = get_visible(labour_rounds(current_user), Round, round_id)

    def write():
        entry, created = services.record_labour(round_, data, actor=current_user)
        return entry, 201 if created else 200

    return idempotency.respond(current_user, write, LabourSchema)


@api.route("/rounds/<int:round_id>/labour", tags=[TAG])
@api.response(200, LabourSchema(many=True))
@api.paginate()
def list_labour(round_id: int):
    """A round's labour per work date"""
    round_ = get_visible(labour_rounds(current_user), Round, round_id)
    stmt = select(LabourEntry).where(LabourEntry.round_id == round_.id)
    if not sees_round_labour(current_user, round_):
        # A subcontractor reads only its own labour on the main contractor's round.
        stmt = stmt.join(LabourDay, LabourDay.id == LabourEntry.labour_day_id).where(
            LabourDay.provider_id == current_user.organisation_id
        )
    return stmt.order_by(LabourEntry.work_date, LabourEntry.id)

"""Pages of field work. Providers, on a phone: "my rounds", a round in route order with its map,
the result form per task (checklist, note, photo) and labour. Members: rounds to accept, the
results with photos, accepting a round (after a confirmation) and contesting a task. The
coordinator: progress, defects and contests per framework, and the photo settings."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from central.accounts.forms import ConfirmForm
from central.accounts.models import Role
from central.core.clock import today
from central.core.errors import DomainError, ValidationError
from central.core.forms import form_error, rule_errors
from central.core.permissions import get_visible, get_visible_for, require_role
from central.extensions import db
from central.fieldwork import photos, queries, services
from central.fieldwork.forms import (
    CHECK_PREFIX,
    ContestForm,
    LabourForm,
    PhotoForm,
    SettingsForm,
    result_form_for,
)
from central.fieldwork.models import LabourDay, LabourEntry, TaskPhoto
from central.frameworks.models import Framework, TaskType
from central.labels import (
    RESULT_LABELS,
    field_round_status_label,
    field_task_status_label,
    need_status_label,
)
from central.planning.models import Round, RoundStatus, Task, TaskStatus
from central.planning.reach import (
    is_round_provider,
    labour_rounds,
    subcontracted_tasks,
    works_on_round,
    works_on_task,
)

bp = Blueprint("fieldwork", __name__, url_prefix="/field")


@bp.context_processor
def labels() -> dict[str, Any]:
    """The field's own words for statuses (a crew's "To do", "Late")."""
    return {
        "round_status_label": field_round_status_label,
        "task_status_label": field_task_status_label,
        "need_status_label": need_status_label,
    }


def fieldwork_summary() -> dict[str, int]:
    """Counts for the home page: a provider's rounds today, late and this week; a member's
    rounds to accept."""
    if current_user.role == Role.PROVIDER:
        day = queries.provider_rounds(current_user.organisation_id, today())
        return {
            "today": len(day.today),
            "late": len(day.late),
            "this_week": len(day.this_week),
        }
    if current_user.role in (Role.MEMBER, Role.COORDINATOR):
        return {"to_accept": queries.rounds_to_accept(current_user.organisation_id)}
    return {}


@bp.app_context_processor
def home_helpers() -> dict[str, Any]:
    return {"fieldwork_summary": fieldwork_summary}


def _is_crew(round_: Round) -> bool:
    return current_user.role == Role.PROVIDER and current_user.organisation_id == round_.provider_id


def _is_member(round_: Round) -> bool:
    return (
        current_user.role in (Role.MEMBER, Role.COORDINATOR)
        and current_user.organisation_id == round_.member_id
    )


@bp.route("/")
@login_required
def start():
    """Each role's field-work start page."""
    if current_user.role == Role.PROVIDER:
        return redirect(url_for("fieldwork.my_rounds"))
    if current_user.role in (Role.MEMBER, Role.COORDINATOR):
        return redirect(url_for("fieldwork.acceptance"))
    abort(403)


# --- the provider --------------------------------------------------------------------------------


@bp.route("/rounds")
@login_required
def my_rounds():
    require_role(current_user, Role.PROVIDER)
    day = today()
    return render_template(
        "fieldwork/my_rounds.html",
        today_date=day,
        rounds=queries.provider_rounds(current_user.organisation_id, day),
        subcontracted=_subcontracted_rounds(),
    )


# --- a social-economy subcontractor's crew (SPEC 7.3) ---------------------------------------------

OPEN_WORK = (TaskStatus.OPEN, TaskStatus.CONTESTED, TaskStatus.DONE)


def _subcontracted_rounds() -> list[dict[str, Any]]:
    """The main contractors' rounds holding open or done (not yet accepted) tasks subcontracted
    to the user's organisation, earliest first, with how many of those tasks are done."""
    rows: dict[int, dict[str, Any]] = {}
    for task in db.session.scalars(
        subcontracted_tasks(current_user)
        .where(Task.status.in_(OPEN_WORK), Round.status.not_in(["cancelled", "accepted"]))
        .order_by(Round.scheduled_date, Round.due_date, Round.id, Task.sequence)
    ):
        row = rows.setdefault(task.round_id, {"round": task.round, "tasks": 0, "done": 0})
        row["tasks"] += 1
        row["done"] += task.status == TaskStatus.DONE
    return list(rows.values())


@bp.route("/subcontracted")
@login_required
def subcontracted():
    """The subcontractor's work on its main contractors' rounds: only its own task types."""
    require_role(current_user, Role.PROVIDER)
    return render_template(
        "fieldwork/subcontracted.html", today_date=today(), rounds=_subcontracted_rounds()
    )


@bp.route("/subcontracted/<int:round_id>")
@login_required
def subcontracted_round(round_id: int):
    """A main contractor's round as its subcontractor's crew sees it: only the tasks of its
    task types (route order kept), no prices, and its own labour on the round."""
    return _subcontracted_round_page(get_visible(labour_rounds(current_user), Round, round_id))


def _subcontracted_round_page(
    round_: Round, labour_form: LabourForm | None = None, status: int = 200
):
    mine = set(
        db.session.scalars(
            subcontracted_tasks(current_user)
            .with_only_columns(Task.id)
            .where(Task.round_id == round_.id)
        )
    )
    if not mine:
        abort(404)
    stops = [s for s in queries.round_stops(round_) if s.task.id in mine]
    labour = list(
        db.session.scalars(
            select(LabourEntry)
            .join(LabourDay, LabourDay.id == LabourEntry.labour_day_id)
            .where(
                LabourEntry.round_id == round_.id,
                LabourDay.provider_id == current_user.organisation_id,
            )
            .order_by(LabourEntry.work_date.desc())
        )
    )
    return render_template(
        "fieldwork/subcontracted_round.html",
        round=round_,
        stops=stops,
        labour=labour,
        labour_form=labour_form or LabourForm(work_date=today(), target_group_workers=0),
        may_log_labour=round_.status not in (RoundStatus.PLANNED, RoundStatus.CANCELLED),
    ), status


def _back_to(round_: Round) -> str:
    """Where a crew goes back to from a task: its round, or a subcontractor's view of it."""
    if is_round_provider(current_user, round_):
        return url_for("fieldwork.round_page", round_id=round_.id)
    return url_for("fieldwork.subcontracted_round", round_id=round_.id)


def _map_points(stops: list[queries.Stop]) -> str:
    return json.dumps(
        [
            {
                "seq": stop.task.sequence,
                "lat": stop.lat,
                "lon": stop.lon,
                "label": stop.code or stop.address,
                "status": stop.task.status,
            }
            for stop in stops
            if stop.lat is not None and stop.lon is not None
        ]
    )


@bp.route("/rounds/<int:round_id>")
@login_required
def round_page(round_id: int):
    return _round_page(get_visible_for(current_user, Round, round_id))


def _round_page(round_: Round, labour_form: LabourForm | None = None, status: int = 200):
    """A round's page: the crew's (with the labour form, `labour_form` when it comes back with
    its errors) or the member's review."""
    stops = queries.round_stops(round_)
    (card,) = queries.round_cards([round_])
    common = {
        "round": round_,
        "card": card,
        "stops": stops,
        "points": _map_points(stops),
        "labour": queries.labour_of(round_.id),
        "needs": queries.follow_up_needs([s.task.id for s in stops]),
    }
    if _is_crew(round_):
        form = labour_form or LabourForm(work_date=today(), target_group_workers=0)
        return render_template(
            "fieldwork/round.html",
            labour_form=form,
            may_log_labour=round_.status not in (RoundStatus.PLANNED, RoundStatus.CANCELLED),
            **common,
        ), status
    photos_by_task: dict[int, list[TaskPhoto]] = {}
    for photo in db.session.scalars(
        select(TaskPhoto)
        .where(TaskPhoto.task_id.in_([s.task.id for s in stops]))
        .order_by(TaskPhoto.id)
    ):
        photos_by_task.setdefault(photo.task_id, []).append(photo)
    checklists = {
        t.id: t.checklist or []
        for t in db.session.scalars(
            select(TaskType).where(TaskType.id.in_({s.task.task_type_id for s in stops}))
        )
    }
    return render_template(
        "fieldwork/review.html",
        may_decide=_is_member(round_),
        photos=photos_by_task,
        checklists=checklists,
        **common,
    )


def _checklist_of(task: Task) -> list[dict[str, Any]]:
    task_type = db.session.get(TaskType, task.task_type_id)
    return list(task_type.checklist or []) if task_type else []


def _answers(form, checklist: list[dict[str, Any]]) -> dict[str, Any]:
    """The form's checklist answers as the API sends them: true/false, or a number."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in checklist:
        name = f"{CHECK_PREFIX}{item['key']}"
        raw = (form[name].data or "").strip()
        if not raw:
            continue
        if item["kind"] == "pass_fail":
            answers[item["key"]] = raw == "pass"
            continue
        try:
            number = Decimal(raw.replace(",", "."))
        except InvalidOperation:
            errors[name] = _("Give the reading as a number.")
            continue
        answers[item["key"]] = float(number) if number.is_finite() else raw
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return answers


def _result_defaults(task: Task, checklist: list[dict[str, Any]]) -> dict[str, Any]:
    report = queries.report_of(task)
    if report is None or task.result is None:
        return {}
    values: dict[str, Any] = {
        "result": task.result,
        "notes": report.notes,
        "defect_category": report.defect_category,
    }
    for item in checklist:
        value = (report.checklist or {}).get(item["key"])
        if value is None:
            continue
        if item["kind"] == "pass_fail":
            values[f"{CHECK_PREFIX}{item['key']}"] = "pass" if value else "fail"
        else:
            values[f"{CHECK_PREFIX}{item['key']}"] = str(value)
    return values


def _next_open(round_: Round, after: Task) -> Task | None:
    return db.session.scalar(
        select(Task)
        .where(
            Task.round_id == round_.id,
            Task.status.in_([TaskStatus.OPEN, TaskStatus.CONTESTED]),
            Task.id != after.id,
        )
        .order_by(Task.sequence > after.sequence, Task.sequence)
        .limit(1)
    )


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def task_page(task_id: int):
    task = get_visible_for(current_user, Task, task_id)
    round_ = task.round
    if not works_on_task(current_user, task):
        if request.method == "POST":
            abort(403)
        return redirect(
            url_for("fieldwork.round_page", round_id=round_.id, _anchor=f"task-{task.id}")
        )
    checklist = _checklist_of(task)
    defaults = _result_defaults(task, checklist) if request.method == "GET" else {}
    form = result_form_for(checklist, **defaults)
    status = 200

    def save() -> None:
        values = {
            "result": form.result.data,
            "notes": form.notes.data or "",
            "defect_category": form.defect_category.data or "",
            "out_of_service": bool(form.out_of_service.data),
            "checklist": _answers(form, checklist),
        }
        services.record_result(task, values, actor=current_user)

    if form.validate_on_submit():
        try:
            save()
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            status = form_error(form, exc)
        else:
            flash(_("Saved: %(result)s.", result=RESULT_LABELS[task.result]), "success")
            if not is_round_provider(current_user, round_):
                return redirect(_back_to(round_) + f"#task-{task.id}")
            following = _next_open(round_, task)
            anchor = f"task-{following.id}" if following else "labour"
            return redirect(url_for("fieldwork.round_page", round_id=round_.id, _anchor=anchor))
    elif request.method == "POST":
        rule_errors(form, save)  # the note's and the kind's lengths too: every error at once
        status = 400
    stop = next(s for s in queries.round_stops(round_) if s.task.id == task.id)
    return (
        render_template(
            "fieldwork/task.html",
            round=round_,
            task=task,
            stop=stop,
            form=form,
            photo_form=PhotoForm(),
            photos=photos.photos_of(task),
            editable=task.status not in (TaskStatus.ACCEPTED, TaskStatus.CANCELLED)
            and round_.status in services.WORKABLE_ROUNDS,
            api_url=url_for("api.fieldwork_record_result", task_id=task.id),
            return_url=_back_to(round_),
        ),
        status,
    )


@bp.route("/tasks/<int:task_id>/photos", methods=["POST"])
@login_required
def add_photo(task_id: int):
    task = get_visible_for(current_user, Task, task_id)
    if not works_on_task(current_user, task):
        abort(403)
    try:
        photos.add_photo(task, photos.read_upload(), actor=current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.translated(), "error")
    else:
        flash(_("Photo added."), "success")
    return redirect(url_for("fieldwork.task_page", task_id=task.id, _anchor="photos"))


@bp.route("/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    """A photo, served only to those who may see its task."""
    found = db.session.get(TaskPhoto, photo_id)
    if found is None:
        abort(404)
    get_visible_for(current_user, Task, found.task_id)
    return photos.photo_response(found)


@bp.route("/rounds/<int:round_id>/labour", methods=["POST"])
@login_required
def labour(round_id: int):
    round_ = get_visible(labour_rounds(current_user), Round, round_id)
    if not works_on_round(current_user, round_):
        abort(403)
    form = LabourForm()

    def save() -> bool:
        values = {
            "work_date": form.work_date.data,
            "hours": form.hours.data,
            "workers": form.workers.data,
            "target_group_hours": form.target_group_hours.data,
            "target_group_workers": form.target_group_workers.data,
        }
        return services.record_labour(round_, values, actor=current_user)[1]

    if form.validate_on_submit():
        try:
            created = save()
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return _labour_page(round_, form, form_error(form, exc))
        flash(_("Labour saved.") if created else _("Labour replaced."), "success")
        return redirect(_back_to(round_) + "#labour")
    # Every error at once, next to its field, with what the crew typed kept (§7.6).
    rule_errors(form, save)
    return _labour_page(round_, form, 400)


def _labour_page(round_: Round, form: LabourForm, status: int):
    """The page the labour form came from, again with its errors: the round's own page, or a
    subcontractor's view of it."""
    if is_round_provider(current_user, round_):
        return _round_page(round_, form, status)
    return _subcontracted_round_page(round_, form, status)


# --- the member ----------------------------------------------------------------------------------


@bp.route("/acceptance")
@login_required
def acceptance():
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    return render_template(
        "fieldwork/acceptance.html",
        lists=queries.member_rounds(current_user.organisation_id, today()),
    )


@bp.route("/rounds/<int:round_id>/accept", methods=["GET", "POST"])
@login_required
def accept(round_id: int):
    round_ = get_visible_for(current_user, Round, round_id)
    if not _is_member(round_):
        abort(403)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.accept_round(round_, actor=current_user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.translated(), "error")
            return redirect(url_for("fieldwork.round_page", round_id=round_.id))
        flash(_("Round %(round)s accepted.", round=round_.id), "success")
        return redirect(url_for("fieldwork.acceptance"))
    (card,) = queries.round_cards([round_])
    return render_template("fieldwork/accept.html", round=round_, card=card, form=form)


@bp.route("/tasks/<int:task_id>/contest", methods=["GET", "POST"])
@login_required
def contest(task_id: int):
    task = get_visible_for(current_user, Task, task_id)
    round_ = task.round
    if not _is_member(round_):
        abort(403)
    form = ContestForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.contest_task(task, form.reason.data, actor=current_user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            status = form_error(form, exc)
        else:
            flash(_("Task contested. The provider will redo it."), "success")
            return redirect(url_for("fieldwork.round_page", round_id=round_.id))
    elif request.method == "POST":
        status = 400
    stop = next(s for s in queries.round_stops(round_) if s.task.id == task.id)
    return render_template("fieldwork/contest.html", task=task, stop=stop, form=form), status


# --- the coordinator -----------------------------------------------------------------------------


def _led_framework(framework_id: int) -> Framework:
    require_role(current_user, Role.COORDINATOR)
    framework = db.session.get(Framework, framework_id)
    if framework is None or framework.lead_organisation_id != current_user.organisation_id:
        abort(404)
    return framework


@bp.route("/frameworks")
@login_required
def frameworks():
    require_role(current_user, Role.COORDINATOR)
    led = queries.led_frameworks(current_user.organisation_id)
    return render_template(
        "fieldwork/frameworks.html",
        frameworks=[(f, queries.framework_progress(f.id)["total"]) for f in led],
    )


@bp.route("/frameworks/<int:framework_id>")
@login_required
def framework_progress(framework_id: int):
    framework = _led_framework(framework_id)
    year = today().year
    return render_template(
        "fieldwork/progress.html",
        framework=framework,
        progress=queries.framework_progress(framework.id),
        labour=queries.summed(queries.labour_shares(framework_ids=[framework.id], year=year)),
        year=year,
        settings=services.settings_for(framework.id),
    )


@bp.route("/frameworks/<int:framework_id>/settings", methods=["GET", "POST"])
@login_required
def settings(framework_id: int):
    framework = _led_framework(framework_id)
    current = services.settings_for(framework.id)
    form = SettingsForm(obj=current)
    status = 200
    if form.validate_on_submit():
        try:
            services.update_settings(
                framework,
                {
                    "keep_photo_location": form.keep_photo_location.data,
                    "photo_retention_months": form.photo_retention_months.data,
                },
                actor=current_user,
            )
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            status = form_error(form, exc)
        else:
            flash(_("Photo settings saved."), "success")
            return redirect(url_for("fieldwork.framework_progress", framework_id=framework.id))
    elif request.method == "POST":
        status = 400
    return render_template("fieldwork/settings.html", framework=framework, form=form), status

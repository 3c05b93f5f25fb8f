"""Field work rules (SPEC rules 14–16): task results with the task type's checklist, follow-up
needs for defects, the round's status, contests, acceptance, labour and photo settings.

Each service takes models, validated values and the acting user; it checks the rule, writes an
audit event and flushes. The caller (a page, the API, a job) commits once.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import has_request_context
from flask_babel import force_locale, gettext
from sqlalchemy import insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from central.assets import availability
from central.assets.models import Need, NeedStatus
from central.core import audit, clock
from central.core.errors import N_, Conflict, Forbidden, ValidationError
from central.core.fields import load
from central.core.roles import Role
from central.extensions import db
from central.fieldwork import notifications
from central.fieldwork.models import (
    DEFAULT_PHOTO_RETENTION_MONTHS,
    FieldworkSetting,
    LabourDay,
    LabourEntry,
    TaskContest,
    TaskReport,
)
from central.fieldwork.queries import follow_up_need_of, open_contest_of, report_of
from central.fieldwork.schemas import (
    CONTEST_INPUT,
    ENTER_REASON,
    LABOUR_INPUT,
    RESULT_INPUT,
    SETTINGS_INPUT,
)
from central.frameworks import services as framework_services
from central.frameworks.models import ChecklistKind, TaskType
from central.planning.models import (
    UNBILLED_RESULTS,
    Round,
    RoundStatus,
    Task,
    TaskResult,
    TaskStatus,
)
from central.planning.queries import planned_again
from central.planning.reach import works_on_round, works_on_task
from central.planning.services import refresh_round_status

HOURS_A_DAY = 24  # nobody works more in one day
ENTRY_FIGURES = ("hours", "workers", "target_group_hours", "target_group_workers")
LABOUR_DAYS_BACK = 366  # labour may be logged late, but not for work over a year ago
# A result may be recorded on these rounds; planned (unassigned), accepted and cancelled not.
WORKABLE_ROUNDS = (
    RoundStatus.ASSIGNED,
    RoundStatus.IN_PROGRESS,
    RoundStatus.OVERDUE,
    RoundStatus.COMPLETED,
)


def _(message: str, **values: Any) -> str:
    """Translate in the language of the request; outside one (jobs, the demo) in Dutch, the
    platform's default."""
    if has_request_context():
        return gettext(message, **values)
    with force_locale("nl"):
        return gettext(message, **values)


def _lock(obj: Any) -> None:
    """Reload a row under a row lock (PostgreSQL; SQLite serialises writers anyway), so that two
    requests on the same task or round apply one after the other."""
    db.session.refresh(obj, with_for_update=True)


class PlannedAgain(Conflict):
    """The work of a task closed unbilled has since been planned again (§7.1)."""

    code = "planned_again"
    message_template = N_(
        "This asset has been planned again for this work since; record the result on the new "
        "task instead."
    )

    def __init__(self) -> None:
        super().__init__(self.message_template)


def _check_billed_again(task: Task, round_: Round, *, commit: bool) -> None:
    """§7.1: work closed unbilled (inaccessible, not found) that would be billed after all is
    decided under the framework's lock: refused (409 `planned_again`) when its asset has since
    been planned again for the same work — the crew records the new task instead, so the asset
    is never billed twice for one due period — and (409 `maximum_reached`) when its amount would
    cross the framework's or lot's maximum. `commit`: the work counts from now on (a corrected
    result); else it is only checked (a contest, before the work is redone)."""
    room = framework_services.room_under(round_.framework)
    if planned_again(task):
        raise PlannedAgain()
    if commit:
        room.commit(round_.lot, task.amount)
    elif (refusal := room.refusal(round_.lot, task.amount)) is not None:
        raise framework_services.maximum_reached(refusal)


def _require_provider_of(round_: Round, actor: Any) -> None:
    """The round's provider, or a subcontractor of some of its tasks (SPEC 7.3)."""
    if not works_on_round(actor, round_):
        raise Forbidden(N_("Only the provider of this round can record its work."))


def _require_worker_of(task: Task, actor: Any) -> None:
    """The round's provider, or the subcontractor its award gives the task's type to."""
    if not works_on_task(actor, task):
        raise Forbidden(N_("Only the provider of this round can record its work."))


def _require_member_of(round_: Round, actor: Any) -> None:
    if (
        getattr(actor, "role", None) not in (Role.MEMBER, Role.COORDINATOR)
        or actor.organisation_id != round_.member_id
    ):
        raise Forbidden(N_("Only the member authority of this round can do this."))


# --- checklist ---------------------------------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    """A JSON number (not a boolean) as a Decimal, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def check_answers(
    checklist: list[dict[str, Any]], answers: dict[str, Any], result: str
) -> tuple[dict[str, Any], list[str]]:
    """Check checklist answers against the task type's items: known keys only, a boolean for a
    pass/fail item, a number for a reading; an `ok` result answers every item. Returns the
    answers and the keys of the failed items (a failed pass/fail, a reading outside min/max)."""
    items = {item["key"]: item for item in checklist}
    errors: list[str] = []
    unknown = sorted(set(answers) - set(items))
    if unknown:
        errors.append(_("Unknown checklist items: %(keys)s.", keys=", ".join(unknown)))
    cleaned: dict[str, Any] = {}
    failed: list[str] = []
    for key, item in items.items():
        if key not in answers or answers[key] is None:
            continue
        value = answers[key]
        if item["kind"] == ChecklistKind.PASS_FAIL:
            if not isinstance(value, bool):
                errors.append(
                    _("%(label)s: answer pass (true) or fail (false).", label=item["label"])
                )
                continue
            cleaned[key] = value
            if not value:
                failed.append(key)
        else:
            number = _number(value)
            if number is None:
                errors.append(_("%(label)s: give the reading as a number.", label=item["label"]))
                continue
            cleaned[key] = int(number) if number == number.to_integral_value() else float(number)
            low, high = item.get("min"), item.get("max")
            if (low is not None and number < Decimal(low)) or (
                high is not None and number > Decimal(high)
            ):
                failed.append(key)
    if result == TaskResult.OK and not errors:
        missing = [item["label"] for key, item in items.items() if key not in cleaned]
        if missing:
            errors.append(
                _(
                    "An ok result answers the whole checklist; missing: %(items)s.",
                    items=", ".join(missing),
                )
            )
    if errors:
        raise ValidationError(" ".join(errors), fields={"checklist": errors})
    return cleaned, failed


def describe_failures(checklist: list[dict[str, Any]], answers: dict[str, Any], failed) -> str:
    """The failed items in words: 'Lid and frame: fail; Static pressure: 0.8 (1.5–10)'."""
    parts = []
    for item in checklist:
        if item["key"] not in failed:
            continue
        value = answers.get(item["key"])
        if item["kind"] == ChecklistKind.PASS_FAIL:
            parts.append(_("%(label)s: fail", label=item["label"]))
        else:
            bounds = "–".join(str(b) for b in (item.get("min") or "", item.get("max") or ""))
            parts.append(f"{item['label']}: {value} ({bounds})")
    return "; ".join(parts)


# --- results (rule 14) ---------------------------------------------------------------------------


# What a refused result says first, by its first wrong field.
RESULT_SUMMARIES = {
    "result": N_("Choose a result: ok, defect, inaccessible or not found."),
    "notes": N_("The text is too long."),
    "defect_category": N_("The text is too long."),
    "checklist": N_("The checklist answers are an object of item keys."),
}


def record_result(task: Task, values: dict[str, Any], *, actor: Any) -> Task:
    """Rule 14: record (or correct, until the member accepts) a task's result with its checklist
    answers. open, done or contested → done; a cancelled task or an accepted round answers 409.
    A defect or a failed item raises one follow-up need for the member (idempotent on
    correction); inaccessible and not_found close the task unbilled. The round follows, and the
    asset's service status (SPEC 7.4: `out_of_service` or a failed critical item)."""
    round_ = task.round
    _require_worker_of(task, actor)
    _lock(round_)  # round first, then task: the order every service takes (no deadlock)
    _lock(task)
    loaded, errors = load(RESULT_INPUT, values)
    if errors:
        raise ValidationError(RESULT_SUMMARIES[next(iter(errors))], fields=errors)
    result, notes, category = loaded["result"], loaded["notes"], loaded["defect_category"]
    answers = loaded["checklist"] or {}
    if task.status == TaskStatus.CANCELLED:
        raise Conflict(N_("This task is cancelled; it takes no result."))
    if round_.status == RoundStatus.ACCEPTED or task.status == TaskStatus.ACCEPTED:
        raise Conflict(N_("The member has accepted this work; it can no longer change."))
    if round_.status not in WORKABLE_ROUNDS:
        raise Conflict(N_("This round takes no results."))
    task_type = db.session.get(TaskType, task.task_type_id)
    checklist = list(task_type.checklist or []) if task_type else []
    cleaned, failed = check_answers(checklist, answers, result)
    if task.result in UNBILLED_RESULTS and result not in UNBILLED_RESULTS:
        _check_billed_again(task, round_, commit=True)

    now = clock.business_now()
    previous_status, previous_result = task.status, task.result
    correction = previous_status == TaskStatus.DONE
    if previous_status != TaskStatus.DONE:
        task.done_on = clock.today()  # the day the work was (re)done: dueness counts from it
    task.status = TaskStatus.DONE
    task.result = result
    task.done_at = now
    report = report_of(task)
    if report is None:
        report = TaskReport(task_id=task.id, recorded_at=now)
        db.session.add(report)
    report.notes = notes
    report.defect_category = category
    report.checklist = cleaned
    report.failed_items = failed
    report.recorded_by_id = getattr(actor, "id", None)
    if previous_status == TaskStatus.CONTESTED:
        contest = open_contest_of(task)
        if contest is not None:
            contest.resolved_at = now
    _sync_planned_need(task)
    db.session.flush()
    need = _follow_up(task, task_type, checklist, cleaned, failed, notes, category, actor)
    availability.apply_result(
        task,
        result=result,
        out_of_service=values.get("out_of_service") is True,
        critical_failed=availability.critical_failures(checklist, failed),
        actor=actor,
    )
    audit.record(
        "task.result_corrected" if correction else "task.result_recorded",
        task,
        actor=actor,
        round_id=round_.id,
        result=result,
        previous_result=previous_result if correction else None,
        failed_items=failed,
        follow_up_need_id=need.id if need is not None else None,
    )
    refresh_round_status(round_, actor=actor)
    db.session.flush()
    return task


def _sync_planned_need(task: Task) -> None:
    """A need planned into this task is done with it; closed unbilled, it is open again so that
    it is planned once more (the place stays due)."""
    if task.need_id is None:
        return
    need = db.session.get(Need, task.need_id)
    if need is None or need.status == NeedStatus.CANCELLED:
        return
    need.status = NeedStatus.OPEN if task.result in UNBILLED_RESULTS else NeedStatus.DONE


def _follow_up(task, task_type, checklist, answers, failed, notes, category, actor) -> Need | None:
    """One follow-up need per task for a defect or a failed item: created once, its description
    kept up to date on a correction, cancelled if a correction clears it while still open, and
    reopened if a later result finds the defect again."""
    from central.assets import services as asset_services

    needed = task.result == TaskResult.DEFECT or bool(failed)
    need = follow_up_need_of(task)
    if not needed:
        if need is not None and need.status == NeedStatus.OPEN:
            need.status = NeedStatus.CANCELLED
            audit.record("need.cancelled", need, actor=actor, task_id=task.id, reason="corrected")
        return None
    description = _defect_description(task, task_type, checklist, answers, failed, notes, category)
    if need is not None:
        changed = need.description != description
        need.description = description
        reopened = need.status == NeedStatus.CANCELLED
        if reopened:
            need.status = NeedStatus.OPEN
        if changed or reopened:
            audit.record(
                "need.updated", need, actor=actor, task_id=task.id, reopened=reopened or None
            )
        if reopened:
            notifications.defect_need_raised(task, need)
        return need
    follow_up = task_type.follow_up if task_type is not None else None
    place: dict[str, Any] = {}
    if task.asset_id is None and task.need_id is not None:
        origin = db.session.get(Need, task.need_id)
        place = {"lat": origin.lat, "lon": origin.lon, "address": origin.address}
    need = asset_services.create_defect_need(
        task.round.member_id,
        asset_id=task.asset_id,
        task_id=task.id,
        description=description,
        lot_id=follow_up.lot_id if follow_up is not None else None,
        task_type=follow_up.code if follow_up is not None else None,
        actor=actor,
        **place,
    )
    notifications.defect_need_raised(task, need)
    return need


def _defect_description(task, task_type, checklist, answers, failed, notes, category) -> str:
    lines = []
    name = task_type.name if task_type is not None else task.task_type
    if task.result == TaskResult.DEFECT:
        heading = _("Defect found during %(task)s", task=name)
        if category:
            heading += f": {category}"
        lines.append(heading + ".")
    if failed:
        lines.append(
            _("Failed checks: %(items)s.", items=describe_failures(checklist, answers, failed))
        )
    if notes:
        lines.append(_("Crew's note: %(note)s", note=notes))
    return "\n".join(lines)[:2000]


# --- contests and acceptance (rules 14, 15) ------------------------------------------------------


def contest_task(task: Task, reason: Any, *, actor: Any) -> Task:
    """Rule 14: the member contests a done task with a reason; the provider redoes it. Only
    done work that is not yet accepted can be contested (409)."""
    round_ = task.round
    _require_member_of(round_, actor)
    _lock(round_)
    _lock(task)
    loaded, errors = load(CONTEST_INPUT, {"reason": reason})
    if errors:
        too_long = isinstance(reason, str) and errors["reason"] != ENTER_REASON
        summary = (
            N_("The reason is too long.") if too_long else N_("Say why you contest this task.")
        )
        raise ValidationError(summary, fields=errors)
    reason = loaded["reason"]
    if task.status == TaskStatus.ACCEPTED or round_.status == RoundStatus.ACCEPTED:
        raise Conflict(N_("This work is already accepted."))
    if task.status != TaskStatus.DONE:
        raise Conflict(N_("Only a done task can be contested."))
    if task.result in UNBILLED_RESULTS:
        _check_billed_again(task, round_, commit=False)
    task.status = TaskStatus.CONTESTED
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            N_("This asset already has open work of this type; follow that task instead.")
        ) from None
    if task.need_id is not None:
        need = db.session.get(Need, task.need_id)
        if need is not None and need.status != NeedStatus.CANCELLED:
            need.status = NeedStatus.PLANNED
    contest = TaskContest(
        task_id=task.id,
        reason=reason,
        contested_by_id=getattr(actor, "id", None),
        contested_at=clock.business_now(),
    )
    db.session.add(contest)
    db.session.flush()
    audit.record("task.contested", task, actor=actor, round_id=round_.id, reason=reason)
    refresh_round_status(round_, actor=actor)
    notifications.task_contested(task, reason)
    db.session.flush()
    return task


def accept_round(round_: Round, *, actor: Any) -> Round:
    """Rule 15: the member accepts a completed round; every done task becomes accepted (and is
    billed in this month). An accepted round, or one not completed, answers 409."""
    _require_member_of(round_, actor)
    _lock(round_)
    if round_.status == RoundStatus.ACCEPTED:
        raise Conflict(N_("This round is already accepted."))
    if round_.status != RoundStatus.COMPLETED:
        raise Conflict(N_("Only a completed round can be accepted: some tasks are not done yet."))
    now = clock.business_now()
    accepted = 0
    for task in round_.tasks:
        if task.status == TaskStatus.DONE:
            task.status = TaskStatus.ACCEPTED
            task.accepted_at = now
            accepted += 1
    round_.status = RoundStatus.ACCEPTED
    round_.accepted_at = now
    db.session.flush()
    audit.record("round.accepted", round_, actor=actor, tasks_accepted=accepted)
    notifications.round_accepted(round_)
    return round_


# --- labour (rule 16) ----------------------------------------------------------------------------


def fewest_workers(hours: Decimal) -> int:
    """The fewest workers who can work `hours` in one day (24 hours each)."""
    return math.ceil(Decimal(hours) / HOURS_A_DAY)


def clean_labour(values: dict[str, Any], round_: Round) -> dict[str, Any]:
    """Rule 16 and §7.1: hours ≥ 0, target-group hours ≤ hours (and worked by at least one
    target-group worker), at most 24 hours a day per worker, target-group workers part of the
    workers, a work date not in the future. `workers` defaults to the target-group workers, and
    to at least the fewest workers the hours need."""
    loaded, errors = load(LABOUR_INPUT, values)
    hours, group_hours = loaded.get("hours"), loaded.get("target_group_hours")
    workers, group_workers = loaded.get("workers"), loaded.get("target_group_workers")
    work_date = loaded.get("work_date") or clock.today()
    if hours is not None and group_hours is not None and group_hours > hours:
        errors["target_group_hours"] = N_("Target-group hours cannot exceed the hours.")
    # The rules between the figures, as far as the figures they compare are readable: a wrong
    # work date does not hide them (all errors at once, §7.6).
    figures = ("hours", "target_group_hours", "target_group_workers", "workers")
    readable = not any(name in errors for name in figures)
    if readable and group_hours > 0 and group_workers == 0:
        errors["target_group_workers"] = N_("Target-group hours need at least one worker.")
    elif readable and group_hours > HOURS_A_DAY * group_workers:
        errors["target_group_hours"] = N_("At most 24 hours a day per target-group worker.")
    if readable and not any(name in errors for name in figures):
        if workers is None:
            workers = max(group_workers, fewest_workers(hours))
        elif group_workers > workers:
            errors["workers"] = N_("The target-group workers are part of the workers.")
        elif hours > HOURS_A_DAY * workers:
            errors["hours"] = N_("At most 24 hours a day per worker.")
    if "work_date" not in errors:
        if work_date > clock.today():
            errors["work_date"] = N_("The work date cannot be in the future.")
        elif work_date < clock.today() - timedelta(days=LABOUR_DAYS_BACK):
            errors["work_date"] = N_("The work date is more than a year ago.")
    if errors:
        raise ValidationError(_(next(iter(errors.values()))), fields=errors)
    return {
        "hours": hours,
        "workers": workers,
        "target_group_hours": group_hours,
        "target_group_workers": group_workers,
        "work_date": work_date,
    }


def _upsert(model: Any, values: dict[str, Any], keys: list[str], update: dict[str, Any], **kw):
    """INSERT … ON CONFLICT on both databases; returns the row's id (None when nothing was
    written and `update` is empty)."""
    dialect = db.session.get_bind().dialect.name
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = dialect_insert(model.__table__).values(**values)
    if update:
        statement = statement.on_conflict_do_update(index_elements=keys, set_=update, **kw)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys, **kw)
    return db.session.execute(statement.returning(model.__table__.c.id)).scalar()


def labour_day(provider_id: int, work_date: date, *, crew_id: int | None = None) -> LabourDay:
    """The provider's (or crew's) labour day on a date, created empty when missing, locked for
    the caller's transaction (PostgreSQL: a row lock; SQLite: the write transaction)."""
    where = LabourDay.crew_id.is_(None) if crew_id is None else LabourDay.crew_id == crew_id
    day_id = db.session.scalar(
        select(LabourDay.id).where(
            LabourDay.provider_id == provider_id, LabourDay.work_date == work_date, where
        )
    )
    if day_id is None:
        now = clock.business_now()
        keys = ["provider_id", "work_date"] if crew_id is None else ["provider_id", "crew_id"]
        if crew_id is not None:
            keys.append("work_date")
        _upsert(
            LabourDay,
            {
                "provider_id": provider_id,
                "crew_id": crew_id,
                "work_date": work_date,
                "hours": Decimal("0"),
                "workers": 0,
                "target_group_hours": Decimal("0"),
                "target_group_workers": 0,
                "created_at": now,
                "updated_at": now,
            },
            keys,
            {},
            index_where=text("crew_id IS NULL" if crew_id is None else "crew_id IS NOT NULL"),
        )
    return db.session.scalars(
        select(LabourDay)
        .where(LabourDay.provider_id == provider_id, LabourDay.work_date == work_date, where)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def day_figures(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A labour day's figures from its rounds' parts: hours added up, workers the most any round
    had (one crew serving three rounds is one crew, not three)."""
    return {
        "hours": sum((e["hours"] for e in entries), Decimal("0.00")),
        "workers": max((e["workers"] for e in entries), default=0),
        "target_group_hours": sum((e["target_group_hours"] for e in entries), Decimal("0.00")),
        "target_group_workers": max((e["target_group_workers"] for e in entries), default=0),
    }


def store_labour(rows: list[dict[str, Any]], *, actor: Any = None) -> None:
    """Bulk labour for the demo and test data, already checked by its maker: each row (round_id,
    provider_id, work_date, hours, target_group_hours, target_group_workers, optional workers)
    becomes its round's part of its provider's day, and each day's figures follow its parts."""
    days: dict[tuple[int, date], list[dict[str, Any]]] = {}
    for row in rows:
        days.setdefault((row["provider_id"], row["work_date"]), []).append(row)
    now = clock.business_now()
    for (provider_id, work_date), group in days.items():
        day = labour_day(provider_id, work_date)
        values = []
        for row in group:
            hours = Decimal(row["hours"])
            workers = row.get("workers")
            if workers is None:
                workers = max(row["target_group_workers"], fewest_workers(hours))
            values.append(
                {
                    "labour_day_id": day.id,
                    "round_id": row["round_id"],
                    "work_date": work_date,
                    "hours": hours,
                    "workers": workers,
                    "target_group_hours": Decimal(row["target_group_hours"]),
                    "target_group_workers": row["target_group_workers"],
                    "recorded_by_id": getattr(actor, "id", None),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        db.session.execute(insert(LabourEntry), values)
        totals = day_figures(
            [
                {k: getattr(e, k) for k in ENTRY_FIGURES}
                for e in db.session.scalars(
                    select(LabourEntry).where(LabourEntry.labour_day_id == day.id)
                )
            ]
        )
        totals["workers"] = max(totals["workers"], fewest_workers(totals["hours"]))
        totals["target_group_workers"] = max(
            totals["target_group_workers"], fewest_workers(totals["target_group_hours"])
        )
        totals["workers"] = max(totals["workers"], totals["target_group_workers"])
        for name, value in totals.items():
            setattr(day, name, value)
    db.session.flush()


def record_labour(round_: Round, values: dict[str, Any], *, actor: Any) -> tuple[LabourEntry, bool]:
    """Rule 16, §7.1: add a round's labour on a work date to the provider's day (aggregates
    only); the same round and work date again replaces that round's part, and the day's figures
    follow. A day whose hours would exceed 24 per worker is refused. Returns the entry and
    whether it was new."""
    _require_provider_of(round_, actor)
    if round_.status in (RoundStatus.PLANNED, RoundStatus.CANCELLED):
        raise Conflict(N_("This round takes no labour."))
    cleaned = clean_labour(values, round_)
    day = labour_day(actor.organisation_id, cleaned["work_date"])
    figures = {k: cleaned[k] for k in ENTRY_FIGURES}
    entries = {
        e.round_id: {k: getattr(e, k) for k in ENTRY_FIGURES}
        for e in db.session.scalars(
            select(LabourEntry)
            .where(LabourEntry.labour_day_id == day.id)
            .execution_options(populate_existing=True)
        )
    }
    before = entries.get(round_.id)
    entries[round_.id] = figures
    totals = day_figures(list(entries.values()))
    if totals["hours"] > HOURS_A_DAY * totals["workers"]:
        message = N_(
            "With this round the day's hours exceed 24 per worker: give the number of workers."
        )
        raise ValidationError(_(message), fields={"workers": message})
    if totals["target_group_hours"] > HOURS_A_DAY * totals["target_group_workers"]:
        message = N_("With this round the day's target-group hours exceed 24 per worker.")
        raise ValidationError(_(message), fields={"target_group_workers": message})
    now = clock.business_now()
    changes = {**figures, "recorded_by_id": getattr(actor, "id", None), "updated_at": now}
    entry_id = _upsert(
        LabourEntry,
        {
            "labour_day_id": day.id,
            "round_id": round_.id,
            "work_date": cleaned["work_date"],
            "created_at": now,
            **changes,
        },
        ["labour_day_id", "round_id"],
        changes,
    )
    for name, value in totals.items():
        setattr(day, name, value)
    day.updated_at = now
    db.session.flush()
    entry = db.session.get(LabourEntry, entry_id, populate_existing=True)
    audit.record(
        "labour.replaced" if before else "labour.recorded",
        round_,
        actor=actor,
        work_date=cleaned["work_date"],
        labour_day_id=day.id,
        **figures,
        day={**totals, "round_ids": sorted(entries)},
        before=before,
    )
    db.session.flush()
    return entry, before is None


# --- photo settings ------------------------------------------------------------------------------


def settings_for(framework_id: int) -> FieldworkSetting:
    """The framework's photo settings (defaults when the coordinator set none); not added."""
    setting = db.session.get(FieldworkSetting, framework_id)
    if setting is None:
        setting = FieldworkSetting(
            framework_id=framework_id,
            keep_photo_location=False,
            photo_retention_months=DEFAULT_PHOTO_RETENTION_MONTHS,
        )
    return setting


def update_settings(framework: Any, values: dict[str, Any], *, actor: Any) -> FieldworkSetting:
    """The lead authority's coordinator sets whether photos keep their EXIF location and how
    many months (1–120) they are kept."""
    if getattr(actor, "role", None) != Role.COORDINATOR or (
        actor.organisation_id != framework.lead_organisation_id
    ):
        raise Forbidden(N_("Only a coordinator of the lead authority can change this."))
    loaded, errors = load(SETTINGS_INPUT, values)
    if errors:
        raise ValidationError(N_("Keep photos between 1 and 120 months."), fields=errors)
    months = loaded["photo_retention_months"]
    keep = bool(values.get("keep_photo_location"))
    setting = db.session.get(FieldworkSetting, framework.id)
    if setting is None:
        setting = FieldworkSetting(framework_id=framework.id)
        db.session.add(setting)
    setting.keep_photo_location = keep
    setting.photo_retention_months = months
    setting.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(
        "fieldwork.settings_updated",
        framework,
        actor=actor,
        keep_photo_location=keep,
        photo_retention_months=months,
    )
    return setting

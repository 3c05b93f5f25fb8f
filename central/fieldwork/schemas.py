"""JSON shapes of field work (SPEC section 5): task results, contests, acceptance, labour and
photos. Money and decimals travel as strings such as "18.50"."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import url_for
from marshmallow import Schema, fields, post_dump, validate
from marshmallow import ValidationError as SchemaError

from central.core.errors import N_
from central.core.fields import Choice, Day, Number, Text, WholeNumber, finite_decimal
from central.core.money import has_at_most_places
from central.fieldwork import photos, queries
from central.fieldwork.models import (
    MAX_DEFECT_CATEGORY,
    MAX_LABOUR_HOURS,
    MAX_NOTES,
    MAX_REASON,
    MAX_RETENTION_MONTHS,
    MAX_TARGET_GROUP_WORKERS,
)
from central.planning.models import TaskResult


class TaskResultSchema(Schema):
    """POST /tasks/{id}/result."""

    result = fields.String(required=True, validate=validate.OneOf([r.value for r in TaskResult]))
    notes = fields.String(load_default="", validate=validate.Length(max=MAX_NOTES))
    defect_category = fields.String(
        load_default="", validate=validate.Length(max=MAX_DEFECT_CATEGORY)
    )
    checklist = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        metadata={"description": "Answers by item key: true|false (pass/fail) or a number."},
    )
    out_of_service = fields.Boolean(
        load_default=False,
        metadata={"description": "The asset cannot serve the fire brigade (SPEC 7.4)."},
    )


class ContestSchema(Schema):
    """POST /tasks/{id}/contest."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=MAX_REASON))


class LabourDaySchema(Schema):
    """A provider's labour on a work date (§7.1): hours added up over its rounds, workers the
    most any round had."""

    id = fields.Integer()
    provider_id = fields.Integer()
    crew_id = fields.Integer(allow_none=True)
    work_date = fields.Date()
    hours = fields.Decimal(as_string=True, places=2)
    workers = fields.Integer()
    target_group_hours = fields.Decimal(as_string=True, places=2)
    target_group_workers = fields.Integer()
    round_ids = fields.List(fields.Integer())


class LabourSchema(Schema):
    """POST /rounds/{id}/labour (rule 16, §7.1): the round's part of the provider's day,
    aggregates only."""

    id = fields.Integer(dump_only=True)
    round_id = fields.Integer(dump_only=True)
    work_date = fields.Date(load_default=None, metadata={"description": "Default: today."})
    hours = fields.Decimal(as_string=True, places=2, allow_nan=False, required=True)
    workers = fields.Integer(
        strict=True,
        load_default=None,
        metadata={
            "description": "Workers on the round; default: the target-group workers (at least "
            "the fewest the hours need, 24 hours each)."
        },
    )
    target_group_hours = fields.Decimal(
        as_string=True, places=2, allow_nan=False, load_default=None
    )
    target_group_workers = fields.Integer(strict=True, load_default=0)
    labour_day = fields.Nested(LabourDaySchema, dump_only=True, attribute="day")


class PhotoSchema(Schema):
    id = fields.Integer()
    task_id = fields.Integer()
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    size_bytes = fields.Integer()
    location_kept = fields.Boolean()
    uploaded_at = fields.DateTime()
    url = fields.Method("get_url")

    def get_url(self, obj: Any) -> str:
        return url_for("api.fieldwork_get_photo", task_id=obj.task_id, photo_id=obj.id)


class ContestInfoSchema(Schema):
    reason = fields.String()
    contested_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)


PRICE_FIELDS = ("unit_price", "amount", "vat_rate")


class FieldTaskSchema(Schema):
    """A task with its recorded result, checklist answers, follow-up need, open contest and
    photos. A social-economy subcontractor's users get it without its price, amount and VAT
    rate (SPEC 7.3)."""

    @post_dump(pass_original=True)
    def hide_prices(self, data: dict[str, Any], task: Any, **_: Any) -> dict[str, Any]:
        from flask_login import current_user

        from central.planning.reach import sees_prices

        if current_user and not sees_prices(current_user, task):
            for name in PRICE_FIELDS:
                data.pop(name, None)
        return data

    id = fields.Integer()
    round_id = fields.Integer()
    sequence = fields.Integer()
    asset_id = fields.Integer(allow_none=True)
    need_id = fields.Integer(allow_none=True)
    task_type = fields.String()
    quantity = fields.Decimal(as_string=True)
    unit = fields.String()
    unit_price = fields.Decimal(as_string=True)
    amount = fields.Decimal(
        as_string=True,
        metadata={"description": "Unit price × quantity, rounded half up to the cent, excl. VAT"},
    )
    vat_rate = fields.Decimal(as_string=True)
    status = fields.String()
    result = fields.String(allow_none=True)
    done_on = fields.Date(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    notes = fields.Method("get_notes")
    defect_category = fields.Method("get_defect_category")
    checklist = fields.Method("get_checklist")
    failed_items = fields.Method("get_failed_items")
    follow_up_need_id = fields.Method("get_follow_up_need_id", allow_none=True)
    contest = fields.Method("get_contest", allow_none=True)
    photos = fields.Method("get_photos")

    def _report(self, obj: Any):
        return queries.report_of(obj)

    def get_notes(self, obj: Any) -> str:
        report = self._report(obj)
        return report.notes if report else ""

    def get_defect_category(self, obj: Any) -> str:
        report = self._report(obj)
        return report.defect_category if report else ""

    def get_checklist(self, obj: Any) -> dict:
        report = self._report(obj)
        return dict(report.checklist) if report else {}

    def get_failed_items(self, obj: Any) -> list:
        report = self._report(obj)
        return list(report.failed_items) if report else []

    def get_follow_up_need_id(self, obj: Any) -> int | None:
        need = queries.follow_up_need_of(obj)
        return need.id if need else None

    def get_contest(self, obj: Any) -> dict | None:
        contest = queries.latest_contest_of(obj)
        return ContestInfoSchema().dump(contest) if contest else None

    def get_photos(self, obj: Any) -> list:
        return PhotoSchema(many=True).dump(photos.photos_of(obj))


class RoundTaskSchema(Schema):
    id = fields.Integer()
    sequence = fields.Integer()
    asset_id = fields.Integer(allow_none=True)
    task_type = fields.String()
    quantity = fields.Decimal(as_string=True)
    status = fields.String()
    result = fields.String(allow_none=True)
    unit_price = fields.Decimal(as_string=True)
    amount = fields.Decimal(as_string=True)


class AcceptedRoundSchema(Schema):
    """The round after acceptance."""

    id = fields.Integer()
    framework_id = fields.Integer()
    lot_id = fields.Integer()
    member_id = fields.Integer()
    provider_id = fields.Integer(allow_none=True)
    status = fields.String()
    due_date = fields.Date()
    scheduled_date = fields.Date(allow_none=True)
    route_km = fields.Decimal(as_string=True)
    completed_at = fields.DateTime(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    tasks = fields.List(fields.Nested(RoundTaskSchema))


# --- input: what the services load -----------------------------------------------------------


class Hours(Number):
    """A number of hours ("14.5", "14,5" or a number) with at most two decimals, at least 0 and
    at most `maximum` (None: no upper bound here, a rule compares it); empty is 0."""

    invalid = N_("Give a number of hours.")

    def __init__(self, *, out_of_range: str, maximum: Decimal | None = None) -> None:
        self.out_of_range, self.most = out_of_range, maximum
        super().__init__(if_empty=Decimal("0"))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        number = None if isinstance(value, bool) else finite_decimal(self._text(value))
        if number is None:
            raise SchemaError(self.invalid)
        if not has_at_most_places(number, 2):
            raise SchemaError(N_("At most two decimals."))
        if number < 0 or (self.most is not None and number > self.most):
            raise SchemaError(self.out_of_range)
        return number


class Count(WholeNumber):
    """A whole number from `minimum` to `maximum`, anything else `invalid` (a count of workers
    or months in its own words)."""

    def __init__(self, minimum: int, maximum: int, *, invalid: str, **kwargs: Any) -> None:
        self.invalid = invalid
        super().__init__(
            minimum, maximum, out_of_range=kwargs.pop("out_of_range", invalid), **kwargs
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except SchemaError:
            raise SchemaError(self.invalid) from None


class WorkDate(Day):
    """The day the labour was worked, as a `date` or YYYY-MM-DD; how far back is a rule."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except SchemaError:
            raise SchemaError(N_("Give the work date as YYYY-MM-DD.")) from None


CHOOSE_RESULT = N_("Choose a result.")
ENTER_REASON = N_("Enter a reason.")
WORKERS = N_("Between 0 and 500 workers.")
MONTHS = N_("Between 1 and 120 months.")


class ResultInput(Schema):
    """A task's result as the services load it (rule 14); the checklist's answers are checked
    against the task type's checklist by the service."""

    result = Choice(TaskResult, required=True, empty=CHOOSE_RESULT, invalid=CHOOSE_RESULT)
    notes = Text(MAX_NOTES, if_empty="")
    defect_category = Text(MAX_DEFECT_CATEGORY, if_empty="")
    checklist = fields.Dict(
        load_default=None, allow_none=True, error_messages={"invalid": N_("Not an object.")}
    )


class ContestInput(Schema):
    """A member's contest of a task (rule 14)."""

    reason = Text(MAX_REASON, required=True, empty=ENTER_REASON)


class LabourInput(Schema):
    """A round's labour on a work date (rule 16): the figures' types and ranges; the rules
    between them (target-group hours within the hours, 24 hours a day per worker) and the work
    date's are the service's. Absent workers: None (the service works them out)."""

    work_date = WorkDate(bounded=False)
    hours = Hours(maximum=MAX_LABOUR_HOURS, out_of_range=N_("Hours are between 0 and 1000."))
    target_group_hours = Hours(out_of_range=N_("Hours cannot be negative."))
    workers = Count(
        0,
        MAX_TARGET_GROUP_WORKERS,
        invalid=N_("Give a whole number of workers."),
        out_of_range=WORKERS,
    )
    target_group_workers = Count(
        0,
        MAX_TARGET_GROUP_WORKERS,
        invalid=N_("Give a whole number of workers."),
        out_of_range=WORKERS,
        if_empty=0,
    )


class SettingsInput(Schema):
    """A framework's photo settings."""

    photo_retention_months = Count(
        1, MAX_RETENTION_MONTHS, required=True, invalid=MONTHS, empty=MONTHS
    )


RESULT_INPUT = ResultInput()
CONTEST_INPUT = ContestInput()
LABOUR_INPUT = LabourInput()
SETTINGS_INPUT = SettingsInput()

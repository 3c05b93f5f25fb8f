"""Forms: a task's result with its checklist (built per task type), a photo, labour, a contest and
the photo settings. The services load the values through fieldwork's input schemas and check
the rules; a result's note and kind of defect and a contest's reason only render here (their
limits as attributes)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from central.core.forms import CentralForm
from central.fieldwork.models import (
    MAX_DEFECT_CATEGORY,
    MAX_NOTES,
    MAX_REASON,
    MAX_RETENTION_MONTHS,
    MAX_TARGET_GROUP_WORKERS,
)

RESULT_CHOICES = [
    ("ok", _l("OK")),
    ("defect", _l("Defect")),
    ("inaccessible", _l("Cannot reach it")),
    ("not_found", _l("Not found")),
]
CHECK_PREFIX = "check_"


class TaskResultForm(CentralForm):
    result = RadioField(
        _l("Result"),
        choices=RESULT_CHOICES,
        validators=[DataRequired(_l("Choose a result"))],
    )
    notes = TextAreaField(_l("Note"), render_kw={"maxlength": MAX_NOTES})
    defect_category = StringField(
        _l("Kind of defect"),
        render_kw={"maxlength": MAX_DEFECT_CATEGORY},
        description=_l("Only for a defect, e.g. lid, valve, signage."),
    )
    out_of_service = BooleanField(
        _l("Out of service: the fire brigade cannot use this hydrant"),
        description=_l("The fire zone and the water company are told at once."),
    )

    def checklist_fields(self) -> list[Any]:
        return [f for f in self if f.name.startswith(CHECK_PREFIX)]


def result_form_for(checklist: list[dict[str, Any]], **kwargs: Any) -> TaskResultForm:
    """A result form with one question per checklist item: pass/fail as two large choices, a
    reading as a number field that shows its allowed range."""
    attrs: dict[str, Any] = {}
    for item in checklist:
        name = f"{CHECK_PREFIX}{item['key']}"
        if item["kind"] == "pass_fail":
            attrs[name] = RadioField(
                item["label"],
                choices=[("pass", _l("Pass")), ("fail", _l("Fail"))],
                validators=[Optional()],
            )
        else:
            low, high = item.get("min"), item.get("max")
            if low is not None and high is not None:
                hint = _l("Between %(min)s and %(max)s.", min=low, max=high)
            elif low is not None:
                hint = _l("At least %(min)s.", min=low)
            elif high is not None:
                hint = _l("At most %(max)s.", max=high)
            else:
                hint = None
            attrs[name] = StringField(
                item["label"],
                validators=[Optional(), Length(max=20)],
                description=hint,
                render_kw={"inputmode": "decimal", "autocomplete": "off"},
            )
    form_class = type("ChecklistResultForm", (TaskResultForm,), attrs)
    return form_class(**kwargs)


class PhotoForm(CentralForm):
    file = FileField(
        _l("Photo"),
        validators=[FileRequired(_l("Choose or take a photo"))],
        description=_l("A photo of at most 10 MB."),
    )


class LabourForm(CentralForm):
    work_date = DateField(_l("Work date"), validators=[DataRequired(_l("Enter the work date"))])
    hours = StringField(
        _l("Hours worked by the crew"),
        validators=[DataRequired(_l("Enter the hours"))],
        description=_l("All crew members together, e.g. 14.5."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    workers = IntegerField(
        _l("Number of workers in the crew"),
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_TARGET_GROUP_WORKERS, message=_l("Between 0 and 500")),
        ],
        description=_l(
            "Everyone who worked on this round that day, no names. Empty: the target-group workers."
        ),
        render_kw={"inputmode": "numeric"},
    )
    target_group_hours = StringField(
        _l("Of which by target-group workers"),
        validators=[Optional()],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    target_group_workers = IntegerField(
        _l("Number of target-group workers"),
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_TARGET_GROUP_WORKERS, message=_l("Between 0 and 500")),
        ],
        description=_l("How many people, no names."),
        render_kw={"inputmode": "numeric"},
    )


class ContestForm(CentralForm):
    reason = TextAreaField(
        _l("Why do you contest this task?"),
        render_kw={"required": True, "maxlength": MAX_REASON},
        description=_l("The provider sees this and redoes the task."),
    )


class SettingsForm(CentralForm):
    keep_photo_location = BooleanField(
        _l("Keep the location stored in photos"),
        description=_l("Off: the GPS position is removed from every photo when it is uploaded."),
    )
    photo_retention_months = IntegerField(
        _l("Keep photos for (months)"),
        validators=[
            DataRequired(_l("Enter a number of months")),
            NumberRange(min=1, max=MAX_RETENTION_MONTHS, message=_l("Between 1 and 120 months")),
        ],
    )

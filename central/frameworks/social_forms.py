"""Forms of an award's social page (SPEC 7.3): subcontractors, the action plan, its quarterly
realisation and evidence. The services check the rules; the forms only the shape."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from central.core.forms import CentralForm
from central.frameworks.models import MAX_DESCRIPTION, MAX_NOTE

ACTION_KINDS = [
    ("work_experience", _l("Work experience")),
    ("hiring", _l("Hiring")),
    ("training", _l("Training")),
    ("subcontracting", _l("Subcontracting")),
]
ACTION_UNITS = [("persons", _l("Persons")), ("hours", _l("Hours"))]
QUARTERS = [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4")]
EMPTY_ACTION_ROWS = 3


class SubcontractorForm(CentralForm):
    form_name = HiddenField(default="subcontractor")
    organisation_id = SelectField(_l("Subcontractor"), choices=[], validate_choice=False)
    task_types = SelectMultipleField(
        _l("Task types it does"),
        choices=[],
        validate_choice=False,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )

    def values(self) -> dict[str, Any]:
        raw = self.organisation_id.data
        return {
            "organisation_id": int(raw) if raw and str(raw).isdigit() else None,
            "task_types": list(self.task_types.data or []),
        }


class ActionRowForm(Form):
    kind = SelectField(_l("Action"), choices=[("", "—"), *ACTION_KINDS], validate_choice=False)
    target = StringField(_l("Target"), validators=[Optional(), Length(max=20)])
    unit = SelectField(_l("Unit"), choices=ACTION_UNITS, validate_choice=False)
    due_date = StringField(
        _l("Due date"), validators=[Optional(), Length(max=10)], description=_l("YYYY-MM-DD")
    )
    description = StringField(_l("Description"), render_kw={"maxlength": MAX_DESCRIPTION})

    def is_empty(self) -> bool:
        return not any(
            (getattr(self, name).data or "").strip()
            for name in ("kind", "target", "due_date", "description")
        )


class PlanForm(CentralForm):
    form_name = HiddenField(default="plan")
    actions = FieldList(FormField(ActionRowForm), min_entries=EMPTY_ACTION_ROWS)

    def values(self) -> tuple[dict[str, Any], list[int]]:
        """The filled rows as the API sends them, and each one's row index on the form."""
        rows, indexes = [], []
        for n, entry in enumerate(self.actions):
            row = entry.form
            if row.is_empty():
                continue
            rows.append(
                {
                    "kind": row.kind.data or None,
                    "target": (row.target.data or "").strip() or None,
                    "unit": row.unit.data,
                    "due_date": (row.due_date.data or "").strip() or None,
                    "description": row.description.data or "",
                }
            )
            indexes.append(n)
        return {"actions": rows}, indexes


class RealisationForm(CentralForm):
    form_name = HiddenField(default="realisation")
    action_id = HiddenField()
    year = StringField(_l("Year"), validators=[Optional(), Length(max=4)])
    quarter = SelectField(_l("Quarter"), choices=QUARTERS, validate_choice=False)
    realised = StringField(_l("Realised (in the action's unit)"), validators=[Optional()])
    note = TextAreaField(_l("Note"), render_kw={"maxlength": MAX_NOTE})


class EvidenceForm(CentralForm):
    form_name = HiddenField(default="evidence")
    action_id = HiddenField()
    year = StringField(_l("Year"), validators=[Optional(), Length(max=4)])
    quarter = SelectField(_l("Quarter"), choices=QUARTERS, validate_choice=False)
    file = FileField(_l("Evidence file"), description=_l("A PDF, JPEG or PNG of at most 10 MB."))
    supersedes = SelectField(
        _l("Replaces an earlier file"), choices=[("", "—")], validate_choice=False
    )


class DecisionForm(CentralForm):
    """A button with its CSRF token (approve a plan, end a subcontracting)."""

    form_name = HiddenField()
    subcontractor_id = HiddenField()

"""Forms of the frameworks pages; the services check the rules, the forms only the shape.

The checklist editor is a table of rows (what is checked, pass/fail or a reading between bounds,
out of service when it fails), with empty rows to add items; every row's errors show at once.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    StopValidation,
)
from wtforms.widgets import CheckboxInput, ListWidget

from central.core.fields import LONG_TEXT
from central.core.forms import CentralForm, amount_input
from central.frameworks.models import (
    CHECKLIST_KEY_LENGTH,
    CHECKLIST_LABEL_LENGTH,
    CODE_LENGTH,
    ORDER_REFERENCE_LENGTH,
    REFERENCE_LENGTH,
    TITLE_LENGTH,
)
from central.labels import PROCEDURE_LABELS


class RequiredWhenSent:
    """A field the form sends is required; one a request leaves out keeps its default or the
    value on record (as the API leaves an absent setting as it is)."""

    def __init__(self, message):
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, form, field):
        if not field.raw_data:
            raise StopValidation()
        if not str(field.raw_data[0]).strip():
            raise StopValidation(self.message)


def _reading_bound(raw: str | None) -> str | None:
    """A checklist bound: a plain number, with a decimal comma or point."""
    text = (raw or "").strip().replace(",", ".")
    return text or None


class ChecklistItemForm(Form):
    """One row of a task type's checklist: what the crew checks, as a pass/fail or a reading
    between bounds; `key` keeps an existing item's identity (results refer to it)."""

    key = HiddenField()
    check = StringField(
        _l("What is checked"), validators=[Optional(), Length(max=CHECKLIST_LABEL_LENGTH)]
    )
    kind = SelectField(
        _l("Answer"),
        choices=[("pass_fail", _l("Pass or fail")), ("reading", _l("A reading (number)"))],
        default="pass_fail",
    )
    min = StringField(_l("Lowest"), validators=[Optional(), Length(max=20)])
    max = StringField(_l("Highest"), validators=[Optional(), Length(max=20)])
    critical = BooleanField(_l("Out of service when it fails"))

    def validate(self, extra_validators=None) -> bool:
        """All of a row's errors at once, next to their fields."""
        ok = super().validate(extra_validators)
        if not (self.check.data or "").strip():
            if any((f.data or "").strip() for f in (self.min, self.max)):
                self.check.errors.append(_l("Say what is checked, or empty the row."))
                ok = False
            return ok
        low, high = _reading_bound(self.min.data), _reading_bound(self.max.data)
        if self.kind.data == "pass_fail" and (low or high):
            self.min.errors.append(_l("A pass/fail item has no lowest or highest value."))
            ok = False
        for field, value in ((self.min, low), (self.max, high)):
            if value is not None:
                try:
                    Decimal(value)
                except InvalidOperation:
                    field.errors.append(_l("A number, e.g. 1,5."))
                    ok = False
        bounded = not self.min.errors and not self.max.errors and low and high
        if bounded and Decimal(low) > Decimal(high):
            self.max.errors.append(_l("Not below the lowest value."))
            ok = False
        return ok


def checklist_items(rows: list[ChecklistItemForm]) -> list[dict[str, Any]]:
    """The filled rows as checklist items for the service: an empty row is left out, a new row
    gets a key made from its label (unique in the checklist)."""
    from central.frameworks.services import code_from

    keys = {row.key.data for row in rows if row.key.data and (row.check.data or "").strip()}
    items: list[dict[str, Any]] = []
    for row in rows:
        label = (row.check.data or "").strip()
        if not label:
            continue
        key = row.key.data
        if not key:
            key = code_from(label, keys, max_len=CHECKLIST_KEY_LENGTH)
            keys.add(key)
        reading = row.kind.data == "reading"
        item: dict[str, Any] = {
            "key": key,
            "label": label,
            "kind": row.kind.data,
            "min": _reading_bound(row.min.data) if reading else None,
            "max": _reading_bound(row.max.data) if reading else None,
        }
        if row.critical.data:
            item["critical"] = True
        items.append(item)
    return items


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FrameworkForm(CentralForm):
    """Renders a framework; its values load through FrameworkSchema (in the service), which
    decides what is required and how long a text may be."""

    reference = StringField(
        _l("Reference"),
        render_kw={"required": True, "maxlength": REFERENCE_LENGTH},
        description=_l("The procurement reference, e.g. RSL-2025-BK-01."),
    )
    title = StringField(_l("Title"), render_kw={"required": True, "maxlength": TITLE_LENGTH})
    reserved = BooleanField(
        _l("Reserved for the social economy (art. 15)"),
        description=_l("Only recognised social-economy providers can then be awarded."),
    )
    start_date = DateField(_l("Start date"), validators=[InputRequired(_l("Enter a date"))])
    end_date = DateField(_l("End date"), validators=[InputRequired(_l("Enter a date"))])
    term_justification = TextAreaField(
        _l("Justification of a term over 4 years"),
        render_kw={"maxlength": LONG_TEXT},
        description=_l("Only for an exceptional case (art. 43 § 1); leave empty otherwise."),
    )
    estimated_value = StringField(
        _l("Estimated value (EUR, excl. VAT)"), render_kw={"required": True}
    )
    max_value = StringField(
        _l("Maximum value (EUR, excl. VAT)"),
        render_kw={"required": True},
        description=_l("No work is planned beyond this amount."),
    )
    social_target_percent = StringField(_l("Social-economy spend target (%)"), default="0")
    revision_clause = TextAreaField(
        _l("Price revision clause"),
        render_kw={"maxlength": LONG_TEXT},
        description=_l(
            "As the procurement documents state it, e.g. an index formula; a price revision "
            "during the term applies only this clause."
        ),
    )
    # SPEC 7.2: the procedure on record.
    procedure = SelectField(
        _l("Procedure"),
        choices=[("", _l("— not yet recorded —")), *PROCEDURE_LABELS.items()],
        default="",
    )
    cpv_codes = TextAreaField(
        _l("CPV codes"),
        validators=[Optional(), Length(max=400)],
        description=_l(
            "The main object first, then any additional codes; one per line or separated by "
            "commas, with the check digit, e.g. 50413200-5."
        ),
    )
    notice_references = TextAreaField(
        _l("Notice references"),
        validators=[Optional(), Length(max=1200)],
        description=_l(
            "One per line: the EU notice (e.g. 2026/S 012-034567 or 123456-2026) and the "
            "national one (e-Procurement)."
        ),
    )
    award_decision_date = DateField(_l("Date of the award decision"), validators=[Optional()])
    standstill_end = DateField(
        _l("Last day of the standstill period"),
        validators=[Optional()],
        description=_l("The framework is concluded only after it."),
    )

    def fill_lists(self, framework: Any) -> None:
        """The framework's lists as the text areas show them (one per line)."""
        self.cpv_codes.data = "\n".join(framework.cpv_codes or [])
        self.notice_references.data = "\n".join(framework.notice_references or [])

    def values(self) -> dict[str, Any]:
        return {
            "reference": self.reference.data,
            "title": self.title.data,
            "reserved": self.reserved.data,
            "start_date": self.start_date.data,
            "end_date": self.end_date.data,
            "term_justification": self.term_justification.data,
            "estimated_value": amount_input(self.estimated_value.data),
            "max_value": amount_input(self.max_value.data),
            "social_target_percent": amount_input(self.social_target_percent.data) or "0",
            "revision_clause": self.revision_clause.data,
            "procedure": self.procedure.data or None,
            "cpv_codes": [c for c in re.split(r"[\s,;]+", self.cpv_codes.data or "") if c],
            "notice_references": [
                line.strip()
                for line in (self.notice_references.data or "").splitlines()
                if line.strip()
            ],
            "award_decision_date": self.award_decision_date.data,
            "standstill_end": self.standstill_end.data,
        }


class LotForm(CentralForm):
    """Renders a lot; its values load through LotSchema (in the service), which decides the
    limits. A setting the request leaves out keeps its value (as in the API)."""

    number = IntegerField(_l("Number"), validators=[InputRequired(_l("Enter a number"))])
    title = StringField(_l("Title"), render_kw={"required": True, "maxlength": TITLE_LENGTH})
    service_type = StringField(
        _l("Service type"),
        render_kw={"required": True, "maxlength": CODE_LENGTH},
        description=_l(
            "In words or as a code, e.g. Green maintenance or hydrant_maintenance; kept as a code "
            "(green_maintenance)."
        ),
    )
    reserved = BooleanField(_l("Reserved for the social economy (art. 15)"))
    max_value = StringField(
        _l("Maximum value of this lot (EUR, excl. VAT)"), description=_l("Optional.")
    )
    max_tasks_per_round = IntegerField(
        _l("Tasks per round at most"),
        default=25,
        validators=[InputRequired(_l("Enter a number"))],
        description=_l("One crew-day."),
    )
    planning_horizon_days = IntegerField(
        _l("Planning horizon (days)"),
        default=28,
        validators=[InputRequired(_l("Enter a number"))],
    )
    urgent_days = IntegerField(
        _l("Urgent needs within (days)"),
        default=7,
        validators=[InputRequired(_l("Enter a number"))],
    )
    crew_day_minutes = IntegerField(
        _l("Working time of a crew-day (minutes)"),
        default=450,
        validators=[RequiredWhenSent(_l("Enter a number"))],
        description=_l(
            "A round's time on site plus its travel time fits in this; 450 is 7 h 30 min."
        ),
    )
    travel_kmh = IntegerField(
        _l("Average travel speed (km/h)"),
        default=30,
        validators=[RequiredWhenSent(_l("Enter a number"))],
        description=_l("Travel time is the length of a round's route at this speed."),
    )
    # SPEC 7.3 (Ghent): the lot's social clause, fixed once the framework is active.
    social_clause_kind = SelectField(
        _l("Social clause"),
        choices=[
            ("", _l("None")),
            ("subcontracting_share", _l("Share subcontracted to the social economy (%)")),
            ("target_group_hours", _l("Target-group hours per EUR 10,000")),
        ],
        validate_choice=False,
    )
    social_clause_target = StringField(
        _l("Target of the social clause"),
        description=_l(
            "A percent of the lot's accepted value (e.g. 15), or target-group hours per "
            "EUR 10,000 of accepted value (e.g. 40)."
        ),
    )

    def social_clause(self) -> dict[str, Any] | None:
        kind = self.social_clause_kind.data or ""
        target = amount_input(self.social_clause_target.data)
        if not kind and target in (None, ""):
            return None
        return {"kind": kind, "target": target}

    def values(self) -> dict[str, Any]:
        return {
            "social_clause": self.social_clause(),
            "number": self.number.data,
            "title": self.title.data,
            "service_type": self.service_type.data,
            "reserved": self.reserved.data,
            "max_value": amount_input(self.max_value.data),
            "max_tasks_per_round": self.max_tasks_per_round.data,
            "planning_horizon_days": self.planning_horizon_days.data,
            "urgent_days": self.urgent_days.data,
            "crew_day_minutes": self.crew_day_minutes.data,
            "travel_kmh": self.travel_kmh.data,
        }


EMPTY_CHECKLIST_ROWS = 3  # empty rows under the checklist's items, for new ones


class TaskTypeForm(CentralForm):
    """Renders a task type; its values load through TaskTypeSchema (in the service), its
    checklist's rows are checked here, row by row."""

    code = StringField(
        _l("Code"),
        render_kw={"maxlength": CODE_LENGTH},
        description=_l(
            "Leave empty to make it from the name. Letters, digits, - and _, in any case "
            "(kept in lower case), e.g. hydrant_inspection."
        ),
    )
    name = StringField(_l("Name"), render_kw={"required": True, "maxlength": TITLE_LENGTH})
    items = FieldList(FormField(ChecklistItemForm), min_entries=EMPTY_CHECKLIST_ROWS)
    follow_up = SelectField(
        _l("Follow-up task type for a defect"),
        choices=[],
        validate_choice=False,
        description=_l("The need a defect creates gets this task type."),
    )
    service_minutes = IntegerField(
        _l("Time on site per task (minutes)"),
        default=15,
        validators=[RequiredWhenSent(_l("Enter a number"))],
        description=_l(
            "With the travel time, this decides how many tasks fit in a crew-day of the lot."
        ),
    )
    change_id = SelectField(
        _l("Recorded change"),
        choices=[],
        validate_choice=False,
        description=_l("On an active framework, the change that allows it (record it first)."),
    )

    def show_items(self, items: list[dict[str, Any]]) -> None:
        """Rows for a task type's checklist, and empty rows to add to it."""
        while self.items.entries:
            self.items.pop_entry()
        for item in items:
            self.items.append_entry(
                {
                    "key": item["key"],
                    "check": item["label"],
                    "kind": item["kind"],
                    "min": _shown_bound(item.get("min")),
                    "max": _shown_bound(item.get("max")),
                    "critical": bool(item.get("critical")),
                }
            )
        self.add_rows()

    def add_rows(self, count: int = EMPTY_CHECKLIST_ROWS) -> None:
        for _ in range(count):
            self.items.append_entry()

    def values(self, follow_ups: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "code": (self.code.data or "").strip(),
            "name": self.name.data,
            "checklist": checklist_items(list(self.items)),
            "follow_up": follow_ups.get(self.follow_up.data or ""),
            "service_minutes": self.service_minutes.data,
            "change_id": _chosen_id(self.change_id.data),
        }


def _chosen_id(raw: Any) -> int | None:
    """A chosen id from a select; empty: none."""
    return int(raw) if raw and str(raw).isdigit() else None


def _shown_bound(value: Any) -> str:
    """A stored bound as the reader writes it (1,5 in Dutch)."""
    if value in (None, ""):
        return ""
    text = str(value)
    return text.replace(".", ",") if str(get_locale() or "nl").startswith("nl") else text


class PriceForm(CentralForm):
    task_type = SelectField(_l("Task type"), choices=[], validate_choice=False)
    provider_id = SelectField(
        _l("Provider"),
        choices=[],
        validate_choice=False,
        description=_l(
            "A provider's own tendered price overrides the common line for it; the common line "
            "applies to every provider without one."
        ),
    )
    unit = SelectField(
        _l("Unit"),
        choices=[
            ("piece", _l("piece")),
            ("m", _l("metre")),
            ("m2", _l("square metre")),
            ("hour", _l("hour")),
        ],
    )
    unit_price = StringField(_l("Unit price (EUR, excl. VAT)"), render_kw={"required": True})
    vat_rate = StringField(_l("VAT rate (%)"), default="21")
    valid_from = DateField(
        _l("Valid from"),
        validators=[InputRequired(_l("Enter a date"))],
        description=_l("The price counts from this date on; earlier work keeps its price."),
    )
    as_tendered = BooleanField(
        _l("As tendered"),
        description=_l(
            "The price in the provider's tender, valid from the framework's start: on a draft, "
            "or once on an active framework for a provider without a price of its own."
        ),
    )
    change_id = SelectField(
        _l("Recorded change"),
        choices=[],
        validate_choice=False,
        description=_l("On an active framework, any other new price needs a recorded change."),
    )

    def values(self) -> dict[str, Any]:
        return {
            "task_type": self.task_type.data,
            "as_tendered": bool(self.as_tendered.data),
            "change_id": _chosen_id(self.change_id.data),
            "provider_id": self.provider_id.data or None,
            "unit": self.unit.data,
            "unit_price": amount_input(self.unit_price.data),
            "vat_rate": amount_input(self.vat_rate.data),
            "valid_from": self.valid_from.data,
        }


class AwardForm(CentralForm):
    provider_id = SelectField(_l("Provider"), choices=[], coerce=int, validate_choice=False)
    rank = IntegerField(
        _l("Rank"),
        validators=[InputRequired(_l("Enter a number"))],
        description=_l("1 gets the work first."),
    )
    weekly_capacity = IntegerField(
        _l("Capacity (tasks a week)"), validators=[InputRequired(_l("Enter a number"))]
    )

    def values(self) -> dict[str, Any]:
        return {
            "provider_id": self.provider_id.data,
            "rank": self.rank.data,
            "weekly_capacity": self.weekly_capacity.data,
        }


class BeneficiariesForm(CentralForm):
    organisation_ids = MultiCheckboxField(_l("Authorities"), choices=[], coerce=int)


class AccessionForm(CentralForm):
    lot_ids = MultiCheckboxField(_l("Lots"), choices=[], coerce=int)
    order_reference = StringField(
        _l("Order reference or budget key"),
        render_kw={"required": True, "maxlength": ORDER_REFERENCE_LENGTH},
        description=_l("Printed on your statements."),
    )


class ReasonForm(CentralForm):
    reason = TextAreaField(_l("Reason"), render_kw={"required": True, "maxlength": LONG_TEXT})


class ConfirmForm(CentralForm):
    """An empty form: a POST with a CSRF token, for confirmed actions."""


class ChangeForm(CentralForm):
    """A change of an active framework on a legal ground (SPEC 7.2)."""

    kind = SelectField(
        _l("Legal ground"),
        choices=[],
        validators=[DataRequired(_l("Choose the legal ground."))],
    )
    lot_id = SelectField(
        _l("Lot"),
        choices=[],
        validate_choice=False,
        description=_l("A lot's maximum is raised too; none: the framework as a whole."),
    )
    description = TextAreaField(
        _l("Description"), render_kw={"required": True, "maxlength": LONG_TEXT}
    )
    justification = TextAreaField(
        _l("Justification"),
        render_kw={"maxlength": LONG_TEXT},
        description=_l("Required for additional services and unforeseen circumstances."),
    )
    value = StringField(
        _l("Effect on the maximum (EUR, excl. VAT)"),
        default="0",
        description=_l("Signed: a positive amount raises the maximum, e.g. 450,00 or -1.000,00."),
    )
    effective_from = DateField(
        _l("Takes effect on"), validators=[InputRequired(_l("Enter a date"))]
    )
    old_provider_id = SelectField(_l("Provider replaced"), choices=[], validate_choice=False)
    new_provider_id = SelectField(
        _l("Provider taking its place"), choices=[], validate_choice=False
    )

    def values(self) -> dict[str, Any]:
        raw = (self.value.data or "0").strip()
        negative = raw.startswith("-")
        amount = amount_input(raw.lstrip("-")) or "0"
        return {
            "kind": self.kind.data,
            "lot_id": _chosen_id(self.lot_id.data),
            "description": self.description.data,
            "justification": self.justification.data or None,
            "value": f"-{amount}" if negative else amount,
            "effective_from": self.effective_from.data,
            "old_provider_id": _chosen_id(self.old_provider_id.data),
            "new_provider_id": _chosen_id(self.new_provider_id.data),
        }

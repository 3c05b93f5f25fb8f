"""Forms of the round pages (moving a round within its week, confirming a cancellation) and of
a provider's crews and closures."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from central.core.forms import CentralForm


class MoveRoundForm(CentralForm):
    scheduled_date = DateField(
        _l("Day of the round"),
        validators=[InputRequired(message=_l("Enter a date."))],
        description=_l("Any day of the same week."),
    )


class ConfirmForm(CentralForm):
    """An empty form: a POST with a CSRF token, for confirmed actions."""


class CrewForm(CentralForm):
    """A provider's crew (§7.5)."""

    name = StringField(
        _l("Name of the crew"),
        validators=[InputRequired(message=_l("Enter the crew's name.")), Length(max=100)],
    )
    days_per_week = IntegerField(
        _l("Days a week"),
        default=5,
        validators=[
            InputRequired(message=_l("Between 1 and 7 days a week.")),
            NumberRange(min=1, max=7, message=_l("Between 1 and 7 days a week.")),
        ],
        description=_l("A crew does one round a day."),
    )


class ClosureForm(CentralForm):
    """Days the provider, or one crew, does not work (§7.5)."""

    start_date = DateField(_l("From"), validators=[InputRequired(message=_l("Enter a date."))])
    end_date = DateField(
        _l("Until"),
        validators=[InputRequired(message=_l("Enter a date."))],
        description=_l("The last closed day."),
    )
    reason = StringField(
        _l("Reason"),
        validators=[
            InputRequired(message=_l("Say why (holiday, training, a sick crew).")),
            Length(max=200),
        ],
    )
    crew_id = SelectField(_l("Who is closed"), coerce=int, default=0)

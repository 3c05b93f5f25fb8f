"""Forms of the round pages: moving a round within its week, and confirming a cancellation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import InputRequired


class MoveRoundForm(FlaskForm):
    scheduled_date = DateField(
        _l("Day of the round"),
        validators=[InputRequired(message=_l("Enter a date."))],
        description=_l("Any day of the same week."),
    )


class ConfirmForm(FlaskForm):
    """An empty form: a POST with a CSRF token, for confirmed actions."""

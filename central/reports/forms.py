"""Forms of the reports pages; the services check the rules, the forms only the shape."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange


class BudgetForm(FlaskForm):
    year = IntegerField(
        _l("Year"),
        validators=[
            InputRequired(_l("Enter the year")),
            NumberRange(2000, 2100, _l("Give a year from 2000 to 2100")),
        ],
    )
    maintenance_budget = StringField(
        _l("Maintenance budget (euro)"),
        description=_l("The whole maintenance budget of your authority for that year."),
        validators=[DataRequired(_l("Enter an amount"))],
    )


class CreditForm(FlaskForm):
    amount = StringField(
        _l("Amount to credit, excl. VAT (euro)"),
        validators=[DataRequired(_l("Enter an amount"))],
    )
    vat_rate = SelectField(_l("VAT rate"), choices=[])
    reason = TextAreaField(
        _l("Reason"),
        description=_l("The member sees this on its next statement."),
        validators=[DataRequired(_l("Say why")), Length(max=2000)],
    )

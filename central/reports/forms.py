"""Forms of the reports pages; the services check the rules, the forms only the shape."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from central.core.forms import CentralForm


class BudgetForm(CentralForm):
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
    social_target_percent = StringField(
        _l("Target for the social economy (percentage of the budget)"),
        description=_l("For example 15. Left empty, the target you set before is kept."),
        validators=[Optional()],
    )


class ExternalSpendForm(CentralForm):
    year = IntegerField(
        _l("Year"),
        validators=[
            InputRequired(_l("Enter the year")),
            NumberRange(2000, 2100, _l("Give a year from 2000 to 2100")),
        ],
    )
    provider_name = StringField(
        _l("Social-economy provider"),
        validators=[DataRequired(_l("Enter the provider's name")), Length(max=200)],
    )
    enterprise_number = StringField(
        _l("Enterprise number"),
        description=_l("Ten digits, e.g. 0123.456.749."),
        validators=[DataRequired(_l("Enter the enterprise number"))],
    )
    social_economy_status = SelectField(_l("Recognition"), choices=[])
    amount = StringField(
        _l("Amount excl. VAT (euro)"), validators=[DataRequired(_l("Enter an amount"))]
    )
    description = TextAreaField(_l("What was bought"), validators=[Optional(), Length(max=2000)])


class CreditForm(CentralForm):
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

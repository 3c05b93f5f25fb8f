"""The admin's organisation form."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import Length, Optional

from central.core.forms import CentralForm
from central.labels import SOCIAL_STATUS_LABELS
from central.organisations.models import (
    INVOICE_PREFIX_LENGTH,
    NAME_LENGTH,
    RECOGNISED_STATUSES,
)


class OrganisationForm(CentralForm):
    """Renders an organisation; its values load through OrganisationSchema (in the service)."""

    name = StringField(_l("Name"), render_kw={"required": True, "maxlength": NAME_LENGTH})
    kind = SelectField(
        _l("Kind"),
        choices=[
            ("authority", _l("Authority")),
            ("provider", _l("Provider")),
            ("fire_zone", _l("Fire zone")),
            ("water_company", _l("Water company")),
        ],
    )
    enterprise_number = StringField(
        _l("Enterprise number (KBO)"),
        render_kw={"required": True},
        description=_l("Ten digits, e.g. 0207.446.673."),
    )
    nis_code = StringField(
        _l("NIS code"),
        description=_l("Five digits; municipalities only."),
    )
    email = EmailField(_l("E-mail address"))
    invoice_prefix = StringField(
        _l("Invoice prefix"),
        default="CEN-",
        validators=[Length(max=INVOICE_PREFIX_LENGTH)],
        description=_l(
            "Providers: invoice numbers read {prefix}{year}-00001, e.g. CEN-2026-00001."
        ),
    )
    vat_registered = BooleanField(
        _l("Registered for VAT"),
        default=True,
        description=_l("The VAT number is then BE followed by the enterprise number."),
    )
    iban = StringField(
        _l("IBAN"),
        validators=[Optional(), Length(max=42)],
        description=_l("Providers: the account members pay into, e.g. BE68 5390 0754 7034."),
    )


class RecognitionForm(CentralForm):
    """SPEC 7.2: the admin records a provider's social-economy recognition. Every field is
    checked by the service, so that all errors show at once."""

    status = SelectField(
        _l("Recognition"),
        choices=[(status.value, SOCIAL_STATUS_LABELS[status]) for status in RECOGNISED_STATUSES],
    )
    number = StringField(
        _l("Recognition number"),
        description=_l("As the Flemish government's recognition decision gives it."),
    )
    valid_from = StringField(_l("Valid from"), render_kw={"type": "date"})
    valid_until = StringField(
        _l("Valid until"),
        render_kw={"type": "date"},
        description=_l("Included; leave empty for a recognition without end date."),
    )


class RecognitionCompletionForm(CentralForm):
    """SPEC 7.2: the admin completes a recognition's number or sets its end; its status and
    start stay as recorded (a different recognition is a new one)."""

    number = StringField(
        _l("Recognition number"),
        description=_l("As the Flemish government's recognition decision gives it."),
    )
    valid_until = StringField(
        _l("Valid until"),
        render_kw={"type": "date"},
        description=_l("Included; leave empty for a recognition without end date."),
    )


class SuccessionForm(CentralForm):
    """SPEC 7.2: the admin records a municipal merger, then confirms what moves."""

    successor_id = SelectField(_l("Successor"), coerce=int, choices=[])
    effective_date = StringField(_l("Effective date"), render_kw={"type": "date"})
    code_prefix = StringField(
        _l("Asset code prefix"),
        description=_l(
            "Only when asset codes clash with the successor's: put before the codes that move, "
            "e.g. LED-."
        ),
    )

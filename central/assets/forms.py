"""Forms: an asset, the import file, a service plan and a need."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from central.assets.models import ASSET_TEXT_LENGTHS as LENGTHS
from central.assets.models import (
    MAX_DIAMETER_MM,
    MAX_INTERVAL_MONTHS,
    NEED_ADDRESS_LENGTH,
    NEED_DESCRIPTION_LENGTH,
    PUBLIC_REPORT_LENGTH,
)
from central.core.forms import CentralForm

# What a measure or quantity box takes ("9999999.99" and some room for blanks).
MEASURE_INPUT_LENGTH = 20


class AssetForm(CentralForm):
    """Renders an asset; every field loads through AssetSchema (in the service)."""

    code = StringField(
        _l("Code"),
        render_kw={"required": True, "maxlength": LENGTHS["code"]},
        description=_l("Unique within your authority, e.g. the water company's number."),
    )
    kind = SelectField(_l("Kind"))
    street = StringField(
        _l("Street"),
        render_kw={"required": True, "maxlength": LENGTHS["street"]},
    )
    house_number = StringField(_l("House number"), render_kw={"maxlength": LENGTHS["house_number"]})
    postcode = StringField(_l("Postcode"), render_kw={"maxlength": LENGTHS["postcode"]})
    municipality = StringField(
        _l("Municipality"),
        render_kw={"required": True, "maxlength": LENGTHS["municipality"]},
    )
    lat = FloatField(
        _l("Latitude"), render_kw={"required": True}, description=_l("WGS84, e.g. 50.94653.")
    )
    lon = FloatField(
        _l("Longitude"), render_kw={"required": True}, description=_l("WGS84, e.g. 3.12345.")
    )
    water_company = StringField(
        _l("Water company"), render_kw={"maxlength": LENGTHS["water_company"]}
    )
    diameter_mm = IntegerField(_l("Diameter (mm)"), render_kw={"min": 1, "max": MAX_DIAMETER_MM})
    measure = StringField(
        _l("Measure"),
        render_kw={"maxlength": MEASURE_INPUT_LENGTH},
        description=_l(
            "The size in the unit its work is priced in: a hedge's length in m, a lawn's area "
            "in m². Leave empty for a hydrant."
        ),
    )
    notes = TextAreaField(_l("Notes"), render_kw={"maxlength": LENGTHS["notes"]})


class ImportForm(CentralForm):
    file = FileField(
        _l("Inventory file"),
        validators=[FileRequired(_l("Choose a CSV or XLSX file"))],
        description=_l("CSV or XLSX, at most 20 MB."),
    )


class ImportConfirmForm(CentralForm):
    """Confirms the previewed upload, kept on the server under a random name."""

    upload = HiddenField()


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


MONTHS = [
    (1, _l("January")),
    (2, _l("February")),
    (3, _l("March")),
    (4, _l("April")),
    (5, _l("May")),
    (6, _l("June")),
    (7, _l("July")),
    (8, _l("August")),
    (9, _l("September")),
    (10, _l("October")),
    (11, _l("November")),
    (12, _l("December")),
]


class ServicePlanForm(CentralForm):
    """Renders a service plan; its fields load through ServicePlanSchema (in the service)."""

    lot_task = SelectField(
        _l("Lot and task type"),
        validators=[DataRequired(_l("Choose a lot and task type"))],
        description=_l("Only lots your authority has acceded to."),
    )
    asset_kind = SelectField(_l("Kind of asset"))
    interval_months = IntegerField(
        _l("Every (months)"),
        render_kw={"required": True, "min": 1, "max": MAX_INTERVAL_MONTHS},
    )
    season_months = MultiCheckboxField(
        _l("Season"),
        coerce=int,
        choices=MONTHS,
        description=_l("Months in which the work may be planned; none ticked: all year."),
    )
    active = BooleanField(_l("Active"), default=True)


class NeedTriageForm(CentralForm):
    """Renders a need's triage; its fields load through NeedSchema (in the service)."""

    lot_task = SelectField(_l("Lot and task type"), validators=[Optional()])
    quantity = StringField(
        _l("Quantity"),
        render_kw={"maxlength": MEASURE_INPUT_LENGTH},
        description=_l(
            "In the unit of the task type's price (piece, m, m², hour). Empty: the asset's "
            "measure for work priced per m or m², otherwise 1."
        ),
    )
    priority = SelectField(
        _l("Priority"), choices=[("normal", _l("Normal")), ("urgent", _l("Urgent"))]
    )


class NeedForm(NeedTriageForm):
    """Renders a need; its fields load through NeedSchema (in the service). The asset's code is
    the page's own way to name the asset (the view looks it up)."""

    asset_code = StringField(
        _l("Asset code"),
        validators=[Optional(), Length(max=LENGTHS["code"])],
        description=_l("For a need on one of your assets; leave empty for a place."),
    )
    lat = FloatField(
        _l("Latitude"),
        validators=[Optional()],
        description=_l("Pick the place on the map, or type it (WGS84)."),
    )
    lon = FloatField(_l("Longitude"), validators=[Optional()])
    address = StringField(
        _l("Address of the place"),
        render_kw={"maxlength": NEED_ADDRESS_LENGTH},
        description=_l("For a need on a place: the street and number, or a description."),
    )
    description = TextAreaField(
        _l("What is needed"),
        render_kw={"required": True, "maxlength": NEED_DESCRIPTION_LENGTH},
    )


class PublicReportForm(CentralForm):
    """A passer-by's report on a hydrant (SPEC 7.4); the service checks the values."""

    category = SelectField(_l("What is wrong?"), validators=[DataRequired(_l("Choose one"))])
    text = TextAreaField(
        _l("Describe the problem"),
        validators=[
            DataRequired(_l("Describe the problem")),
            Length(max=PUBLIC_REPORT_LENGTH),
        ],
        render_kw={"rows": 5},
    )
    photo = FileField(
        _l("Photo (optional)"),
        description=_l("A photo helps the repair crew. Its location data is removed."),
        render_kw={"accept": "image/*"},
    )
    email = EmailField(
        _l("Your e-mail address (optional)"),
        validators=[Optional(), Length(max=254)],
        description=_l("Only if you want to be contacted about your report."),
    )

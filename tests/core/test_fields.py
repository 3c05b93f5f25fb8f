"""The shared input fields (central/core/fields.py): Central's messages, typed values taken as
they are (loading twice is harmless), and each input limit declared once (the model's column)."""

from datetime import date
from decimal import Decimal

import pytest
from marshmallow import Schema, validate
from sqlalchemy import String

from central.assets.models import Asset
from central.assets.schemas import AssetSchema
from central.core.fields import LAST_DATE, Amount, Day, Text, WholeNumber, load
from central.frameworks.models import Accession, Framework, Lot, TaskType
from central.frameworks.schemas import (
    AccessionSchema,
    FrameworkSchema,
    LotSchema,
    TaskTypeSchema,
)
from central.organisations.models import Organisation, Recognition
from central.organisations.schemas import OrganisationSchema, RecognitionSchema


class Example(Schema):
    name = Text(10, required=True, one_line=True, empty="Enter the name")
    amount = Amount()
    count = WholeNumber(1, 5, load_default=2)
    day = Day()


def _errors(values):
    return {name: str(message) for name, message in load(Example(), values)[1].items()}


def test_fields_say_what_is_wrong_in_centrals_words():
    errors = _errors(
        {"name": " ", "amount": "1.001", "count": "9", "day": f"{LAST_DATE.year + 1}-01-01"}
    )
    assert errors == {
        "name": "Enter the name",
        "amount": "At most 2 decimals.",
        "count": "Between 1 and 5.",
        "day": "Between 2000 and 2199.",
    }
    assert _errors({"name": "x" * 11, "amount": 1.5, "count": "", "day": "01/02/2026"}) == {
        "name": "At most 10 characters.",
        "amount": "Give the amount as a string or a whole number.",
        "count": "Enter a whole number.",
        "day": "Enter a date as YYYY-MM-DD.",
    }
    assert _errors({"name": "a\nb", "amount": "-1"}) == {
        "name": "Use no line breaks or control characters.",
        "amount": "Cannot be negative.",
    }
    assert _errors({}) == {"name": "Enter the name"}


def test_typed_values_load_as_they_are_and_blanks_are_empty():
    values = {"name": "  Kaai ", "amount": Decimal("12.5"), "count": 3, "day": date(2026, 5, 1)}
    loaded, errors = load(Example(), values)
    assert errors == {}
    assert loaded == {
        "name": "Kaai",
        "amount": Decimal("12.50"),
        "count": 3,
        "day": date(2026, 5, 1),
    }
    assert load(Example(), loaded) == (loaded, {})  # loading twice is harmless
    assert load(Example(), {"name": "x", "amount": ""}) == (
        {"name": "x", "amount": None, "count": 2, "day": None},
        {},
    )


# Fields whose input is longer than what is stored: the value is normalised (0123.456.789).
NORMALISED = {("Organisation", "enterprise_number")}


@pytest.mark.parametrize(
    ("schema", "model"),
    [
        (FrameworkSchema, Framework),
        (LotSchema, Lot),
        (TaskTypeSchema, TaskType),
        (AccessionSchema, Accession),
        (OrganisationSchema, Organisation),
        (RecognitionSchema, Recognition),
        (AssetSchema, Asset),
    ],
)
def test_an_input_limit_is_the_column_length(schema, model):
    """A text's limit is declared once, by the model (the schema uses the model's constant):
    a schema whose limit differs from its column's has a second declaration."""
    for name, field in schema().fields.items():
        column = model.__table__.columns.get(name)
        if field.dump_only or column is None or not isinstance(column.type, String):
            continue
        if column.type.length is None:  # a Text column: the schema's limit is its only one
            continue
        if (model.__name__, name) in NORMALISED:
            continue
        limits = {v.max for v in field.validators if isinstance(v, validate.Length)}
        assert limits <= {column.type.length}, (model.__name__, name, limits)

"""JSON shapes of assets, service plans, needs and import results (SPEC section 5)."""

from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as SchemaError
from marshmallow.utils import missing

from central.assets.models import ASSET_TEXT_LENGTHS as LENGTHS
from central.assets.models import (
    MAX_DIAMETER_MM,
    MAX_INTERVAL_MONTHS,
    MAX_MEASURE,
    NEED_ADDRESS_LENGTH,
    NEED_DESCRIPTION_LENGTH,
    STATUS_NOTE_LENGTH,
    AssetStatus,
    NeedPriority,
    NeedStatus,
    ServiceAvailability,
    StatusChangeReason,
)
from central.core.errors import N_, Message
from central.core.fields import Choice, Coordinate, Number, Text, WholeNumber


class Measure(Number):
    """An optional measure or quantity ("12.50", "12,50" or a number): above 0, below
    MAX_MEASURE, at most two decimals; anything else is one message. Documented as a string
    (SPEC: decimals travel as strings), without decimal bounds in the OpenAPI document."""

    invalid = N_("Give a number above 0 and below 10,000,000, with at most two decimals.")

    def __init__(self, description: str) -> None:
        super().__init__(
            metadata={
                "description": description,
                "type": "string",
                "pattern": r"^[0-9]{1,7}(\.[0-9]{1,2})?$",
                "example": "40.50",
            },
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool):
            raise SchemaError(self.invalid)
        try:
            number = Decimal(self._text(value))
        except InvalidOperation:
            raise SchemaError(self.invalid) from None
        cent = Decimal("0.01")
        if (
            not number.is_finite()
            or not 0 < number < MAX_MEASURE
            or number != number.quantize(cent)
        ):
            raise SchemaError(self.invalid)
        return number.quantize(cent)


class Millimetres(WholeNumber):
    """A pipe's diameter in whole millimetres, 1 to MAX_DIAMETER_MM; a JSON number with no
    fraction (100.0) is that whole number, as the API has always taken it."""

    def __init__(self) -> None:
        super().__init__(1, MAX_DIAMETER_MM, out_of_range=N_("Between 1 and 2000"))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._deserialize(value, attr, data, **kwargs)


POSITION = N_("Give the position as latitude and longitude.")
PLACE = N_("Choose an asset, or pick the place on the map.")
UNKNOWN_LOT = N_("Unknown lot.")


class AssetSchema(Schema):
    id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    code = Text(LENGTHS["code"], required=True, empty=N_("Enter the asset's code."))
    kind = Text(
        required=True,
        empty=N_("Choose the kind of asset."),
        metadata={"description": "An asset kind's code."},
    )
    street = Text(LENGTHS["street"], required=True, empty=N_("Enter the street."))
    house_number = Text(LENGTHS["house_number"])
    postcode = Text(LENGTHS["postcode"])
    municipality = Text(LENGTHS["municipality"], required=True, empty=N_("Enter the municipality."))
    lat = Coordinate(required=True, empty=N_("Enter the latitude"), invalid=POSITION)
    lon = Coordinate(required=True, empty=N_("Enter the longitude"), invalid=POSITION)
    water_company = Text(LENGTHS["water_company"])
    diameter_mm = Millimetres()
    measure = Measure(
        "The asset's size in the unit its services are priced in (a hedge's length in m, "
        "a lawn's area in m²); the quantity of its tasks priced per m or m². null: not known."
    )
    notes = Text(LENGTHS["notes"])
    status = fields.String(
        validate=validate.OneOf([s.value for s in AssetStatus]),
        metadata={"description": "PATCH `retired` retires the asset; a retired one stays so."},
    )
    service_status = fields.String(
        dump_only=True,
        metadata={
            "description": "Whether it can serve the fire brigade (SPEC 7.4): "
            + ", ".join(s.value for s in ServiceAvailability)
            + ". Changed by results, POST /assets/{id}/repaired and /out-of-service."
        },
    )


class ImportResultSchema(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    retired = fields.Integer(metadata={"description": "Rows of retired assets (they stay so)."})
    dry_run = fields.Boolean()
    ignored_columns = fields.List(fields.String())


class SeasonMonths(fields.List):
    """Month numbers 1-12 (given as numbers or their digits); absent, null, "" or [] is None:
    all year."""

    invalid = N_("Season months are month numbers from 1 to 12.")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            fields.Integer(validate=validate.Range(min=1, max=12)),
            allow_none=True,
            load_default=None,
            **kwargs,
        )

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any):
        if value is missing or value in (None, "", [], ()):
            return None
        if not isinstance(value, list | tuple):
            raise SchemaError(self.invalid)
        months = []
        for month in value:
            if isinstance(month, bool) or not isinstance(month, int | str):
                raise SchemaError(self.invalid)
            if isinstance(month, str) and not month.strip().isdigit():
                raise SchemaError(self.invalid)
            if not 1 <= int(month) <= 12:
                raise SchemaError(self.invalid)
            months.append(int(month))
        return months


class ServicePlanSchema(Schema):
    id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    lot_id = WholeNumber(required=True, empty=N_("Choose a lot."), out_of_range=UNKNOWN_LOT)
    task_type = Text(
        required=True,
        empty=N_("Choose a task type."),
        metadata={"description": "A task type's code."},
    )
    asset_kind = Text(metadata={"description": "null: every kind."})
    interval_months = WholeNumber(
        1,
        MAX_INTERVAL_MONTHS,
        required=True,
        empty=N_("Enter the interval in months"),
        out_of_range=N_("Between 1 and 120 months"),
    )
    season_months = SeasonMonths(
        attribute="season_month_list",
        data_key="season_months",
        metadata={"description": "Months 1-12 in which the work is planned; null: all year."},
    )
    active = fields.Boolean(load_default=True)


class NeedSchema(Schema):
    id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    lot_id = WholeNumber(out_of_range=UNKNOWN_LOT)
    asset_id = fields.Integer(allow_none=True, load_default=None)
    lat = Coordinate(invalid=PLACE)
    lon = Coordinate(invalid=PLACE)
    address = Text(NEED_ADDRESS_LENGTH)
    task_type = Text()
    quantity = Measure(
        "The task's quantity in its price's unit; null: the asset's measure for work priced "
        "per m or m², otherwise 1."
    )
    description = Text(NEED_DESCRIPTION_LENGTH, required=True, empty=N_("Describe what is needed"))
    priority = Choice(
        NeedPriority,
        invalid=N_("Choose normal or urgent."),
        load_default=NeedPriority.NORMAL.value,
        if_empty=NeedPriority.NORMAL.value,
    )
    status = fields.String(
        validate=validate.OneOf([s.value for s in NeedStatus]),
        metadata={"description": "Set by planning; a member may PATCH `cancelled`."},
    )
    source = fields.String(dump_only=True)
    task_id = fields.Integer(dump_only=True, allow_none=True)


class StatusChangeSchema(Schema):
    """One change of an asset's service status: who, when, why."""

    id = fields.Integer(dump_only=True)
    asset_id = fields.Integer(dump_only=True)
    from_status = fields.String(dump_only=True)
    to_status = fields.String(dump_only=True)
    reason = fields.String(
        dump_only=True,
        metadata={"description": ", ".join(r.value for r in StatusChangeReason)},
    )
    task_id = fields.Integer(dump_only=True, allow_none=True)
    need_id = fields.Integer(dump_only=True, allow_none=True)
    actor_id = fields.Integer(dump_only=True, allow_none=True)
    note = fields.String(dump_only=True, allow_none=True)
    changed_at = fields.DateTime(dump_only=True)


class StatusNoteSchema(Schema):
    """POST /assets/{id}/repaired and /out-of-service: an optional note (and, putting it out of
    service while triaging a public report, that report's need id)."""

    note = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=STATUS_NOTE_LENGTH)
    )
    need_id = fields.Integer(allow_none=True, load_default=None)


class PublicLinkSchema(Schema):
    """An asset's public report link (SPEC 7.4), for its member to print on a label."""

    asset_id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    public_url = fields.String(dump_only=True)


def _id_filter(name: str) -> fields.Integer:
    return fields.Integer(
        error_messages={"invalid": N_("Not a number.")},
        metadata={"refusal": Message(N_("%(name)s must be a number."), name=name)},
    )


class AssetFilterSchema(Schema):
    """The query string of the list of assets: each given filter must match."""

    member_id = _id_filter("member_id")
    kind = fields.String()
    status = fields.String()
    municipality = fields.String()
    code = fields.String()
    service_status = fields.String()


class NeedFilterSchema(Schema):
    """The query string of the list of needs: each given filter must match."""

    status = fields.String()
    priority = fields.String()
    asset_id = _id_filter("asset_id")
    lot_id = _id_filter("lot_id")
    member_id = _id_filter("member_id")


class GeoJsonQuerySchema(Schema):
    """The query string of the assets' GeoJSON."""

    member = fields.Integer(
        validate=validate.Range(min=1, max=2**31 - 1, error=N_("Not a number.")),
        error_messages={"invalid": N_("Not a number.")},
        metadata={
            "description": "Only this member authority's assets.",
            "refusal": N_("member must be a number."),
        },
    )


class ImportQuerySchema(Schema):
    """The query string of an import: `dry_run` (1, true or yes, in any case) only previews."""

    dry_run = fields.Function(
        deserialize=lambda raw: raw.lower() in ("1", "true", "yes"),
        load_default=False,
        metadata={"type": "boolean", "default": False},
    )

"""JSON shapes of assets, service plans, needs and import results (SPEC section 5)."""

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate

from central.assets.models import ASSET_TEXT_LENGTHS as LENGTHS
from central.assets.models import (
    MAX_MEASURE,
    NEED_DESCRIPTION_LENGTH,
    STATUS_NOTE_LENGTH,
    AssetStatus,
    NeedPriority,
    NeedStatus,
    ServiceAvailability,
    StatusChangeReason,
)
from central.core.errors import N_, Message
from central.core.fields import Text
from central.core.money import has_at_most_places


def _two_decimals(value: Decimal) -> None:
    if not has_at_most_places(value, 2):
        raise ValidationError("At most two decimals.")


def _in_range(value: Decimal) -> None:
    if not Decimal(0) < value < MAX_MEASURE:
        raise ValidationError(f"Must be above 0 and below {MAX_MEASURE}.")


def _measure(description: str) -> fields.Decimal:
    """An optional decimal string ("12.50"): above 0, below 10,000,000, two decimals at most.
    Documented as a string (SPEC: decimals travel as strings); the range is checked by a plain
    validator, so that the OpenAPI document carries no decimal bounds."""
    return fields.Decimal(
        as_string=True,
        allow_nan=False,
        allow_none=True,
        load_default=None,
        validate=[_in_range, _two_decimals],
        metadata={
            "description": description,
            "type": "string",
            "pattern": r"^[0-9]{1,7}(\.[0-9]{1,2})?$",
            "example": "40.50",
        },
    )


class AssetSchema(Schema):
    id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    code = Text(LENGTHS["code"], required=True, empty=N_("Enter the asset's code."))
    kind = fields.String(required=True, metadata={"description": "An asset kind's code."})
    street = Text(LENGTHS["street"], required=True, empty=N_("Enter the street."))
    house_number = Text(LENGTHS["house_number"])
    postcode = Text(LENGTHS["postcode"])
    municipality = Text(LENGTHS["municipality"], required=True, empty=N_("Enter the municipality."))
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    water_company = Text(LENGTHS["water_company"])
    diameter_mm = fields.Integer(allow_none=True, load_default=None)
    measure = _measure(
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


class ServicePlanSchema(Schema):
    id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(required=True)
    task_type = fields.String(required=True, metadata={"description": "A task type's code."})
    asset_kind = fields.String(
        allow_none=True, load_default=None, metadata={"description": "null: every kind."}
    )
    interval_months = fields.Integer(required=True, validate=validate.Range(min=1, max=120))
    season_months = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=12)),
        allow_none=True,
        load_default=None,
        attribute="season_month_list",
        data_key="season_months",
        metadata={"description": "Months 1-12 in which the work is planned; null: all year."},
    )
    active = fields.Boolean(load_default=True)


class NeedSchema(Schema):
    id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(allow_none=True, load_default=None)
    asset_id = fields.Integer(allow_none=True, load_default=None)
    lat = fields.Float(allow_none=True, load_default=None)
    lon = fields.Float(allow_none=True, load_default=None)
    address = fields.String(allow_none=True, load_default=None)
    task_type = fields.String(allow_none=True, load_default=None)
    quantity = _measure(
        "The task's quantity in its price's unit; null: the asset's measure for work priced "
        "per m or m², otherwise 1."
    )
    description = fields.String(
        required=True, validate=validate.Length(min=1, max=NEED_DESCRIPTION_LENGTH)
    )
    priority = fields.String(
        load_default="normal", validate=validate.OneOf([p.value for p in NeedPriority])
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

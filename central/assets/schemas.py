"""JSON shapes of assets, service plans, needs and import results (SPEC section 5)."""

from marshmallow import Schema, fields, validate

from central.assets.models import AssetStatus, NeedPriority, NeedStatus


class AssetSchema(Schema):
    id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(required=True, metadata={"description": "An asset kind's code."})
    street = fields.String(required=True, validate=validate.Length(min=1, max=200))
    house_number = fields.String(allow_none=True, load_default=None)
    postcode = fields.String(allow_none=True, load_default=None)
    municipality = fields.String(required=True, validate=validate.Length(min=1, max=100))
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    water_company = fields.String(allow_none=True, load_default=None)
    diameter_mm = fields.Integer(allow_none=True, load_default=None)
    notes = fields.String(allow_none=True, load_default=None)
    status = fields.String(
        validate=validate.OneOf([s.value for s in AssetStatus]),
        metadata={"description": "PATCH `retired` retires the asset; a retired one stays so."},
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
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    priority = fields.String(
        load_default="normal", validate=validate.OneOf([p.value for p in NeedPriority])
    )
    status = fields.String(
        validate=validate.OneOf([s.value for s in NeedStatus]),
        metadata={"description": "Set by planning; a member may PATCH `cancelled`."},
    )
    source = fields.String(dump_only=True)
    task_id = fields.Integer(dump_only=True, allow_none=True)

"""JSON shapes of rounds and their tasks."""

from marshmallow import EXCLUDE, Schema, fields, validate

from central.core.errors import N_
from central.planning.models import RoundStatus, TaskStatus

# An invalid filter of the rounds answers this message (and a message per filter).
_REFUSAL = {"refusal": N_("The filters are not valid.")}


def _filter_id() -> fields.Integer:
    return fields.Integer(
        validate=validate.Range(min=0, error=N_("Not a number.")),
        error_messages={"invalid": N_("Not a number.")},
        metadata=_REFUSAL,
    )


class RoundFilterSchema(Schema):
    """The filters of the rounds: the API's query string and the rounds pages'."""

    class Meta:
        unknown = EXCLUDE

    framework_id = _filter_id()
    lot_id = _filter_id()
    member_id = _filter_id()
    provider_id = _filter_id()
    status = fields.String(
        validate=validate.OneOf([s.value for s in RoundStatus], error=N_("Not a round status.")),
        metadata=_REFUSAL,
    )
    scheduled_from = fields.Date(
        error_messages={"invalid": N_("Use YYYY-MM-DD.")}, metadata=_REFUSAL
    )
    scheduled_to = fields.Date(error_messages={"invalid": N_("Use YYYY-MM-DD.")}, metadata=_REFUSAL)


class RoundTaskSchema(Schema):
    id = fields.Integer(dump_only=True)
    sequence = fields.Integer(dump_only=True)
    asset_id = fields.Integer(dump_only=True, allow_none=True)
    need_id = fields.Integer(dump_only=True, allow_none=True)
    task_type = fields.String(dump_only=True)
    quantity = fields.Decimal(dump_only=True, as_string=True)
    unit = fields.String(dump_only=True)
    unit_price = fields.Decimal(dump_only=True, as_string=True)
    amount = fields.Decimal(
        dump_only=True,
        as_string=True,
        metadata={"description": "Unit price × quantity, rounded half up to the cent, excl. VAT"},
    )
    vat_rate = fields.Decimal(dump_only=True, as_string=True)
    due_date = fields.Date(dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": [s.value for s in TaskStatus]})
    result = fields.String(dump_only=True, allow_none=True)
    lat = fields.Float(dump_only=True, allow_none=True)
    lon = fields.Float(dump_only=True, allow_none=True)
    place = fields.String(dump_only=True, allow_none=True)


class RoundSchema(Schema):
    id = fields.Integer(dump_only=True)
    framework_id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    provider_id = fields.Integer(dump_only=True, allow_none=True)
    status = fields.String(dump_only=True, metadata={"enum": [s.value for s in RoundStatus]})
    due_date = fields.Date(dump_only=True)
    scheduled_date = fields.Date(allow_none=True)
    route_km = fields.Decimal(dump_only=True, as_string=True)
    planned_minutes = fields.Integer(dump_only=True, allow_none=True)
    task_count = fields.Integer(dump_only=True)


class RoundDetailSchema(RoundSchema):
    tasks = fields.Method("dump_tasks", dump_only=True)

    def dump_tasks(self, round_) -> list:
        from central.planning.queries import stops

        return RoundTaskSchema(many=True).dump(stops(round_))


class MoveRoundSchema(Schema):
    scheduled_date = fields.Date(required=True)


class CrewSchema(Schema):
    """A provider's crew (§7.5): one round a day, on `days_per_week` days."""

    id = fields.Integer(dump_only=True)
    provider_id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    days_per_week = fields.Integer(
        strict=True, load_default=5, validate=validate.Range(min=1, max=7)
    )


class ClosureSchema(Schema):
    """Days the provider, or one crew, does not work (§7.5)."""

    id = fields.Integer(dump_only=True)
    provider_id = fields.Integer(dump_only=True)
    start_date = fields.Date(required=True, data_key="from")
    end_date = fields.Date(required=True, data_key="until")
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    crew_id = fields.Integer(strict=True, allow_none=True, load_default=None)

"""JSON shapes of organisations."""

from marshmallow import Schema, fields, validate

from central.organisations.models import (
    RECOGNISED_STATUSES,
    OrganisationKind,
    SocialEconomyStatus,
)


class OrganisationSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(
        required=True, validate=validate.OneOf([k.value for k in OrganisationKind])
    )
    enterprise_number = fields.String(required=True, validate=validate.Length(max=20))
    nis_code = fields.String(allow_none=True, load_default=None)
    social_economy_status = fields.String(
        validate=validate.OneOf([s.value for s in SocialEconomyStatus]),
        metadata={
            "description": "Read-only (SPEC 7.2): the status of the recognition valid today. A "
            "write of another value answers 409; record a recognition instead."
        },
    )
    email = fields.Email(allow_none=True, load_default=None)
    fire_zone_id = fields.Integer(
        allow_none=True,
        metadata={"description": "An authority's fire zone (SPEC 7.4); its own users may set it."},
    )
    water_company_id = fields.Integer(
        allow_none=True,
        metadata={"description": "An authority's water company; its own users may set it."},
    )
    invoice_prefix = fields.String(
        load_default=None,
        metadata={"description": "Prefix of the provider's invoice numbers.", "example": "CEN-"},
    )
    vat_registered = fields.Boolean(
        load_default=None,
        metadata={"description": "Registered for VAT: the VAT number is BE + the KBO number."},
    )
    vat_number = fields.String(dump_only=True, allow_none=True)
    succeeded_by_id = fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The successor after a municipal merger (SPEC 7.2)."},
    )
    succeeded_on = fields.Date(dump_only=True, allow_none=True)
    iban = fields.String(
        allow_none=True,
        load_default=None,
        metadata={"description": "ISO 13616, checked (mod 97).", "example": "BE68539007547034"},
    )


class RecognitionSchema(Schema):
    """A provider's social-economy recognition (SPEC 7.2)."""

    id = fields.Integer(dump_only=True)
    organisation_id = fields.Integer(dump_only=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf([s.value for s in RECOGNISED_STATUSES]),
    )
    number = fields.String(
        required=True,
        allow_none=True,
        validate=validate.Length(max=50),
        metadata={"description": "The recognition number; none for one the migration made."},
    )
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(
        allow_none=True, load_default=None, metadata={"description": "Included; none: open-ended."}
    )
    to_complete = fields.Boolean(
        dump_only=True,
        metadata={"description": "Made by the migration from a former status: add its number."},
    )
    valid_today = fields.Boolean(dump_only=True)


class SuccessionSchema(Schema):
    """A municipal merger (SPEC 7.2)."""

    successor_id = fields.Integer(required=True)
    effective_date = fields.Date(required=True)
    code_prefix = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "Put before the codes of the assets that move, when they clash."},
    )
    dry_run = fields.Boolean(
        load_default=False,
        metadata={"description": "Only check and count what would move; write nothing."},
    )


class SuccessionResultSchema(Schema):
    predecessor_id = fields.Integer()
    successor_id = fields.Integer()
    effective_date = fields.Date()
    code_prefix = fields.String(allow_none=True)
    moved = fields.Dict(keys=fields.String(), values=fields.Integer())
    recorded = fields.Boolean()

"""JSON shapes of organisations."""

from marshmallow import Schema, fields, validate

from central.organisations.models import OrganisationKind, SocialEconomyStatus


class OrganisationSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(
        required=True, validate=validate.OneOf([k.value for k in OrganisationKind])
    )
    enterprise_number = fields.String(required=True, validate=validate.Length(max=20))
    nis_code = fields.String(allow_none=True, load_default=None)
    social_economy_status = fields.String(
        load_default="none", validate=validate.OneOf([s.value for s in SocialEconomyStatus])
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
    iban = fields.String(
        allow_none=True,
        load_default=None,
        metadata={"description": "ISO 13616, checked (mod 97).", "example": "BE68539007547034"},
    )

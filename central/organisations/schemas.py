"""JSON shapes of organisations, and the one declaration of their input (the API's body, the
admin's forms and the services load through them)."""

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from central.core.errors import N_
from central.core.fields import Choice, Day, EmailAddress, Text
from central.core.validators import (
    normalise_enterprise_number,
    normalise_iban,
    validate_nis_code,
)
from central.organisations.models import (
    NAME_LENGTH,
    RECOGNISED_STATUSES,
    RECOGNITION_NUMBER_LENGTH,
    OrganisationKind,
    SocialEconomyStatus,
)

KINDS = N_("Choose authority, provider, fire zone or water company.")
RECOGNISED = N_(
    "Choose a recognised social-economy status: maatwerkbedrijf, lde or sociale_inschakeling."
)


class OrganisationSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Text(NAME_LENGTH, required=True, empty=N_("Enter the organisation's name."))
    kind = Choice(OrganisationKind, required=True, empty=KINDS, invalid=KINDS)
    # Typed with dots or spaces, kept as 0123.456.789.
    enterprise_number = Text(
        20,
        required=True,
        empty=N_("Enter the enterprise number"),
        normalise=normalise_enterprise_number,
    )
    nis_code = Text(normalise=validate_nis_code)
    social_economy_status = fields.String(
        validate=validate.OneOf([s.value for s in SocialEconomyStatus]),
        metadata={
            "description": "Read-only (SPEC 7.2): the status of the recognition valid today. A "
            "write of another value answers 409; record a recognition instead."
        },
    )
    email = EmailAddress()
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
    iban = Text(
        normalise=normalise_iban,
        metadata={"description": "ISO 13616, checked (mod 97).", "example": "BE68539007547034"},
    )


class RecognitionSchema(Schema):
    """A provider's social-economy recognition (SPEC 7.2)."""

    id = fields.Integer(dump_only=True)
    organisation_id = fields.Integer(dump_only=True)
    status = Choice(
        RECOGNISED_STATUSES,
        required=True,
        empty=RECOGNISED,
        invalid=RECOGNISED,
    )
    number = Text(
        RECOGNITION_NUMBER_LENGTH,
        required=True,
        allow_none=True,  # read: none for a recognition the migration made
        empty=N_("Enter the recognition number."),
        metadata={"description": "The recognition number; none for one the migration made."},
    )
    valid_from = Day(required=True, bounded=False)
    valid_until = Day(bounded=False, metadata={"description": "Included; none: open-ended."})

    @validates_schema(skip_on_field_errors=False)
    def _ends_after_it_starts(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Checked whenever both dates are readable, with the other fields' errors."""
        start, end = data.get("valid_from"), data.get("valid_until")
        if start is not None and end is not None and end < start:
            raise ValidationError(N_("The end comes on or after the start."), "valid_until")

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

"""JSON shapes of budgets, statements and credits (SPEC section 5). Money travels as strings
such as "1234.50"."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from central.organisations.models import RECOGNISED_STATUSES


def _money(**kwargs: Any) -> fields.Decimal:
    return fields.Decimal(as_string=True, places=2, allow_nan=False, **kwargs)


class BudgetSchema(Schema):
    member_id = fields.Integer(dump_only=True)
    year = fields.Integer(dump_only=True)
    maintenance_budget = fields.Raw(
        required=True,
        allow_none=False,
        metadata={
            "type": "string",
            "nullable": True,
            "example": "250000.00",
            "description": "Euro, as a string; null while the member has not entered it.",
        },
    )
    social_target_percent = fields.Raw(
        allow_none=True,
        metadata={
            "type": "string",
            "nullable": True,
            "example": "15.00",
            "description": "The member's own target: the percentage of the budget for the "
            "social economy (§7.1). Left out, the stored one is kept; null clears it.",
        },
    )
    updated_at = fields.DateTime(dump_only=True, allow_none=True)


class ExternalSpendSchema(Schema):
    """Social-economy spend a member declares it made outside the platform (§7.1)."""

    id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    year = fields.Integer(dump_only=True)
    provider_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    enterprise_number = fields.String(
        required=True, metadata={"example": "0123.456.749", "description": "KBO, mod-97 checked."}
    )
    social_economy_status = fields.String(
        required=True,
        metadata={"enum": [s.value for s in RECOGNISED_STATUSES]},
    )
    amount = fields.Raw(
        required=True,
        metadata={"type": "string", "example": "12500.00", "description": "Excl. VAT, positive."},
    )
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    created_at = fields.DateTime(dump_only=True)


class StatementLineSchema(Schema):
    framework_id = fields.Integer()
    framework_reference = fields.String()
    provider_id = fields.Integer()
    provider_name = fields.String()
    lot_id = fields.Integer(allow_none=True)
    kind = fields.String(metadata={"enum": ["work", "credit"]})
    task_type = fields.String()
    task_type_name = fields.String()
    description = fields.String()
    tasks = fields.Integer(metadata={"description": "Tasks on the line (the month's report)."})
    unit = fields.String()
    quantity = fields.Decimal(as_string=True)
    unit_price = _money()
    vat_rate = _money()
    amount = _money()


class VatSchema(Schema):
    framework_id = fields.Integer()
    provider_id = fields.Integer()
    vat_rate = _money()
    base = _money()
    vat = _money()


class StatementSchema(Schema):
    """A statement: the month's accepted work (a report) or an issued statement (with `id`,
    `number`, `issued_at`, `order_reference`, `document_type`, `payment_reference`, `corrects`):
    an invoice in the provider's name, or a credit note when its total is negative."""

    id = fields.Integer(allow_none=True)
    number = fields.String(
        allow_none=True,
        metadata={"description": "In the provider's series: {invoice_prefix}{year}-{n:05d}."},
    )
    document_type = fields.String(allow_none=True, metadata={"enum": ["invoice", "credit_note"]})
    payment_reference = fields.String(
        allow_none=True,
        metadata={
            "description": "Belgian structured communication.",
            "example": "+++202/6000/00192+++",
        },
    )
    corrects = fields.List(
        fields.Integer(),
        allow_none=True,
        metadata={"description": "Ids of the statements whose credits this one carries."},
    )
    provider_vat_number = fields.String(allow_none=True)
    provider_iban = fields.String(allow_none=True)
    issued_at = fields.DateTime(allow_none=True)
    order_reference = fields.String(allow_none=True)
    framework_id = fields.Integer(allow_none=True)
    provider_id = fields.Integer(allow_none=True)
    member_id = fields.Integer()
    month = fields.String(metadata={"example": "2025-11"})
    lines = fields.List(fields.Nested(StatementLineSchema))
    vat_breakdown = fields.List(fields.Nested(VatSchema))
    total_excl_vat = _money()
    vat = _money()
    total_incl_vat = _money()


class CreditSchema(Schema):
    id = fields.Integer(dump_only=True)
    corrects_statement_id = fields.Integer(dump_only=True)
    framework_id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    provider_id = fields.Integer(dump_only=True)
    amount = fields.Raw(
        required=True,
        metadata={"type": "string", "example": "37.00", "description": "Excl. VAT, positive."},
    )
    vat_rate = fields.Raw(
        load_default=None,
        metadata={
            "type": "string",
            "nullable": True,
            "example": "21.00",
            "description": "Default: the statement's rate when it has only one.",
        },
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    decided_at = fields.DateTime(dump_only=True)
    statement_id = fields.Integer(dump_only=True, allow_none=True)

"""JSON shapes of frameworks, lots, task types, prices, awards, beneficiaries and accessions
(SPEC section 5). Money and decimals travel as strings such as "1234.50"."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from central.core.clock import today
from central.core.errors import N_, Message
from central.core.fields import (
    LONG_TEXT,
    Amount,
    Choice,
    Day,
    Number,
    Part,
    Text,
    Texts,
    WholeNumber,
)
from central.frameworks import cpv
from central.frameworks.models import (
    CHECKLIST_KEY_LENGTH,
    CHECKLIST_LABEL_LENGTH,
    CODE_LENGTH,
    MAX_CHECKLIST_ITEMS,
    MAX_CLAUSE_TARGET,
    MAX_CPV_CODES,
    MAX_DESCRIPTION,
    MAX_LOT_NUMBER,
    MAX_NOTE,
    MAX_NOTICES,
    MAX_RANK,
    MAX_TARGET,
    MAX_TASKS_PER_ROUND,
    MAX_TRAVEL_KMH,
    MAX_WEEKLY_CAPACITY,
    MINUTES_A_DAY,
    ORDER_REFERENCE_LENGTH,
    REFERENCE_LENGTH,
    TITLE_LENGTH,
    AccessionStatus,
    ActionKind,
    ActionUnit,
    ChangeKind,
    ChecklistKind,
    FrameworkStatus,
    PriceUnit,
    ProcedureKind,
    SocialClauseKind,
)
from central.frameworks.queries import FrameworkAmounts, committed_amounts

MAX_ID = 2**31 - 1


def _id(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _money(**kwargs: Any) -> fields.Decimal:
    return fields.Decimal(as_string=True, places=2, allow_nan=False, **kwargs)


def _amounts(obj: Any) -> FrameworkAmounts:
    """The framework's amounts, computed once per dumped object."""
    cached = getattr(obj, "_dumped_amounts", None)
    if cached is None:
        cached = committed_amounts(obj.id)
        obj._dumped_amounts = cached
    return cached


def _known_cpv_codes(codes: list[str]) -> None:
    """CPV 2008 codes, each written dddddddd-d and in the official list (Regulation (EC)
    213/2008)."""
    malformed = [c for c in codes if not cpv.is_well_formed(c)]
    unknown = [c for c in codes if cpv.is_well_formed(c) and not cpv.is_known(c)]
    if malformed and unknown:
        raise ValidationError(
            Message(
                N_(
                    "Not a CPV code (8 digits, a dash and the check digit, e.g. 50413200-5): "
                    "%(codes)s. Not in the CPV 2008 list: %(unknown)s."
                ),
                codes=", ".join(malformed),
                unknown=", ".join(unknown),
            )
        )
    if malformed:
        raise ValidationError(
            Message(
                N_(
                    "Not a CPV code (8 digits, a dash and the check digit, e.g. 50413200-5): "
                    "%(codes)s."
                ),
                codes=", ".join(malformed),
            )
        )
    if unknown:
        raise ValidationError(
            Message(
                N_(
                    "Not in the CPV 2008 list (Regulation (EC) 213/2008): %(codes)s. Check the "
                    "digits and the check digit."
                ),
                codes=", ".join(unknown),
            )
        )


class FrameworkSchema(Schema):
    """A framework: read, and the one declaration of its input (the API's body, the page's form
    and the service's values load through it)."""

    id = fields.Integer(dump_only=True)
    # A reference names download files and goes into headers: one line of printable text.
    reference = Text(
        REFERENCE_LENGTH, required=True, one_line=True, empty=N_("Enter the reference")
    )
    title = Text(TITLE_LENGTH, required=True, empty=N_("Enter a title"))
    lead_organisation_id = fields.Integer(dump_only=True)
    reserved = fields.Boolean(load_default=False)
    start_date = Day(required=True)
    end_date = Day(required=True)
    term_justification = Text(
        LONG_TEXT,
        metadata={"description": "Required when the term exceeds 4 years (art. 43 § 1)."},
    )
    estimated_value = Amount(required=True)
    max_value = Amount(required=True)
    social_target_percent = Amount(maximum=Decimal(100), if_empty=Decimal("0.00"))
    revision_clause = Text(
        LONG_TEXT,
        metadata={
            "description": "The price revision clause of the procurement documents (e.g. an "
            "index formula); a `review_clause` change applies it (SPEC 7.2)."
        },
    )
    initial_max_value = fields.Decimal(
        as_string=True,
        dump_only=True,
        allow_none=True,
        metadata={"description": "The maximum as awarded, frozen at activation."},
    )
    procedure = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(
            [k.value for k in ProcedureKind], error=N_("Choose one of the procedures of the law.")
        ),
        metadata={
            "description": "How the framework was procured (SPEC 7.2; Act of 17 June 2016, "
            "art. 36-42). Needed to activate; a running framework may fill it in once."
        },
    )
    cpv_codes = Texts(
        limit=MAX_CPV_CODES,
        max_len=10,
        validate=_known_cpv_codes,
        metadata={
            "description": "CPV 2008 codes `dddddddd-d` (e.g. 50413200-5), the main object "
            "first; each must be in the official list (Regulation (EC) 213/2008)."
        },
    )
    cpv = fields.Method(
        "get_cpv",
        dump_only=True,
        metadata={"description": "Each CPV code with its (English) label from the CPV list."},
    )
    notice_references = Texts(
        limit=MAX_NOTICES,
        max_len=100,
        metadata={
            "description": "References of the notices that published the procedure, e.g. the "
            "EU notice 2026/S 012-034567 (or eForms 123456-2026) and the national one."
        },
    )
    award_decision_date = Day()
    standstill_end = Day(
        metadata={"description": "The last day of the standstill period after the award."},
    )
    status = fields.String(
        dump_only=True, validate=validate.OneOf([s.value for s in FrameworkStatus])
    )
    committed_value = fields.Method("get_committed", dump_only=True)
    completed_value = fields.Method("get_completed", dump_only=True)
    accepted_value = fields.Method("get_accepted", dump_only=True)

    def get_cpv(self, obj: Any) -> list[dict[str, Any]]:
        return [{"code": code, "label": cpv.label(code)} for code in obj.cpv_codes or []]

    def get_committed(self, obj: Any) -> str:
        return str(_amounts(obj).total.committed)

    def get_completed(self, obj: Any) -> str:
        return str(_amounts(obj).total.completed)

    def get_accepted(self, obj: Any) -> str:
        return str(_amounts(obj).total.accepted)


class ReasonSchema(Schema):
    """Why a framework ends early or an accession is refused."""

    reason = Text(LONG_TEXT, required=True, empty=N_("Enter the reason"))


class TerminateSchema(ReasonSchema):
    pass


class BeneficiariesSchema(Schema):
    organisation_ids = fields.List(_id(), required=True, validate=validate.Length(min=1, max=1000))


class SocialClauseSchema(Schema):
    kind = Choice(
        SocialClauseKind,
        required=True,
        empty=N_("Choose the kind of social clause."),
        invalid=N_("Choose subcontracting share or target-group hours per EUR 10,000."),
        metadata={
            "description": "subcontracting_share: percent of the lot's accepted value done "
            "through social-economy subcontractors; target_group_hours: target-group hours per "
            "EUR 10,000 of accepted value."
        },
    )
    target = Amount(
        required=True,
        maximum=max(MAX_CLAUSE_TARGET.values()),
        metadata={"description": "A percent (at most 100) or hours per EUR 10,000; above 0."},
    )


class LotSchema(Schema):
    """A lot: read, and the one declaration of its input (API, page and service)."""

    id = fields.Integer(dump_only=True)
    framework_id = fields.Integer(dump_only=True)
    number = WholeNumber(1, MAX_LOT_NUMBER, required=True)
    title = Text(TITLE_LENGTH, required=True, empty=N_("Enter a title"))
    service_type = Text(
        CODE_LENGTH,
        required=True,
        empty=N_("Enter a service type"),
        metadata={"description": "e.g. hydrant_maintenance, green_maintenance, signage."},
    )
    reserved = fields.Boolean(load_default=False)
    max_value = Amount()
    max_tasks_per_round = WholeNumber(1, MAX_TASKS_PER_ROUND, load_default=25)
    planning_horizon_days = WholeNumber(1, 366, load_default=28)
    urgent_days = WholeNumber(0, 366, load_default=7)
    # §7.5: a round's service plus travel time fits the crew-day.
    crew_day_minutes = WholeNumber(
        1, MINUTES_A_DAY, load_default=450, out_of_range=N_("Between %(min)s and %(max)s minutes.")
    )
    travel_kmh = WholeNumber(
        1, MAX_TRAVEL_KMH, load_default=30, out_of_range=N_("Between %(min)s and %(max)s km/h.")
    )
    # SPEC 7.3 (Ghent): set while the framework is a draft; null: none.
    social_clause = Part(
        SocialClauseSchema, invalid=N_("Give the social clause as a kind and a target, or none.")
    )

    def handle_error(self, error: ValidationError, data: Any, *, many: bool, **kwargs: Any):
        """A social clause's errors are also named as the page's fields, social_clause_kind and
        social_clause_target (the service's rules name them so too)."""
        messages = error.messages
        nested = messages.get("social_clause") if isinstance(messages, dict) else None
        if isinstance(nested, dict):
            renamed = {f"social_clause_{part}": texts for part, texts in nested.items()}
            first = next(iter(renamed.values()))
            raise ValidationError(
                {**messages, "social_clause": first[:1], **renamed}, valid_data=error.valid_data
            )


class ChecklistItemSchema(Schema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=CHECKLIST_KEY_LENGTH))
    label = fields.String(
        required=True, validate=validate.Length(min=1, max=CHECKLIST_LABEL_LENGTH)
    )
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in ChecklistKind]))
    min = fields.Decimal(as_string=True, allow_nan=False, allow_none=True, load_default=None)
    max = fields.Decimal(as_string=True, allow_nan=False, allow_none=True, load_default=None)
    critical = fields.Boolean(
        load_default=False,
        metadata={"description": "A failure puts the asset out of service (SPEC 7.4)."},
    )


class FollowUpSchema(Schema):
    lot_id = _id(required=True)
    task_type = fields.String(required=True, validate=validate.Length(min=1, max=50))


class TaskTypeSchema(Schema):
    id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    code = Text(CODE_LENGTH, required=True)
    name = Text(TITLE_LENGTH, required=True, empty=N_("Enter a name"))
    service_minutes = WholeNumber(
        1, MINUTES_A_DAY, load_default=15, out_of_range=N_("Between %(min)s and %(max)s minutes.")
    )
    checklist = fields.List(
        fields.Nested(ChecklistItemSchema),
        load_default=list,
        validate=validate.Length(max=MAX_CHECKLIST_ITEMS),
    )
    change_id = fields.Integer(
        allow_none=True,
        load_default=None,
        metadata={"description": "On an active framework: the recorded change that adds it."},
    )
    follow_up = fields.Method(
        "dump_follow_up",
        deserialize="load_follow_up",
        allow_none=True,
        metadata={
            "type": "object",
            "nullable": True,
            "properties": {"lot_id": {"type": "integer"}, "task_type": {"type": "string"}},
        },
    )

    def dump_follow_up(self, obj: Any) -> dict[str, Any] | None:
        if obj.follow_up is None:
            return None
        return {"lot_id": obj.follow_up.lot_id, "task_type": obj.follow_up.code}

    def load_follow_up(self, value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        return FollowUpSchema().load(value)


class TaskTypeUpdateSchema(TaskTypeSchema):
    code = fields.String(dump_only=True)


TASK_TYPE_CODE = Text(CODE_LENGTH, required=True)


class PriceSchema(Schema):
    id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    task_type = fields.Method(
        "dump_task_type",
        deserialize="load_task_type",
        required=True,
        error_messages={"required": N_("Enter a value."), "null": N_("Enter a value.")},
        metadata={"type": "string", "description": "The task type's code."},
    )
    unit = Choice(
        PriceUnit,
        load_default="piece",
        if_empty="piece",
        invalid=N_("One of piece, m, m2, hour."),
    )
    provider_id = WholeNumber(
        metadata={
            "description": "A provider awarded the lot: its own (tendered) price, overriding "
            "the common line for it (SPEC 7.2). Null or absent: the lot's common line, for "
            "every provider without a line of its own."
        },
    )
    unit_price = Amount(required=True, metadata={"description": "Excl. VAT."})
    vat_rate = Amount(maximum=Decimal(100), if_empty=Decimal("21.00"))
    valid_from = Day(
        if_empty=today, metadata={"description": "Counts from this date on; default today."}
    )
    as_tendered = fields.Boolean(
        load_default=False,
        metadata={
            "description": "A price as tendered, valid from the framework's start: entered on "
            "a draft, or once on an active framework for a provider without a price of its own."
        },
    )
    change_id = fields.Integer(
        allow_none=True,
        load_default=None,
        metadata={
            "description": "On an active framework, a new price other than a tendered one "
            "names the recorded change that allows it (409 without)."
        },
    )

    def dump_task_type(self, obj: Any) -> str:
        return obj.task_type.code

    def load_task_type(self, value: Any) -> str:
        return TASK_TYPE_CODE.deserialize(value)


class AwardSchema(Schema):
    id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    provider_id = WholeNumber(required=True)
    rank = WholeNumber(1, MAX_RANK, required=True)
    weekly_capacity = WholeNumber(
        1, MAX_WEEKLY_CAPACITY, required=True, metadata={"description": "Tasks a week."}
    )


class SubcontractorSchema(Schema):
    """A social-economy subcontractor of an award (SPEC 7.3) and the task types it does."""

    id = fields.Integer(dump_only=True)
    award_id = fields.Integer(dump_only=True)
    organisation_id = WholeNumber(required=True)
    organisation_name = fields.Function(lambda s: s.organisation.name, dump_only=True)
    task_types = fields.Method(
        "dump_task_types",
        deserialize="load_task_types",
        required=True,
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "Codes of the lot's task types the subcontractor does.",
        },
    )
    social_economy_status = fields.String(
        dump_only=True, metadata={"description": "Its recognition on the day it started."}
    )
    started_on = fields.Date(dump_only=True)
    ended_on = fields.Date(dump_only=True, allow_none=True)
    active = fields.Function(lambda s: s.ended_on is None, dump_only=True)

    def dump_task_types(self, obj: Any) -> list[str]:
        return sorted(row.task_type.code for row in obj.task_types)

    def load_task_types(self, value: Any) -> Any:
        return value  # the service checks them, every error at once


ACTION_KINDS = N_("Choose work experience, hiring, training or subcontracting.")
ACTION_UNITS = N_("Choose persons or hours.")


class PlanActionSchema(Schema):
    """An action of an action plan: read, and the one declaration of its input."""

    id = fields.Integer(dump_only=True)
    kind = Choice(ActionKind, required=True, empty=ACTION_KINDS, invalid=ACTION_KINDS)
    target = Number(
        required=True, positive=True, maximum=MAX_TARGET, metadata={"description": "> 0"}
    )
    unit = Choice(ActionUnit, required=True, empty=ACTION_UNITS, invalid=ACTION_UNITS)
    due_date = Day(
        required=True, empty=N_("Enter a due date."), metadata={"description": "Not in the past."}
    )
    description = Text(MAX_DESCRIPTION, load_default="", if_empty="")


class ActionPlanBodySchema(Schema):
    actions = fields.List(
        fields.Raw(),
        required=True,
        metadata={"description": "Each: {kind, target, unit, due_date, description}."},
    )


class ActionPlanSchema(Schema):
    id = fields.Integer(dump_only=True)
    award_id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": ["submitted", "approved"]})
    submitted_at = fields.DateTime(dump_only=True)
    approved_at = fields.DateTime(dump_only=True, allow_none=True)
    actions = fields.List(fields.Nested(PlanActionSchema), dump_only=True)


# What a provider realised of an action in a quarter: persons or hours (whole persons is a rule
# of the service, which knows the action's unit).
REALISED = Number(required=True, maximum=MAX_TARGET)


class RealisationSchema(Schema):
    id = fields.Integer(dump_only=True)
    action_id = fields.Integer(dump_only=True)
    year = fields.Raw(required=True, metadata={"type": "integer"})
    quarter = fields.Raw(required=True, metadata={"type": "integer", "minimum": 1, "maximum": 4})
    # Read by the service with the quarter (REALISED), so that the API says every error at once.
    realised = fields.Raw(
        required=True,
        metadata={
            "type": "string",
            "description": "Persons (whole) or hours, in the action's unit.",
        },
    )
    note = Text(MAX_NOTE, load_default="", if_empty="")
    reported_at = fields.DateTime(dump_only=True)
    reported_by_id = fields.Integer(dump_only=True, allow_none=True)
    superseded_by_id = fields.Integer(dump_only=True, allow_none=True)


class EvidenceSchema(Schema):
    id = fields.Integer(dump_only=True)
    action_id = fields.Integer(dump_only=True)
    year = fields.Integer(dump_only=True)
    quarter = fields.Integer(dump_only=True)
    filename = fields.String(dump_only=True)
    content_type = fields.String(dump_only=True)
    size_bytes = fields.Integer(dump_only=True)
    supersedes_id = fields.Integer(dump_only=True, allow_none=True)
    uploaded_by_id = fields.Integer(dump_only=True, allow_none=True)
    uploaded_at = fields.DateTime(dump_only=True)


class SocialProgressSchema(Schema):
    """An award's social clause against realised, its subcontractors and its action plan's
    actions against realised, late ones flagged (SPEC 7.3)."""

    award_id = fields.Function(lambda p: p["award"].id)
    clause = fields.Method("dump_clause", allow_none=True)
    subcontractors = fields.Function(
        lambda p: SubcontractorSchema(many=True).dump(p["subcontractors"])
    )
    plan_status = fields.Function(lambda p: p["plan"].status if p["plan"] else None)
    actions = fields.Method("dump_actions")

    def dump_clause(self, progress: Any) -> dict[str, Any] | None:
        clause = progress["clause"]
        if clause is None:
            return None
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in clause.items()}

    def dump_actions(self, progress: Any) -> list[dict[str, Any]]:
        return [
            {
                **PlanActionSchema().dump(item.action),
                "realised": str(item.realised),
                "late": item.late,
                "quarters": [
                    {
                        **q,
                        "realised": str(q["realised"]),
                        "reported_at": q["reported_at"].isoformat(),
                    }
                    for q in item.quarters
                ],
                "evidence": EvidenceSchema(many=True).dump(item.evidence),
            }
            for item in progress["actions"]
        ]


class AccessionFilterSchema(Schema):
    """The query string of the list of accessions."""

    status = fields.String(
        validate=validate.OneOf([s.value for s in AccessionStatus], error=N_("Unknown status.")),
        metadata={"refusal": N_("Unknown status.")},
    )
    framework = fields.Integer(
        validate=validate.Range(min=0, error=N_("Not an id.")),
        error_messages={"invalid": N_("Not an id.")},
        metadata={"refusal": N_("framework is an id.")},
    )


class AccessionSchema(Schema):
    id = fields.Integer(dump_only=True)
    framework_id = _id(required=True)
    member_id = fields.Integer(dump_only=True)
    lot_ids = fields.List(_id(), required=True, validate=validate.Length(min=1, max=100))
    order_reference = Text(
        ORDER_REFERENCE_LENGTH,
        required=True,
        empty=N_("Enter your order reference"),
        metadata={"description": "The member's order or budget key, printed on statements."},
    )
    status = fields.String(
        dump_only=True, validate=validate.OneOf([s.value for s in AccessionStatus])
    )
    reason = fields.String(dump_only=True, allow_none=True)
    requested_at = fields.DateTime(dump_only=True)
    decided_at = fields.DateTime(dump_only=True, allow_none=True)


CHANGE_KINDS = N_(
    "One of review_clause, additional_services, unforeseen, de_minimis, provider_substitution."
)


class ChangeSchema(Schema):
    """A change of an active framework on a legal ground (SPEC 7.2; KB AUR art. 38 ff.)."""

    id = fields.Integer(dump_only=True)
    framework_id = fields.Integer(dump_only=True)
    lot_id = WholeNumber()
    kind = Choice(
        ChangeKind,
        required=True,
        empty=CHANGE_KINDS,
        invalid=CHANGE_KINDS,
    )
    description = Text(LONG_TEXT, required=True, empty=N_("Describe the change"))
    justification = Text(
        LONG_TEXT, metadata={"description": "Required for additional_services and unforeseen."}
    )
    value = Amount(
        signed=True,
        if_empty=Decimal("0.00"),
        metadata={
            "description": "The change's signed effect on the maximum, excl. VAT; a positive "
            "value raises the framework's maximum (and the lot's, with lot_id)."
        },
    )
    effective_from = Day(if_empty=today)
    # Required for a provider substitution (the service says so).
    old_provider_id = WholeNumber()
    new_provider_id = WholeNumber()
    max_value_before = fields.Decimal(as_string=True, dump_only=True)
    max_value_after = fields.Decimal(as_string=True, dump_only=True)
    created_at = fields.DateTime(dump_only=True)

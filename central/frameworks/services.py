"""Framework rules (SPEC rules 1–5): term, values, lots, task types and checklists, price lines,
awards, beneficiaries, activation and termination, accessions, and the one computation of
committed value against the maximum with its 80/90/100 % thresholds.

Each service takes models and validated values plus the acting user, checks its rule, raises a
DomainError (400 input, 403 not the user's action, 409 state), records an audit event and
flushes; the caller commits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, NamedTuple

from flask import current_app, has_request_context
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from central.core import audit
from central.core.clock import today
from central.core.errors import N_, Conflict, Forbidden, Message, ValidationError
from central.core.fields import load
from central.core.formatting import format_day
from central.core.money import CENT
from central.core.roles import Role
from central.core.types import utcnow
from central.extensions import db
from central.frameworks import notifications
from central.frameworks.models import (
    CHECKLIST_KEY_LENGTH,
    CHECKLIST_LABEL_LENGTH,
    CODE_LENGTH,
    COVERING_ACCESSION_STATUSES,
    MAX_CHECKLIST_ITEMS,
    MAX_CLAUSE_TARGET,
    MAX_TERM_YEARS,
    PUBLISHED_PROCEDURES,
    Accession,
    AccessionLot,
    AccessionStatus,
    Award,
    ChangeKind,
    ChecklistKind,
    Framework,
    FrameworkAlert,
    FrameworkBeneficiary,
    FrameworkChange,
    FrameworkStatus,
    Lot,
    PriceLine,
    ProcedureKind,
    TaskType,
    add_years,
)
from central.frameworks.queries import Amounts, FrameworkAmounts, committed_amounts
from central.frameworks.reach import leads_framework
from central.frameworks.schemas import (
    AccessionSchema,
    AwardSchema,
    ChangeSchema,
    FrameworkSchema,
    LotSchema,
    PriceSchema,
    ReasonSchema,
    SocialClauseSchema,
    TaskTypeSchema,
)
from central.organisations.models import Organisation, OrganisationKind

THRESHOLDS = (80, 90, 100)
CODE_PATTERN = re.compile(rf"^[a-z0-9][a-z0-9_-]{{0,{CODE_LENGTH - 1}}}$")
KEY_PATTERN = re.compile(rf"^[a-z0-9][a-z0-9_]{{0,{CHECKLIST_KEY_LENGTH - 1}}}$")

FRAMEWORK_FIELDS = (
    "reference",
    "title",
    "reserved",
    "start_date",
    "end_date",
    "term_justification",
    "estimated_value",
    "max_value",
    "social_target_percent",
    "revision_clause",
    "procedure",
    "cpv_codes",
    "notice_references",
    "award_decision_date",
    "standstill_end",
)
# SPEC 7.2: the procedure on record. Needed to activate; a running framework (one activated
# before it was kept) may fill in what is empty, never change what is on record.
PROCEDURE_FIELDS = frozenset(
    {"procedure", "cpv_codes", "notice_references", "award_decision_date", "standstill_end"}
)
# An EU notice in the Official Journal's S series: "2026/S 012-034567" (TED before eForms) or
# the eForms publication number "123456-2026".
EU_NOTICE_PATTERN = re.compile(r"\b(?:\d{4}/S \d{1,3}-\d{6}|\d{5,8}-\d{4})\b")
# What a running framework may still change: the law fixes the rest once it is concluded
# (maximum, term, reservation, beneficiaries).
RUNNING_FRAMEWORK_FIELDS = frozenset({"title", "social_target_percent"})
LOT_FIELDS = (
    "number",
    "title",
    "service_type",
    "reserved",
    "max_value",
    "max_tasks_per_round",
    "planning_horizon_days",
    "urgent_days",
    "crew_day_minutes",
    "travel_kmh",
    "social_clause",
)
# What the services load through TaskTypeSchema and PriceSchema; the checklist, a follow-up and a
# change are checked by their own functions below.
TASK_TYPE_INPUT = ("code", "name", "service_minutes")
PRICE_INPUT = (
    "task_type",
    "unit",
    "provider_id",
    "unit_price",
    "vat_rate",
    "valid_from",
    "as_tendered",
)
# A running lot keeps its contractual terms; its planning settings stay the coordinator's.
RUNNING_LOT_FIELDS = frozenset(
    {
        "title",
        "max_tasks_per_round",
        "planning_horizon_days",
        "urgent_days",
        "crew_day_minutes",
        "travel_kmh",
    }
)


# --- reach and small helpers -------------------------------------------------------------------


def _require_lead_coordinator(framework: Framework, actor: Any) -> None:
    """Only a coordinator of the lead authority runs a framework (403 for other visible users)."""
    if not leads_framework(actor, framework):
        raise Forbidden(N_("Only a coordinator of the lead authority can do this."))


def _require_not_ended(framework: Framework) -> None:
    if framework.status in (FrameworkStatus.EXPIRED, FrameworkStatus.TERMINATED):
        raise Conflict(
            N_("This framework has ended; it can no longer be changed."),
            fields={"status": framework.status},
        )


def _require_draft(framework: Framework, message: str) -> None:
    """`message`: what can only change while the framework is a draft (a marked text)."""
    if framework.status != FrameworkStatus.DRAFT:
        raise Conflict(message, fields={"status": framework.status})


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)


def _reason(reason: Any) -> str:
    """A reason as ReasonSchema takes it (required, a long text)."""
    loaded, errors = load(ReasonSchema(), {"reason": reason})
    _raise(errors)
    return loaded["reason"]


def _flush_unique(conflict_message: str, field: str) -> None:
    """Flush inside a savepoint; a unique index that another writer won answers 409."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(conflict_message, fields={field: conflict_message}) from None


# --- frameworks -------------------------------------------------------------------------------


def check_term(start: date, end: date, justification: str | None) -> None:
    """Rule 1 (art. 43 § 1): end after start, and at most four years unless justified."""
    if end <= start:
        raise ValidationError(
            N_("The end date must be after the start date."),
            fields={"end_date": N_("Must be after the start date.")},
        )
    if end > add_years(start, MAX_TERM_YEARS) and not justification:
        raise ValidationError(
            N_(
                "A framework runs at most 4 years; record the justification of the exceptional "
                "case (art. 43 § 1) for a longer term."
            ),
            fields={"term_justification": N_("Required for a term over 4 years.")},
        )


def check_values(estimated: Decimal, maximum: Decimal) -> None:
    """Rule 2 (CJEU C-23/20): a positive maximum, and an estimate that does not exceed it."""
    if maximum <= 0:
        raise ValidationError(
            N_("The maximum value must be more than zero."),
            fields={"max_value": N_("More than zero.")},
        )
    if estimated > maximum:
        raise ValidationError(
            N_("The estimated value cannot exceed the maximum value."),
            fields={"estimated_value": N_("At most the maximum value.")},
        )


def _clean_framework(values: dict[str, Any], current: Framework | None) -> dict[str, Any]:
    """The framework's values (over those on record) loaded through its schema, and the rules
    checked on those that loaded: every error at once (§7.6)."""
    merged = {f: getattr(current, f) for f in FRAMEWORK_FIELDS} if current else {}
    merged.update({k: v for k, v in values.items() if k in FRAMEWORK_FIELDS})
    loaded, errors = load(FrameworkSchema(), merged)
    cleaned = {name: loaded.get(name) for name in FRAMEWORK_FIELDS}
    cleaned["reserved"] = bool(cleaned["reserved"])
    for name in ("cpv_codes", "notice_references"):
        cleaned[name] = cleaned[name] or []
    decided, standstill = cleaned["award_decision_date"], cleaned["standstill_end"]
    if decided is not None and standstill is not None and standstill < decided:
        errors["standstill_end"] = N_("Not before the award decision date.")
    if errors:
        # Every error at once (§7.6): the rules speak of the fields that are readable.
        _framework_rule_errors(cleaned, current, errors, [])
    _raise(errors)
    return cleaned


def _check_framework_rules(cleaned: dict[str, Any], current: Framework | None) -> None:
    errors: dict[str, Any] = {}
    messages: list[str] = []
    _framework_rule_errors(cleaned, current, errors, messages)
    if errors:
        raise ValidationError(messages[0], fields=errors)


def _collect(errors: dict[str, Any], messages: list[str], check: Any, *args: Any) -> None:
    """A rule's field messages added to `errors` (a field keeps its first message) and its
    message to `messages`."""
    try:
        check(*args)
    except ValidationError as exc:
        messages.append(exc.message)
        for name, texts in exc.fields.items():
            errors.setdefault(name, texts[0])


def _framework_rule_errors(
    cleaned: dict[str, Any], current: Framework | None, errors: dict[str, Any], messages: list
) -> None:
    """Rules 1 and 2 and the unique reference, each checked where its fields are readable."""
    start, end = cleaned["start_date"], cleaned["end_date"]
    if start is not None and end is not None:
        _collect(errors, messages, check_term, start, end, cleaned["term_justification"])
    estimated, maximum = cleaned["estimated_value"], cleaned["max_value"]
    if estimated is not None and maximum is not None:
        _collect(errors, messages, check_values, estimated, maximum)
    if cleaned["reference"] and "reference" not in errors:
        stmt = select(Framework.id).where(Framework.reference == cleaned["reference"])
        if current is not None:
            stmt = stmt.where(Framework.id != current.id)
        if db.session.scalar(stmt) is not None:
            messages.append(N_("Another framework already has this reference."))
            errors["reference"] = N_("Another framework has this reference.")


def create_framework(values: dict[str, Any], *, actor: Any) -> Framework:
    """A coordinator creates a draft framework led by its own authority."""
    if getattr(actor, "role", None) != Role.COORDINATOR or actor.organisation_id is None:
        raise Forbidden(N_("Only a coordinator can create a framework."))
    cleaned = _clean_framework(values, None)
    _check_framework_rules(cleaned, None)
    framework = Framework(lead_organisation_id=actor.organisation_id, **cleaned)
    db.session.add(framework)
    _flush_unique(N_("Another framework already has this reference."), "reference")
    audit.record("framework.created", framework, actor=actor, **cleaned)
    return framework


def update_framework(framework: Framework, values: dict[str, Any], *, actor: Any) -> Framework:
    """A draft changes freely; a running framework only in its title and social target (its
    maximum, term, reservation and beneficiaries are fixed by the award: 409)."""
    _require_lead_coordinator(framework, actor)
    _require_not_ended(framework)
    cleaned = _clean_framework(values, framework)
    changed = sorted(k for k, v in cleaned.items() if getattr(framework, k) != v)
    if framework.is_running:
        fixed = [
            name
            for name in changed
            if name not in RUNNING_FRAMEWORK_FIELDS
            and not (name in PROCEDURE_FIELDS and getattr(framework, name) in (None, []))
        ]
        if fixed:
            raise Conflict(
                N_(
                    "An active framework cannot change its %(fields)s: that would be a "
                    "substantial modification of the awarded contract."
                ),
                fields={name: N_("Fixed once the framework is active.") for name in fixed},
                params={"fields": ", ".join(name.replace("_", " ") for name in fixed)},
            )
    _check_framework_rules(cleaned, framework)
    if cleaned["reserved"] and not framework.reserved:
        _check_awards_eligible([a for lot in framework.lots for a in lot.awards], reserved=True)
    for key in changed:
        setattr(framework, key, cleaned[key])
    _flush_unique(N_("Another framework already has this reference."), "reference")
    if changed:
        audit.record(
            "framework.updated",
            framework,
            actor=actor,
            fields=changed,
            values={k: cleaned[k] for k in changed},
        )
    return framework


@dataclass(frozen=True)
class Problem:
    """Something that keeps a draft from activation; `template % params` in English."""

    template: str
    params: dict[str, Any]

    def __str__(self) -> str:
        return self.template % self.params


def activation_problems(framework: Framework) -> list[Problem]:
    """What still keeps a draft from activation: lots, each with a task type, a price and an
    award, at least one beneficiary, and an end date still to come."""
    problems: list[Problem] = []
    if not framework.lots:
        problems.append(Problem(N_("Add at least one lot."), {}))
    for lot in framework.lots:
        number = {"number": lot.number}
        if not lot.task_types:
            problems.append(Problem(N_("Lot %(number)s has no task type."), number))
        has_price = db.session.scalar(
            select(PriceLine.id).where(PriceLine.lot_id == lot.id).limit(1)
        )
        if has_price is None:
            problems.append(Problem(N_("Lot %(number)s has no price."), number))
        if not lot.awards:
            problems.append(Problem(N_("Lot %(number)s is not awarded to a provider."), number))
    if not framework.beneficiaries:
        problems.append(Problem(N_("Name at least one beneficiary authority."), {}))
    if framework.end_date < today():
        problems.append(Problem(N_("The end date has passed."), {}))
    problems.extend(procedure_problems(framework))
    return problems


def eu_services_threshold() -> Decimal:
    """The EU threshold for services of sub-central authorities (excl. VAT) in force when the
    procedure was launched (config; 216,000.00 for 2026-27)."""
    return Decimal(str(current_app.config["EU_SERVICES_THRESHOLD"])).quantize(CENT)


def _day(day: date) -> str:
    """A date for a message: in the reader's form on a page or in the API, else ISO."""
    return format_day(day) if has_request_context() else day.isoformat()


def procedure_problems(framework: Framework) -> list[Problem]:
    """SPEC 7.2: what the procedure on record still lacks before activation, all at once; a
    maximum that reaches the EU threshold needs an EU-published procedure and its notice, and a
    standstill that has ended."""
    problems: list[Problem] = []
    if framework.procedure is None:
        problems.append(Problem(N_("Record the procedure by which the framework was awarded."), {}))
    if not framework.cpv_codes:
        problems.append(Problem(N_("Give at least one CPV code (the main object first)."), {}))
    published = framework.procedure in PUBLISHED_PROCEDURES
    if published and not framework.notice_references:
        problems.append(
            Problem(N_("Give the reference of the notice that published the procedure."), {})
        )
    if framework.award_decision_date is None:
        problems.append(Problem(N_("Record the date of the award decision."), {}))
    elif framework.award_decision_date > today():
        problems.append(Problem(N_("The award decision date is still to come."), {}))
    if framework.standstill_end is None:
        problems.append(Problem(N_("Record the last day of the standstill period."), {}))
    threshold = eu_services_threshold()
    if framework.max_value is not None and framework.max_value >= threshold:
        reach = {"maximum": framework.max_value, "threshold": threshold}
        if framework.procedure == ProcedureKind.NEGOTIATED_WITHOUT_PUBLICATION:
            problems.append(
                Problem(
                    N_(
                        "The maximum of %(maximum)s EUR reaches the EU threshold for services "
                        "(%(threshold)s EUR): the procedure must have been published at EU "
                        "level, not negotiated without publication."
                    ),
                    reach,
                )
            )
        elif published and not any(
            EU_NOTICE_PATTERN.search(ref) for ref in framework.notice_references
        ):
            problems.append(
                Problem(
                    N_(
                        "The maximum of %(maximum)s EUR reaches the EU threshold for services "
                        "(%(threshold)s EUR): give the reference of the EU notice (TED), e.g. "
                        "2026/S 012-034567 or 123456-2026."
                    ),
                    reach,
                )
            )
        if framework.standstill_end is not None and framework.standstill_end >= today():
            problems.append(
                Problem(
                    N_(
                        "The standstill period runs until %(day)s: a framework at the EU "
                        "threshold is concluded only after it."
                    ),
                    {"day": _day(framework.standstill_end)},
                )
            )
    return problems


def activate_framework(framework: Framework, *, actor: Any) -> Framework:
    """Conclude a draft: it needs lots, each with a task type, a price and an award (409)."""
    _require_lead_coordinator(framework, actor)
    if framework.status != FrameworkStatus.DRAFT:
        raise Conflict(
            N_("Only a draft framework can be activated."), fields={"status": framework.status}
        )
    problems = activation_problems(framework)
    if problems:
        texts = [Message(p.template, **p.params) for p in problems]
        raise Conflict(
            Message(N_("The framework cannot be activated yet: %(problems)s"), problems=texts),
            fields={"activation": texts},
        )
    _check_awards_eligible([a for lot in framework.lots for a in lot.awards])
    framework.status = FrameworkStatus.ACTIVE
    framework.activated_at = utcnow()
    # SPEC 7.2: the maximum as awarded, the base of every later change's limit.
    framework.initial_max_value = framework.max_value
    db.session.flush()
    audit.record("framework.activated", framework, actor=actor)
    refresh_spend_status(framework)
    return framework


def terminate_framework(framework: Framework, reason: str | None, *, actor: Any) -> Framework:
    """End a running framework early, with a reason; planned work may still be completed."""
    _require_lead_coordinator(framework, actor)
    cleaned = _reason(reason)
    if not framework.is_running:
        raise Conflict(
            N_("Only an active or exhausted framework can be terminated."),
            fields={"status": framework.status},
        )
    framework.status = FrameworkStatus.TERMINATED
    framework.terminated_at = utcnow()
    framework.termination_reason = cleaned
    db.session.flush()
    audit.record("framework.terminated", framework, actor=actor, reason=cleaned)
    return framework


def expire_framework(framework: Framework, day: date, *, actor: Any = None) -> bool:
    """Rule 6: a running framework past its end date is expired. Returns whether it changed."""
    if framework.is_running and framework.end_date < day:
        framework.status = FrameworkStatus.EXPIRED
        db.session.flush()
        audit.record("framework.expired", framework, actor=actor, end_date=framework.end_date)
        return True
    return False


# --- beneficiaries ----------------------------------------------------------------------------


def add_beneficiaries(
    framework: Framework, organisation_ids: Iterable[Any], *, actor: Any
) -> list[Organisation]:
    """Name authorities as beneficiaries (CJEU C-216/17); fixed once active (409)."""
    _require_lead_coordinator(framework, actor)
    ids: list[int] = []
    for raw in organisation_ids or []:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValidationError(
                N_("Organisation ids are whole numbers."),
                fields={"organisation_ids": N_("Not ids.")},
            )
        ids.append(raw)
    if not ids:
        raise ValidationError(
            N_("Name at least one authority."),
            fields={"organisation_ids": N_("Choose at least one.")},
        )
    orgs = {
        o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
    }
    # An organisation that is not an authority is answered as if absent: the message names
    # ids the caller gave, never an organisation it may not see.
    unknown = [i for i in ids if i not in orgs or orgs[i].kind != OrganisationKind.AUTHORITY]
    if unknown:
        raise ValidationError(
            N_("Unknown organisation."),
            fields={"organisation_ids": N_("Unknown: %(ids)s.")},
            params={"ids": str(unknown)},
        )
    _require_draft(framework, N_("Beneficiaries can only change while the framework is a draft."))
    from central.organisations.succession import require_active

    for org_id in ids:
        require_active(orgs[org_id])  # SPEC 7.2: a merged municipality is named no more
    present = set(
        db.session.scalars(
            select(FrameworkBeneficiary.organisation_id).where(
                FrameworkBeneficiary.framework_id == framework.id
            )
        )
    )
    added = [i for i in dict.fromkeys(ids) if i not in present]
    for org_id in added:
        db.session.add(FrameworkBeneficiary(framework_id=framework.id, organisation_id=org_id))
    db.session.flush()
    db.session.expire(framework, ["beneficiaries"])
    if added:
        audit.record(
            "framework.beneficiaries_added", framework, actor=actor, organisation_ids=added
        )
    return list(framework.beneficiaries)


def remove_beneficiary(framework: Framework, organisation_id: int, *, actor: Any) -> None:
    """Take an authority off a draft framework's beneficiaries."""
    _require_lead_coordinator(framework, actor)
    _require_draft(framework, N_("Beneficiaries can only change while the framework is a draft."))
    row = db.session.get(FrameworkBeneficiary, (framework.id, organisation_id))
    if row is not None:
        db.session.delete(row)
        db.session.flush()
        db.session.expire(framework, ["beneficiaries"])
        audit.record(
            "framework.beneficiary_removed", framework, actor=actor, organisation_id=organisation_id
        )


def is_beneficiary(framework: Framework, organisation_id: int | None) -> bool:
    if organisation_id is None:
        return False
    return db.session.get(FrameworkBeneficiary, (framework.id, organisation_id)) is not None


# --- lots ------------------------------------------------------------------------------------


def _clean_lot(values: dict[str, Any], framework: Framework, current: Lot | None) -> dict:
    """The lot's values (over those on record) loaded through its schema, and its rules: a
    maximum within the framework's, a number of its own, a social clause's target (SPEC 7.3)."""
    merged = {f: getattr(current, f) for f in LOT_FIELDS} if current else {}
    merged.update({k: v for k, v in values.items() if k in LOT_FIELDS})
    loaded, errors = load(LotSchema(), merged)
    if "social_clause_kind" in errors or "social_clause_target" in errors:
        errors.pop("social_clause", None)  # the page shows the clause as these two fields
    cleaned = {name: loaded.get(name) for name in LOT_FIELDS if name != "social_clause"}
    cleaned["reserved"] = bool(cleaned["reserved"])
    cleaned["social_clause_kind"], cleaned["social_clause_target"] = _social_clause(
        merged.get("social_clause"), errors
    )
    if cleaned["service_type"]:
        # §7.6: a service type is typed as words or a code in any case, kept as a code.
        cleaned["service_type"] = code_from(cleaned["service_type"])
    if cleaned["max_value"] is not None and "max_value" not in errors:
        if cleaned["max_value"] <= 0:
            errors["max_value"] = N_("More than zero, or leave empty.")
        elif cleaned["max_value"] > framework.max_value:
            errors["max_value"] = N_("At most the framework's maximum value.")
    _raise(errors)
    stmt = select(Lot.id).where(Lot.framework_id == framework.id, Lot.number == cleaned["number"])
    if current is not None:
        stmt = stmt.where(Lot.id != current.id)
    if db.session.scalar(stmt) is not None:
        raise ValidationError(
            N_("Another lot of this framework has this number."),
            fields={"number": N_("Another lot of this framework has this number.")},
        )
    return cleaned


def _social_clause(clause: Any, errors: dict) -> tuple[str | None, Decimal | None]:
    """A lot's social clause (SPEC 7.3): none, or a kind and a target above zero, at most 100
    for a subcontracting share (a percent of the lot's accepted value). The target's rules are
    checked when it is readable, whatever the kind (every error at once)."""
    if not isinstance(clause, dict) or not clause:
        return None, None
    loaded, _errors = load(SocialClauseSchema(), clause)
    kind, target = loaded.get("kind"), loaded.get("target")
    if target is not None and "social_clause_target" not in errors:
        if kind is not None and target > MAX_CLAUSE_TARGET[kind]:
            errors["social_clause_target"] = Message(
                N_("At most %(maximum)s."), maximum=MAX_CLAUSE_TARGET[kind]
            )
        elif target <= 0:
            errors["social_clause_target"] = N_("More than zero.")
    if kind is None or target is None or "social_clause_target" in errors:
        return None, None
    return kind, target


def create_lot(framework: Framework, values: dict[str, Any], *, actor: Any) -> Lot:
    """Add a lot to a draft framework."""
    _require_lead_coordinator(framework, actor)
    cleaned = _clean_lot(values, framework, None)
    _require_draft(framework, N_("Lots can only change while the framework is a draft."))
    lot = Lot(framework_id=framework.id, **cleaned)
    db.session.add(lot)
    _flush_unique(N_("Another lot of this framework has this number."), "number")
    db.session.expire(framework, ["lots"])
    audit.record("lot.created", lot, actor=actor, framework_id=framework.id, **cleaned)
    return lot


def update_lot(lot: Lot, values: dict[str, Any], *, actor: Any) -> Lot:
    """Change a lot; once the framework runs, only its title and planning settings (409)."""
    framework = lot.framework
    _require_lead_coordinator(framework, actor)
    _require_not_ended(framework)
    cleaned = _clean_lot(values, framework, lot)
    changed = sorted(k for k, v in cleaned.items() if getattr(lot, k) != v)
    if framework.is_running:
        # The social clause is a term of the tender (SPEC 7.3), fixed like the reservation.
        fixed = sorted(
            {
                "social_clause" if name.startswith("social_clause") else name
                for name in changed
                if name not in RUNNING_LOT_FIELDS
            }
        )
        if fixed:
            raise Conflict(
                N_("An active framework's lot cannot change its %(fields)s."),
                fields={name: N_("Fixed once the framework is active.") for name in fixed},
                params={"fields": ", ".join(name.replace("_", " ") for name in fixed)},
            )
    if cleaned["reserved"] and not lot.reserved:
        _check_awards_eligible(list(lot.awards), reserved=True)
    for key in changed:
        setattr(lot, key, cleaned[key])
    _flush_unique(N_("Another lot of this framework has this number."), "number")
    if changed:
        audit.record("lot.updated", lot, actor=actor, fields=changed)
    return lot


# --- task types and checklists ----------------------------------------------------------------


def _bound(value: Any, name: str, errors: dict) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors[name] = N_("Not a number.")
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors[name] = N_("Not a number.")
        return None
    if not number.is_finite() or abs(number) >= Decimal("1e9"):
        errors[name] = N_("Not a number.")
        return None
    return format(number.normalize(), "f")


def _listed(texts: Any, separator: str) -> Message:
    """Texts joined by `separator`, each translated where the whole is shown."""
    texts = [t if isinstance(t, Message) else Message(t) for t in texts]
    template = separator.join(f"%(t{i})s" for i in range(len(texts)))
    return Message(template, **{f"t{i}": t for i, t in enumerate(texts)})


def clean_checklist(items: Any) -> list[dict[str, Any]]:
    """A checklist: items with a unique key, a label and a kind; readings may bound their
    value with a min and a max (min ≤ max); pass/fail items have no bounds. An item marked
    `critical` puts the asset out of service when it fails (SPEC 7.4)."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValidationError(
            N_("The checklist is a list of items."), fields={"checklist": N_("Not a list.")}
        )
    if len(items) > MAX_CHECKLIST_ITEMS:
        raise ValidationError(
            N_("A checklist has at most %(count)d items."),
            fields={"checklist": N_("Too many items.")},
            params={"count": MAX_CHECKLIST_ITEMS},
        )
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ValidationError(
                N_("Item %(index)d is not an object."),
                fields={"checklist": N_("Item %(index)d.")},
                params={"index": index},
            )
        errors: dict[str, str] = {}
        key = item.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            errors["key"] = N_("a key of lower-case letters, digits and _")
        elif key in seen:
            errors["key"] = Message(N_("the key %(key)s is used twice"), key=key)
        label = item.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > CHECKLIST_LABEL_LENGTH:
            errors["label"] = N_("a label of at most 200 characters")
        kind = item.get("kind")
        if kind not in set(ChecklistKind):
            errors["kind"] = N_("kind pass_fail or reading")
        low = _bound(item.get("min"), "min", errors)
        high = _bound(item.get("max"), "max", errors)
        if kind == ChecklistKind.PASS_FAIL and (low is not None or high is not None):
            errors["min"] = N_("no min or max on a pass/fail item")
        if low is not None and high is not None and Decimal(low) > Decimal(high):
            errors["max"] = N_("a max not below the min")
        critical = item.get("critical", False)
        if not isinstance(critical, bool):
            errors["critical"] = N_("critical true or false")
        if errors:
            message = Message(
                N_("Item %(index)d needs %(needs)s."),
                index=index,
                needs=_listed(errors.values(), "; "),
            )
            raise ValidationError(message, fields={"checklist": message})
        seen.add(key)
        entry = {"key": key, "label": label.strip(), "kind": str(kind), "min": low, "max": high}
        if critical:
            # SPEC 7.4: a failure of this item puts the asset out of service.
            entry["critical"] = True
        cleaned.append(entry)
    return cleaned


def _follow_up(framework: Framework, follow_up: Any, current: TaskType | None) -> TaskType | None:
    """The follow-up task type named by {"lot_id", "task_type"}: a task type of this framework."""
    if follow_up in (None, {}):
        return None
    if not isinstance(follow_up, dict):
        raise ValidationError(
            N_("The follow-up names a lot and a task type."),
            fields={"follow_up": N_("Not an object.")},
        )
    lot_id, code = follow_up.get("lot_id"), follow_up.get("task_type")
    target = None
    if isinstance(lot_id, int) and not isinstance(lot_id, bool) and isinstance(code, str):
        target = db.session.scalar(
            select(TaskType)
            .join(Lot, Lot.id == TaskType.lot_id)
            .where(Lot.id == lot_id, Lot.framework_id == framework.id, TaskType.code == code)
        )
    if target is None:
        raise ValidationError(
            N_("The follow-up must be a task type of a lot of this framework."),
            fields={"follow_up": N_("Unknown lot or task type in this framework.")},
        )
    if current is not None and target.id == current.id:
        raise ValidationError(
            N_("A task type cannot be its own follow-up."),
            fields={"follow_up": N_("Choose another.")},
        )
    return target


def code_from(name: str, taken: set[str] = frozenset(), *, max_len: int = CODE_LENGTH) -> str:
    """A code made from a name: lower-case ASCII letters and digits joined by `_` ("Deksel en
    kader" → deksel_en_kader, "Één" → een), unique against `taken` by a suffix (_2, _3...)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:max_len] or "item"
    code, number = base, 1
    while code in taken:
        number += 1
        suffix = f"_{number}"
        code = base[: max_len - len(suffix)] + suffix
    return code


def create_task_type(lot: Lot, values: dict[str, Any], *, actor: Any) -> TaskType:
    """Add a task type (code unique in the lot, checklist, optional follow-up) to a lot."""
    framework = lot.framework
    _require_lead_coordinator(framework, actor)
    # §7.6: a code left empty is made from the name (unique in the lot).
    given = {k: v for k, v in values.items() if not (k == "code" and v in (None, ""))}
    loaded, errors = load(TaskTypeSchema(only=TASK_TYPE_INPUT), given, partial=("code",))
    name, code = loaded.get("name"), loaded.get("code")
    if "code" not in given and name:
        taken = set(db.session.scalars(select(TaskType.code).where(TaskType.lot_id == lot.id)))
        code = code_from(name, taken)
    elif "code" not in given:
        errors.setdefault("code", N_("Enter a value."))
    code = code.lower() if code else code  # accepted in any case, kept lower-case
    if code and "code" not in errors and not CODE_PATTERN.match(code):
        errors["code"] = N_("Letters, digits, - and _ only.")
    service_minutes = loaded.get("service_minutes")
    _raise(errors)
    checklist = clean_checklist(values.get("checklist"))
    follow_up = _follow_up(framework, values.get("follow_up"), None)
    _require_not_ended(framework)
    change = (
        _change_for(framework, lot, values.get("change_id"), today())
        if framework.is_running
        else None
    )
    if db.session.scalar(
        select(TaskType.id).where(TaskType.lot_id == lot.id, TaskType.code == code)
    ):
        raise Conflict(
            N_("This lot already has a task type with this code."),
            fields={"code": N_("Another task type of this lot has this code.")},
        )
    task_type = TaskType(
        lot_id=lot.id,
        code=code,
        name=name,
        checklist=checklist,
        follow_up_task_type_id=follow_up.id if follow_up else None,
        service_minutes=service_minutes,
        change_id=change.id if change else None,
    )
    db.session.add(task_type)
    _flush_unique(N_("This lot already has a task type with this code."), "code")
    db.session.expire(lot, ["task_types"])
    audit.record(
        "task_type.created",
        task_type,
        actor=actor,
        lot_id=lot.id,
        code=code,
        change_id=change.id if change else None,
    )
    return task_type


def update_task_type(task_type: TaskType, values: dict[str, Any], *, actor: Any) -> TaskType:
    """Change a task type's name, checklist or follow-up; its code is fixed (dueness and past
    work follow it)."""
    framework = task_type.lot.framework
    _require_lead_coordinator(framework, actor)
    _require_not_ended(framework)
    errors: dict[str, str] = {}
    if "code" in values and values["code"] != task_type.code:
        raise Conflict(
            N_("A task type's code cannot change; add a new task type instead."),
            fields={"code": N_("Fixed.")},
        )
    changed: list[str] = []
    loaded, errors = load(
        TaskTypeSchema(only=("name", "service_minutes")),
        {k: values[k] for k in ("name", "service_minutes") if k in values},
        partial=True,
    )
    _raise(errors)
    for key in ("name", "service_minutes"):
        if key in loaded and loaded[key] != getattr(task_type, key):
            setattr(task_type, key, loaded[key])
            changed.append(key)
    if "checklist" in values:
        checklist = clean_checklist(values["checklist"])
        if checklist != task_type.checklist:
            task_type.checklist = checklist
            changed.append("checklist")
    if "follow_up" in values:
        follow_up = _follow_up(framework, values["follow_up"], task_type)
        new_id = follow_up.id if follow_up else None
        if new_id != task_type.follow_up_task_type_id:
            task_type.follow_up_task_type_id = new_id
            changed.append("follow_up")
    db.session.flush()
    db.session.expire(task_type, ["follow_up"])
    if changed:
        audit.record("task_type.updated", task_type, actor=actor, fields=changed)
    return task_type


# --- price lines ------------------------------------------------------------------------------


def add_price_line(lot: Lot, values: dict[str, Any], *, actor: Any) -> PriceLine:
    """Rule 5: a unit price excl. VAT per task type and unit, in force from its date. Lines are
    never edited; a new line counts from its date on, so the past keeps its price. On a running
    framework a new line starts today or later. With `provider_id` (a provider awarded the lot)
    it is that provider's own price, overriding the common line for it (SPEC 7.2)."""
    framework = lot.framework
    _require_lead_coordinator(framework, actor)
    loaded, errors = load(PriceSchema(only=PRICE_INPUT), values)
    code, unit = loaded.get("task_type"), loaded.get("unit")
    unit_price, vat_rate = loaded.get("unit_price"), loaded.get("vat_rate")
    valid_from, provider_id = loaded.get("valid_from"), loaded.get("provider_id")
    _raise(errors)
    if provider_id is not None and not db.session.scalar(
        select(Award.id).where(Award.lot_id == lot.id, Award.provider_id == provider_id)
    ):
        raise ValidationError(
            N_("A provider's own price is for a provider awarded this lot."),
            fields={"provider_id": N_("Not awarded this lot.")},
        )
    task_type = db.session.scalar(
        select(TaskType).where(TaskType.lot_id == lot.id, TaskType.code == code)
    )
    if task_type is None:
        raise ValidationError(
            N_("This lot has no task type with this code."),
            fields={"task_type": N_("Unknown code.")},
        )
    _require_not_ended(framework)
    as_tendered = loaded["as_tendered"]
    change = None
    if as_tendered:
        valid_from = framework.start_date
        if framework.is_running:
            _require_first_tendered_line(lot, task_type, provider_id)
    elif framework.is_running:
        change = _change_for(framework, lot, values.get("change_id"), valid_from)
        if valid_from < today():
            raise Conflict(
                N_(
                    "A new price on an active framework takes effect from today or later; "
                    "past and planned work keep the price they had."
                ),
                fields={"valid_from": N_("Today or later.")},
            )
    earlier_unit = db.session.scalar(
        select(PriceLine.unit).where(PriceLine.task_type_id == task_type.id).limit(1)
    )
    if earlier_unit is not None and earlier_unit != unit:
        raise ValidationError(
            N_("This task type is priced per %(unit)s; a new line keeps that unit."),
            fields={"unit": N_("Must be %(unit)s.")},
            params={"unit": earlier_unit},
        )
    same_schedule = (
        PriceLine.provider_id.is_(None)
        if provider_id is None
        else PriceLine.provider_id == provider_id
    )
    if db.session.scalar(
        select(PriceLine.id).where(
            PriceLine.task_type_id == task_type.id,
            PriceLine.valid_from == valid_from,
            same_schedule,
        )
    ):
        raise Conflict(
            N_("This task type already has a price from that date."),
            fields={"valid_from": N_("A price from this date exists.")},
        )
    line = PriceLine(
        lot_id=lot.id,
        task_type_id=task_type.id,
        provider_id=provider_id,
        unit=str(unit),
        unit_price=unit_price,
        vat_rate=vat_rate,
        valid_from=valid_from,
        as_tendered=as_tendered,
        change_id=change.id if change else None,
    )
    db.session.add(line)
    _flush_unique(N_("This task type already has a price from that date."), "valid_from")
    audit.record(
        "price_line.created",
        line,
        actor=actor,
        lot_id=lot.id,
        task_type=code,
        provider_id=provider_id,
        unit=unit,
        unit_price=unit_price,
        vat_rate=vat_rate,
        valid_from=valid_from,
        as_tendered=as_tendered,
        change_id=change.id if change else None,
    )
    return line


# --- changes during the term (SPEC 7.2) -------------------------------------------------------

# Kinds that can carry a new price line or task type (a substitution changes who, not what).
CARRYING_KINDS = frozenset(
    {
        ChangeKind.REVIEW_CLAUSE,
        ChangeKind.ADDITIONAL_SERVICES,
        ChangeKind.UNFORESEEN,
        ChangeKind.DE_MINIMIS,
    }
)
# Art. 38/1 and 38/2: each such change at most half the initial value.
HALF = Decimal("0.50")
# Art. 38/4: de minimis changes together below 10 % of the initial value (and the EU threshold).
TENTH = Decimal("0.10")


def _require_first_tendered_line(lot: Lot, task_type: TaskType, provider_id: int | None) -> None:
    """On a running framework a tendered line is entered once, for a provider without a line
    of its own for the task type; anything else is a change (409)."""
    if provider_id is None or db.session.scalar(
        select(PriceLine.id)
        .where(PriceLine.task_type_id == task_type.id, PriceLine.provider_id == provider_id)
        .limit(1)
    ):
        raise Conflict(
            N_(
                "On an active framework a tendered price is entered once, for a provider "
                "without a price of its own; any other new price needs a recorded change."
            ),
            fields={"as_tendered": N_("Only a provider's first price on an active framework.")},
        )


def _change_for(framework: Framework, lot: Lot, change_id: Any, effective: date) -> FrameworkChange:
    """The recorded change that carries a new price line or task type on a running framework
    (409 without one: a change of an awarded contract needs a legal ground)."""
    change = (
        db.session.get(FrameworkChange, change_id)
        if isinstance(change_id, int) and not isinstance(change_id, bool)
        else None
    )
    if change_id in (None, ""):
        raise Conflict(
            N_(
                "The framework is active: a new price or task type needs a recorded change "
                "(change_id) on one of the legal grounds."
            ),
            fields={"change_id": N_("Record the change first.")},
        )
    if (
        change is None
        or change.framework_id != framework.id
        or change.kind not in CARRYING_KINDS
        or (change.lot_id is not None and change.lot_id != lot.id)
    ):
        raise Conflict(
            N_("This change is not a change of this framework or lot that can carry it."),
            fields={"change_id": N_("Not a change of this framework or lot.")},
        )
    if effective < change.effective_from:
        raise Conflict(
            N_("The change takes effect on %(day)s; the new price cannot count earlier."),
            fields={"valid_from": N_("Not before the change takes effect.")},
            params={"day": change.effective_from.isoformat()},
        )
    return change


def _change_limit_problem(
    framework: Framework, kind: str, value: Decimal
) -> tuple[str, dict[str, Any]] | None:
    """The limit of a change's legal ground it would break, as (message, params), or None."""
    initial = framework.initial_max_value or framework.max_value
    if kind == ChangeKind.REVIEW_CLAUSE and not (framework.revision_clause or "").strip():
        return (
            N_(
                "This framework has no revision clause: a change under a review clause is "
                "only possible within the clause the procurement documents stated."
            ),
            {},
        )
    if kind in (ChangeKind.ADDITIONAL_SERVICES, ChangeKind.UNFORESEEN):
        limit = (initial * HALF).quantize(CENT)
        if value > limit:
            return (
                N_(
                    "A change for additional services or unforeseen circumstances is at most "
                    "50 %% of the initial maximum: %(limit)s EUR."
                ),
                {"limit": limit},
            )
    if kind == ChangeKind.DE_MINIMIS:
        earlier = db.session.scalar(
            select(func.coalesce(func.sum(FrameworkChange.value), 0)).where(
                FrameworkChange.framework_id == framework.id,
                FrameworkChange.kind == ChangeKind.DE_MINIMIS,
            )
        )
        net = Decimal(str(earlier)).quantize(CENT) + value
        limit = min(
            Decimal(str(current_app.config["EU_SERVICES_THRESHOLD"])),
            (initial * TENTH).quantize(CENT),
        )
        if abs(net) >= limit:
            return (
                N_(
                    "De minimis changes together stay below the EU threshold and 10 %% of the "
                    "initial maximum: below %(limit)s EUR (with this one: %(net)s EUR)."
                ),
                {"limit": limit, "net": net},
            )
    return None


def record_change(framework: Framework, values: dict[str, Any], *, actor: Any) -> FrameworkChange:
    """SPEC 7.2: record a change of an active (or exhausted) framework on a legal ground, within
    that ground's limit (409 past it). A positive `value` raises the framework's maximum, and
    the lot's when the change names a lot with one; the change then carries new price lines and
    task types (`change_id`)."""
    _require_lead_coordinator(framework, actor)
    loaded, errors = load(ChangeSchema(), values)
    kind, description = loaded.get("kind"), loaded.get("description")
    justification, value = loaded.get("justification"), loaded.get("value")
    effective_from = loaded.get("effective_from")
    lot = None
    lot_id = loaded.get("lot_id")
    if lot_id is not None:
        lot = db.session.get(Lot, lot_id)
        if lot is None or lot.framework_id != framework.id:
            errors["lot_id"] = N_("Not a lot of this framework.")
    old_provider = new_provider = None
    if kind == ChangeKind.PROVIDER_SUBSTITUTION:
        for name in ("old_provider_id", "new_provider_id"):
            if loaded.get(name) is None:
                errors.setdefault(name, N_("Enter a whole number."))
    if kind in (ChangeKind.ADDITIONAL_SERVICES, ChangeKind.UNFORESEEN) and not justification:
        errors["justification"] = N_("Say why the law allows this change.")
    _raise(errors)
    if kind == ChangeKind.PROVIDER_SUBSTITUTION:
        old_provider, new_provider = _substitution_parties(framework, lot, loaded)
        if value != 0:
            raise ValidationError(
                N_("A provider substitution changes no value: give 0."),
                fields={"value": N_("Must be 0.")},
            )
    if not framework.is_running:
        raise Conflict(
            N_(
                "Changes are recorded on an active framework; a draft changes freely and an "
                "ended one no more."
            ),
            fields={"status": framework.status},
        )
    lock_framework(framework)
    problem = _change_limit_problem(framework, kind, value)
    if problem is not None:
        message, params = problem
        raise Conflict(message, fields={"value": N_("Over this ground's limit.")}, params=params)
    before = framework.max_value
    if value > 0:
        framework.max_value = before + value
        if lot is not None and lot.max_value is not None:
            lot.max_value = lot.max_value + value
    change = FrameworkChange(
        framework_id=framework.id,
        lot_id=lot.id if lot else None,
        kind=str(kind),
        description=description,
        justification=justification,
        value=value,
        effective_from=effective_from,
        old_provider_id=old_provider.id if old_provider else None,
        new_provider_id=new_provider.id if new_provider else None,
        max_value_before=before,
        max_value_after=framework.max_value,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(change)
    db.session.flush()
    audit.record(
        "framework.changed",
        framework,
        actor=actor,
        change_id=change.id,
        kind=str(kind),
        lot_id=change.lot_id,
        value=value,
        effective_from=effective_from,
        max_value={"old": before, "new": framework.max_value},
        lot_max_value=(
            {"old": lot.max_value - value, "new": lot.max_value}
            if lot is not None and lot.max_value is not None and value > 0
            else None
        ),
    )
    if value > 0:
        refresh_spend_status(framework, actor=actor)  # an exhausted framework may reopen
    return change


def _substitution_parties(
    framework: Framework, lot: Lot | None, values: dict[str, Any]
) -> tuple[Organisation, Organisation]:
    """Art. 38/3: the provider replaced is awarded in the framework (the lot, if named); the
    new one is a provider organisation."""
    old = db.session.get(Organisation, int(values["old_provider_id"]))
    new = db.session.get(Organisation, int(values["new_provider_id"]))
    awarded = (
        select(Award.id)
        .join(Lot, Lot.id == Award.lot_id)
        .where(Lot.framework_id == framework.id, Award.provider_id == (old.id if old else 0))
    )
    if lot is not None:
        awarded = awarded.where(Award.lot_id == lot.id)
    if old is None or db.session.scalar(awarded.limit(1)) is None:
        raise ValidationError(
            N_("The provider replaced is awarded in this framework."),
            fields={"old_provider_id": N_("Not awarded in this framework.")},
        )
    if new is None or new.kind != OrganisationKind.PROVIDER or new.id == old.id:
        raise ValidationError(
            N_("Choose the provider that takes its place."),
            fields={"new_provider_id": N_("Not another provider.")},
        )
    return old, new


# --- awards -----------------------------------------------------------------------------------


def _check_provider_eligible(provider: Organisation, *, reserved: bool) -> None:
    """Rule 4 (art. 15): a reserved framework or lot goes only to recognised social-economy
    providers: a recognition valid on the award date, today (SPEC 7.2)."""
    if reserved and not provider.is_recognised_social_economy:
        raise ValidationError(
            N_(
                "%(provider)s has no social-economy recognition valid today; a reserved lot can "
                "only be awarded to a recognised custom-work company, LDE or social integration "
                "enterprise."
            ),
            fields={"provider_id": N_("No recognition valid on the award date.")},
            params={"provider": provider.name},
        )


def _check_awards_eligible(awards: list[Award], *, reserved: bool = False) -> None:
    for award in awards:
        _check_provider_eligible(award.provider, reserved=reserved or award.lot.is_reserved)


def award_lot(lot: Lot, values: dict[str, Any], *, actor: Any) -> Award:
    """Award a draft framework's lot to a provider, with a rank and a weekly capacity (tasks a
    week); reserved lots only to recognised social-economy providers (rule 4)."""
    framework = lot.framework
    _require_lead_coordinator(framework, actor)
    loaded, errors = load(AwardSchema(), values)
    _raise(errors)
    provider_id, rank, capacity = loaded["provider_id"], loaded["rank"], loaded["weekly_capacity"]
    provider = db.session.get(Organisation, provider_id)
    if provider is None or provider.kind != OrganisationKind.PROVIDER:
        raise ValidationError(
            N_("Choose a provider organisation."), fields={"provider_id": N_("Not a provider.")}
        )
    _check_provider_eligible(provider, reserved=lot.is_reserved)
    _require_draft(framework, N_("Awards can only change while the framework is a draft."))
    if db.session.scalar(
        select(Award.id).where(Award.lot_id == lot.id, Award.provider_id == provider.id)
    ):
        raise Conflict(
            N_("This provider is already awarded this lot."),
            fields={"provider_id": N_("Already awarded.")},
        )
    if db.session.scalar(select(Award.id).where(Award.lot_id == lot.id, Award.rank == rank)):
        raise Conflict(
            N_("Another provider has this rank."),
            fields={"rank": N_("Another provider of this lot has this rank.")},
        )
    award = Award(
        lot_id=lot.id,
        provider_id=provider.id,
        rank=rank,
        weekly_capacity=capacity,
        social_economy_status=provider.social_economy_status,  # as it was (SPEC 7.2)
    )
    db.session.add(award)
    _flush_unique(N_("This award conflicts with another award of the lot."), "rank")
    db.session.expire(lot, ["awards"])
    audit.record(
        "award.created",
        award,
        actor=actor,
        lot_id=lot.id,
        provider_id=provider.id,
        rank=rank,
        weekly_capacity=capacity,
        social_economy_status=award.social_economy_status,
    )
    return award


# --- accessions -------------------------------------------------------------------------------


def _require_acts_for(organisation_id: int, actor: Any) -> None:
    """A member acts for its own authority; so does a coordinator (for the lead authority)."""
    if getattr(actor, "role", None) not in (Role.MEMBER, Role.COORDINATOR) or (
        actor.organisation_id != organisation_id
    ):
        raise Forbidden(N_("Only the member authority itself can do this."))


def request_accession(
    framework: Framework,
    lot_ids: Iterable[Any],
    order_reference: str | None,
    *,
    actor: Any,
) -> Accession:
    """Rule 3: a named beneficiary requests accession to lots of a running framework; a lot
    already covered by its pending or approved accession conflicts (409)."""
    if getattr(actor, "role", None) not in (Role.MEMBER, Role.COORDINATOR):
        raise Forbidden(N_("Only a member authority can request accession."))
    member_id = actor.organisation_id
    loaded, errors = load(
        AccessionSchema(only=("order_reference",)), {"order_reference": order_reference}
    )
    reference = loaded.get("order_reference")
    wanted: list[int] = []
    for raw in lot_ids or []:
        if isinstance(raw, bool) or not isinstance(raw, int):
            errors["lot_ids"] = N_("Lot ids are whole numbers.")
            break
        wanted.append(raw)
    if not wanted and "lot_ids" not in errors:
        errors["lot_ids"] = N_("Choose at least one lot.")
    _raise(errors)
    wanted = sorted(set(wanted))
    framework_lots = {lot.id for lot in framework.lots}
    strangers = [i for i in wanted if i not in framework_lots]
    if strangers:
        raise ValidationError(
            N_("These lots are not part of the framework."),
            fields={"lot_ids": N_("Unknown: %(ids)s.")},
            params={"ids": str(strangers)},
        )
    if not is_beneficiary(framework, member_id):
        raise Conflict(
            N_(
                "Your authority is not named as a beneficiary of this framework, so it cannot "
                "accede."
            ),
            fields={"framework_id": N_("Not a named beneficiary.")},
        )
    if not framework.is_running or framework.end_date < today():
        raise Conflict(
            N_("Accession is possible only to an active framework."),
            fields={"status": framework.status},
        )
    covered = sorted(
        db.session.scalars(
            select(AccessionLot.lot_id).where(
                AccessionLot.member_id == member_id,
                AccessionLot.lot_id.in_(wanted),
                AccessionLot.covering.is_(True),
            )
        )
    )
    if covered:
        numbers = sorted(lot.number for lot in framework.lots if lot.id in covered)
        message = N_("Lot %(numbers)s is already covered by a pending or approved accession.")
        raise Conflict(
            message,
            fields={"lot_ids": message},
            params={"numbers": ", ".join(str(n) for n in numbers)},
        )
    accession = Accession(
        framework_id=framework.id,
        member_id=member_id,
        order_reference=reference,
        status=AccessionStatus.REQUESTED,
        requested_by_id=actor.id,
    )
    accession.lot_links = [
        AccessionLot(lot_id=lot_id, member_id=member_id, covering=True) for lot_id in wanted
    ]
    db.session.add(accession)
    _flush_unique(N_("A lot is already covered by a pending or approved accession."), "lot_ids")
    db.session.refresh(accession)
    audit.record(
        "accession.requested",
        accession,
        actor=actor,
        framework_id=framework.id,
        member_id=member_id,
        lot_ids=wanted,
        order_reference=reference,
    )
    notifications.accession_requested(accession)
    return accession


def _require_requested(accession: Accession) -> None:
    if accession.status != AccessionStatus.REQUESTED:
        raise Conflict(
            N_("This accession is already %(status)s."),
            fields={"status": accession.status},
            params={"status": Message(str(accession.status))},
        )


def _set_covering(accession: Accession) -> None:
    covering = accession.status in COVERING_ACCESSION_STATUSES
    for link in accession.lot_links:
        link.covering = covering


def approve_accession(accession: Accession, *, actor: Any) -> Accession:
    """A coordinator of the lead authority approves a requested accession as a whole."""
    _require_lead_coordinator(accession.framework, actor)
    _require_requested(accession)
    if not accession.framework.is_running:
        raise Conflict(
            N_("The framework is not active; the accession cannot be approved."),
            fields={"status": accession.framework.status},
        )
    accession.status = AccessionStatus.APPROVED
    accession.decided_at = utcnow()
    accession.decided_by_id = actor.id
    _set_covering(accession)
    db.session.flush()
    audit.record("accession.approved", accession, actor=actor)
    notifications.accession_decided(accession)
    return accession


def reject_accession(accession: Accession, reason: str | None, *, actor: Any) -> Accession:
    """A coordinator of the lead authority rejects a requested accession, with a reason."""
    _require_lead_coordinator(accession.framework, actor)
    cleaned = _reason(reason)
    _require_requested(accession)
    accession.status = AccessionStatus.REJECTED
    accession.reason = cleaned
    accession.decided_at = utcnow()
    accession.decided_by_id = actor.id
    _set_covering(accession)
    db.session.flush()
    audit.record("accession.rejected", accession, actor=actor, reason=cleaned)
    notifications.accession_decided(accession)
    return accession


def withdraw_accession(accession: Accession, *, actor: Any) -> Accession:
    """The member withdraws its requested or approved accession; its lots are free again."""
    _require_acts_for(accession.member_id, actor)
    if accession.status not in COVERING_ACCESSION_STATUSES:
        raise Conflict(
            N_("This accession is already %(status)s."),
            fields={"status": accession.status},
            params={"status": Message(str(accession.status))},
        )
    accession.status = AccessionStatus.WITHDRAWN
    accession.decided_at = utcnow()
    accession.decided_by_id = actor.id
    _set_covering(accession)
    db.session.flush()
    audit.record("accession.withdrawn", accession, actor=actor)
    notifications.accession_withdrawn(accession)
    return accession


# --- committed value and thresholds (rule 2) --------------------------------------------------


@dataclass(frozen=True)
class SpendCheck:
    """Committed value against a maximum, optionally with an amount about to be committed."""

    committed: Decimal
    maximum: Decimal | None
    would_commit: Decimal = Decimal("0.00")

    @property
    def total(self) -> Decimal:
        return self.committed + self.would_commit

    @property
    def crosses(self) -> bool:
        """Whether committing `would_commit` takes the total over the maximum."""
        return self.maximum is not None and self.total > self.maximum

    @property
    def remaining(self) -> Decimal | None:
        return None if self.maximum is None else self.maximum - self.total

    @property
    def percent(self) -> Decimal | None:
        if not self.maximum:
            return None
        return (self.total * 100 / self.maximum).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def thresholds_reached(self) -> tuple[int, ...]:
        """The warning thresholds (80, 90, 100 % of the maximum) the total has reached."""
        if not self.maximum:
            return ()
        return tuple(t for t in THRESHOLDS if self.total * 100 >= self.maximum * t)


def _as_money(value: Any) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money is never a float")
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def committed_value(
    framework: Framework,
    *,
    would_commit: Decimal = Decimal("0.00"),
    amounts: FrameworkAmounts | None = None,
) -> SpendCheck:
    """Rule 2: the framework's committed value (every task not cancelled and not closed as
    inaccessible or not found, at unit price × quantity excl. VAT) against its maximum; with
    `would_commit`, whether adding that amount would cross it."""
    amounts = amounts if amounts is not None else committed_amounts(framework.id)
    return SpendCheck(
        committed=amounts.total.committed,
        maximum=framework.max_value,
        would_commit=_as_money(would_commit),
    )


def lot_committed_value(
    lot: Lot,
    *,
    would_commit: Decimal = Decimal("0.00"),
    amounts: FrameworkAmounts | None = None,
) -> SpendCheck:
    """Rule 2 for a lot with its own maximum (no maximum: never crosses)."""
    amounts = amounts if amounts is not None else committed_amounts(lot.framework_id)
    return SpendCheck(
        committed=amounts.lot(lot.id).committed,
        maximum=lot.max_value,
        would_commit=_as_money(would_commit),
    )


class MaximumReached(Conflict):
    """Committing the work would take a framework or lot over its maximum (rule 2)."""

    code = "maximum_reached"


def lock_framework(framework: Framework) -> None:
    """Serialise every commitment of work under one framework (§7.1): PostgreSQL locks the
    framework's row until the transaction ends; SQLite, which has one writer at a time, makes
    the transaction the writer now (a request that writes already began as one)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        db.session.execute(
            text("UPDATE frameworks SET status = status WHERE id = :id"), {"id": framework.id}
        )
    else:
        db.session.execute(
            select(Framework.id).where(Framework.id == framework.id).with_for_update()
        )


class Refusal(NamedTuple):
    """Why work may not be committed: the maximum it would cross ("lot" or "framework")."""

    scope: str
    check: SpendCheck


@dataclass
class Room:
    """What a framework has committed, read under its lock (`room_under`), and what the caller
    has committed since in the same transaction."""

    framework: Framework
    amounts: FrameworkAmounts
    added: Decimal = Decimal("0.00")
    added_by_lot: dict[int, Decimal] = field(default_factory=dict)

    def refusal(self, lot: Lot, amount: Decimal) -> Refusal | None:
        """Rule 2, the one decision whether work may be committed (planning, corrections,
        contests, a reopened framework): None if work of `amount` in `lot` keeps the lot and
        its framework within their maximum, else the maximum it would cross."""
        amount = _as_money(amount)
        if lot.max_value is not None:
            committed = self.amounts.lot(lot.id).committed + self.added_by_lot.get(lot.id, 0)
            check = SpendCheck(committed, lot.max_value, amount)
            if check.crosses:
                return Refusal("lot", check)
        check = SpendCheck(
            self.amounts.total.committed + self.added, self.framework.max_value, amount
        )
        return Refusal("framework", check) if check.crosses else None

    def take(self, lot: Lot, amount: Decimal) -> None:
        """Count work of `amount` in `lot` as committed by this transaction."""
        amount = _as_money(amount)
        self.added += amount
        self.added_by_lot[lot.id] = self.added_by_lot.get(lot.id, Decimal("0.00")) + amount

    def commit(self, lot: Lot, amount: Decimal) -> None:
        """Commit work of `amount` in `lot`, or refuse it (409 `maximum_reached`)."""
        refusal = self.refusal(lot, amount)
        if refusal is not None:
            raise maximum_reached(refusal)
        self.take(lot, amount)

    @property
    def total(self) -> Amounts:
        return self.amounts.total + Amounts(committed=self.added)


def room_under(framework: Framework) -> Room:
    """Lock the framework (`lock_framework`) and read what it has committed: the caller then
    decides with `Room.refusal`/`Room.commit` and commits its transaction."""
    lock_framework(framework)
    return Room(framework, committed_amounts(framework.id))


def maximum_reached(refusal: Refusal) -> MaximumReached:
    check = refusal.check
    return MaximumReached(
        N_(
            "This work would take the lot's committed value to %(total)s EUR, over its "
            "maximum of %(maximum)s EUR."
        )
        if refusal.scope == "lot"
        else N_(
            "This work would take the framework's committed value to %(total)s EUR, "
            "over its maximum of %(maximum)s EUR."
        ),
        fields={
            "max_value": N_("lot maximum reached")
            if refusal.scope == "lot"
            else N_("framework maximum reached")
        },
        params={"total": check.total, "maximum": check.maximum},
    )


def _alerts_of(framework: Framework, lot: Lot | None, *conditions: Any) -> Any:
    """SQL: the alerts of the framework itself (`lot` None) or of one of its lots."""
    scope = FrameworkAlert.lot_id.is_(None) if lot is None else FrameworkAlert.lot_id == lot.id
    return select(FrameworkAlert).where(
        FrameworkAlert.framework_id == framework.id, scope, *conditions
    )


def _raise_alert(
    framework: Framework,
    lot: Lot | None,
    threshold: int,
    check: SpendCheck,
    committed: Decimal | None = None,
) -> FrameworkAlert | None:
    """Raise (or raise again) one threshold alert; returns it when it is new news."""
    alert = db.session.scalar(_alerts_of(framework, lot, FrameworkAlert.threshold == threshold))
    if alert is not None and alert.cleared_at is None:
        return None
    if alert is None:
        alert = FrameworkAlert(framework=framework, lot=lot, threshold=threshold)
        db.session.add(alert)
    # Planning's alert (a round that did not fit) records what is committed, not the refused work.
    alert.committed_value = check.total if committed is None else committed
    alert.max_value = check.maximum
    alert.raised_at = utcnow()
    alert.cleared_at = None
    return alert


def _held_full(framework: Framework, lot: Lot | None, check: SpendCheck) -> bool:
    """A 100 % alert raised by planning under the maximum (the next round did not fit) stays
    open until room is freed (less is committed than when it was raised) or planning finds room
    for all its work: clearing it every night would mail the coordinator again each time
    planning finds the round still does not fit."""
    alert = db.session.scalar(
        _alerts_of(
            framework, lot, FrameworkAlert.threshold == 100, FrameworkAlert.cleared_at.is_(None)
        )
    )
    return (
        alert is not None
        and alert.committed_value < alert.max_value
        and alert.max_value == check.maximum
        and check.total >= alert.committed_value
    )


def _clear_alerts(framework: Framework, lot: Lot | None, reached: tuple[int, ...]) -> None:
    open_alerts = _alerts_of(framework, lot, FrameworkAlert.cleared_at.is_(None))
    for alert in db.session.scalars(open_alerts):
        if alert.threshold not in reached:
            alert.cleared_at = utcnow()


def refresh_spend_status(
    framework: Framework,
    *,
    actor: Any = None,
    amounts: FrameworkAmounts | None = None,
    room_for_all: bool = False,
) -> list[FrameworkAlert]:
    """Rule 2: recompute a running framework's `exhausted` flag (from what is committed, so that
    planning tries again every night) and its 80/90/100 % alerts (and those of lots with a
    maximum); coordinators are e-mailed each newly reached threshold. Idempotent: a second run
    raises nothing new. Returns the newly raised alerts. `amounts`: the framework's amounts where
    the caller has just counted them (generate-rounds). `room_for_all`: planning has just found
    room for all its work, so a 100 % alert it raised earlier is cleared."""
    if not framework.is_running:
        return []
    if amounts is None:
        # Under the framework's lock (§7.1): reopening an exhausted framework and committing
        # work under it happen one after the other.
        amounts = room_under(framework).amounts
    raised: list[FrameworkAlert] = []
    scopes: list[tuple[Lot | None, SpendCheck]] = [
        (None, committed_value(framework, amounts=amounts))
    ]
    scopes += [
        (lot, lot_committed_value(lot, amounts=amounts))
        for lot in framework.lots
        if lot.max_value is not None
    ]
    for lot, check in scopes:
        reached = check.thresholds_reached
        if 100 not in reached and not room_for_all and _held_full(framework, lot, check):
            reached = (*reached, 100)  # still open: no second mail when planning tries again
        _clear_alerts(framework, lot, reached)
        for threshold in reached:
            alert = _raise_alert(framework, lot, threshold, check)
            if alert is not None:
                raised.append(alert)
    framework_check = scopes[0][1]
    status = (
        FrameworkStatus.EXHAUSTED
        if framework_check.total >= framework.max_value
        else FrameworkStatus.ACTIVE
    )
    if status != framework.status:
        framework.status = status
        audit.record(f"framework.{status}", framework, actor=actor, committed=framework_check.total)
    db.session.flush()
    for alert in raised:
        audit.record(
            "framework.threshold_reached",
            framework,
            actor=actor,
            threshold=alert.threshold,
            lot_id=alert.lot_id,
            committed=alert.committed_value,
        )
        notifications.threshold_reached(alert)
    return raised


def flag_exhausted(
    framework: Framework,
    lot: Lot | None = None,
    *,
    needed: Decimal,
    refused: Decimal | None = None,
) -> None:
    """Planning refused work that would cross a maximum: flag the framework exhausted for new
    work (a full lot leaves the framework open for its other lots) and alert the coordinators
    at 100 %, once. `framework-status` recomputes the flag when room is freed. `needed`: what
    the run was about to commit, of which `refused` (default: all of it) did not fit; the alert
    records the rest as committed."""
    amounts = committed_amounts(framework.id)
    kept = needed - (needed if refused is None else refused)
    if lot is not None and lot.max_value is not None:
        check = lot_committed_value(lot, would_commit=needed, amounts=amounts)
        if check.crosses:
            alert = _raise_alert(framework, lot, 100, check, check.committed + kept)
            if alert is not None:
                db.session.flush()
                notifications.threshold_reached(alert)
    check = committed_value(framework, would_commit=needed, amounts=amounts)
    if check.crosses and framework.status == FrameworkStatus.ACTIVE:
        framework.status = FrameworkStatus.EXHAUSTED
        audit.record("framework.exhausted", framework, committed=check.committed, needed=needed)
        alert = _raise_alert(framework, None, 100, check, check.committed + kept)
        if alert is not None:
            db.session.flush()
            notifications.threshold_reached(alert)
    db.session.flush()


def refresh_frameworks(day: date) -> dict[str, int]:
    """The `framework-status` pass: expire running frameworks past their end date, then
    recompute `exhausted` and the alerts of the others. Idempotent."""
    counts = {"expired": 0, "alerts": 0, "checked": 0}
    running = db.session.scalars(
        select(Framework)
        .where(Framework.status.in_([FrameworkStatus.ACTIVE, FrameworkStatus.EXHAUSTED]))
        .order_by(Framework.id)
    )
    for framework in list(running):
        counts["checked"] += 1
        if expire_framework(framework, day):
            counts["expired"] += 1
            continue
        counts["alerts"] += len(refresh_spend_status(framework))
    return counts

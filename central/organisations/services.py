"""Organisation rules: a valid KBO number, a NIS code only for authorities, a social-economy
status only for providers, one organisation per enterprise number; a valid IBAN (ISO 13616) and
invoice prefix for the invoices issued in a provider's name; an authority names a fire zone and
a water company of those kinds (SPEC 7.4); the name, enterprise number and kind fixed once the
organisation is in use (SPEC 7.2); the social-economy status comes from recognitions, read-only
(SPEC 7.2)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Select, select

from central.core import audit
from central.core.errors import N_, Conflict, ValidationError
from central.core.fields import load
from central.core.roles import Role
from central.extensions import db
from central.organisations.models import (
    DEFAULT_INVOICE_PREFIX,
    Organisation,
    OrganisationKind,
    Recognition,
    SocialEconomyStatus,
)
from central.organisations.queries import identity_use
from central.organisations.schemas import OrganisationSchema, RecognitionSchema

FIELDS = (
    "name",
    "kind",
    "enterprise_number",
    "nis_code",
    "email",
    "fire_zone_id",
    "water_company_id",
    "invoice_prefix",
    "vat_registered",
    "iban",
)
# SPEC 7.2: who the organisation is, fixed once it is in use (a contract or an invoice names it).
IDENTITY_FIELDS = ("name", "enterprise_number", "kind")
# SPEC 7.4: what an authority names, and the kind of organisation each must be.
SERVED_BY = {
    "fire_zone_id": OrganisationKind.FIRE_ZONE,
    "water_company_id": OrganisationKind.WATER_COMPANY,
}
# What OrganisationSchema reads; the invoice prefix (empty is allowed, absent is the default),
# VAT registration and the organisations an authority names are read by the rules below.
LOADED = ("name", "kind", "enterprise_number", "nis_code", "email", "iban")
# Letters, digits and - / _ . : the number {prefix}{year}-{n:05d} stays within 20 characters.
_PREFIX_RE = re.compile(r"^[A-Za-z0-9/_.-]{0,10}$")


def _clean(values: dict[str, Any], current: Organisation | None) -> dict[str, Any]:
    merged = {f: getattr(current, f) for f in FIELDS} if current else {}
    merged.update({k: v for k, v in values.items() if k in FIELDS})
    loaded, errors = load(OrganisationSchema(only=LOADED), merged)
    merged.update({name: loaded.get(name) for name in LOADED})
    if merged["nis_code"] is not None and merged.get("kind") != OrganisationKind.AUTHORITY:
        errors["nis_code"] = N_("Only an authority has a NIS code.")
    if (
        current is not None
        and current.recognitions
        and merged.get("kind") != OrganisationKind.PROVIDER
    ):
        errors["kind"] = N_("An organisation with recognitions stays a provider.")
    for field, kind in SERVED_BY.items():
        target_id = merged.get(field)
        if target_id is None:
            continue
        if merged.get("kind") != OrganisationKind.AUTHORITY:
            errors[field] = N_("Only an authority names a fire zone and a water company.")
            continue
        target = db.session.get(Organisation, target_id) if isinstance(target_id, int) else None
        if target is None or target.kind != kind:
            errors[field] = (
                N_("Choose a fire zone.")
                if kind == OrganisationKind.FIRE_ZONE
                else N_("Choose a water company.")
            )
    prefix = merged.get("invoice_prefix")
    prefix = DEFAULT_INVOICE_PREFIX if prefix is None else str(prefix).strip()
    if not _PREFIX_RE.match(prefix):
        errors["invoice_prefix"] = N_(
            "An invoice prefix has at most 10 letters, digits or - / _ . characters."
        )
    merged["invoice_prefix"] = prefix
    registered = merged.get("vat_registered")
    merged["vat_registered"] = True if registered is None else bool(registered)
    if not errors:
        for field, column in (
            ("enterprise_number", Organisation.enterprise_number),
            ("nis_code", Organisation.nis_code),
        ):
            if merged[field] is None:
                continue
            stmt = select(Organisation.id).where(column == merged[field])
            if current is not None:
                stmt = stmt.where(Organisation.id != current.id)
            if db.session.scalar(stmt) is not None:
                errors[field] = N_("Another organisation already has this number.")
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return merged


def _check_status_not_written(org: Organisation | None, values: dict[str, Any]) -> None:
    """SPEC 7.2: the social-economy status is the one a recognition gives today; a write of
    another value is refused (409), the same value is accepted and ignored."""
    if "social_economy_status" not in values:
        return
    current = org.social_economy_status if org is not None else SocialEconomyStatus.NONE
    wanted = values.get("social_economy_status") or SocialEconomyStatus.NONE
    if wanted != current:
        raise Conflict(
            N_(
                "The social-economy status follows the organisation's recognitions and cannot "
                "be set: add a recognition (status, number, valid from and until) instead."
            ),
            fields={"social_economy_status": N_("Read-only: it comes from the recognitions.")},
        )


def create_organisation(values: dict[str, Any], *, actor: Any) -> Organisation:
    """Create an authority or a provider (without a social-economy status: that comes from
    the recognitions added later)."""
    _check_status_not_written(None, values)
    org = Organisation(**_clean(values, None))
    db.session.add(org)
    db.session.flush()
    audit.record("organisation.created", org, actor=actor, name=org.name, kind=org.kind)
    return org


def update_organisation(org: Organisation, values: dict[str, Any], *, actor: Any) -> Organisation:
    """Change an organisation; its kind is fixed once users work for it, and its name,
    enterprise number and kind once it is in use (SPEC 7.2: 409). The audit event keeps the old
    and the new value of each changed field. A succeeded organisation is read-only (409)."""
    from central.organisations.succession import require_active

    require_active(org)
    _check_status_not_written(org, values)
    cleaned = _clean(values, org)
    if cleaned["kind"] != org.kind and org.id is not None:
        from central.accounts.models import User

        if db.session.scalar(select(User.id).where(User.organisation_id == org.id).limit(1)):
            raise ValidationError(
                N_("The kind of an organisation with users cannot change."),
                fields={"kind": N_("Users work for this organisation.")},
            )
    changed = sorted(k for k, v in cleaned.items() if getattr(org, k) != v)
    _check_identity_free(org, [f for f in IDENTITY_FIELDS if f in changed])
    changes = {k: {"old": getattr(org, k), "new": cleaned[k]} for k in changed}
    for key, value in cleaned.items():
        setattr(org, key, value)
    db.session.flush()
    if changed:
        audit.record("organisation.updated", org, actor=actor, fields=changed, changes=changes)
    return org


def _check_identity_free(org: Organisation, fields: list[str]) -> None:
    """SPEC 7.2: a beneficiary, an awarded provider or a party to an issued statement keeps the
    identity the contract and the invoices name; a merger is a succession, not a rename."""
    if not fields or org.id is None:
        return
    reason = identity_use(org.id)
    if reason is None:
        return
    raise Conflict(
        N_(
            "%(name)s is in use (%(reason)s): its name, enterprise number and kind can no "
            "longer change."
        ),
        fields={f: N_("Fixed once the organisation is in use (%(reason)s).") for f in fields},
        params={"name": org.name, "reason": reason},
    )


def name_fire_zone_and_water_company(
    org: Organisation, values: dict[str, Any], *, actor: Any
) -> Organisation:
    """SPEC 7.4: an authority names its fire zone and water company (its own users or the
    admin); their viewers then read its hydrants and are told when one goes out of service."""
    from central.core.permissions import require_own_authority

    if getattr(actor, "role", None) != Role.ADMIN:
        require_own_authority(actor, org.id)
    served = {k: v for k, v in values.items() if k in SERVED_BY}
    return update_organisation(org, served, actor=actor)


# --- recognitions (SPEC 7.2) --------------------------------------------------------------------


def add_recognition(org: Organisation, values: dict[str, Any], *, actor: Any) -> Recognition:
    """The admin records a provider's social-economy recognition: status, number (as the
    Flemish government's decision gives it), valid from and until (open-ended if none).
    Overlaps are allowed. Every error is named at once. The audit event keeps the status valid
    today before and after."""
    errors: dict[str, str] = {}
    if org.kind != OrganisationKind.PROVIDER:
        errors["organisation_id"] = N_("Only a provider has a social-economy recognition.")
    loaded, found = load(RecognitionSchema(), values)
    errors.update(found)
    status, number = loaded.get("status"), loaded.get("number")
    valid_from, valid_until = loaded.get("valid_from"), loaded.get("valid_until")
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    before = org.social_economy_status
    recognition = Recognition(
        organisation=org,
        status=status,
        number=number,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    db.session.add(recognition)
    db.session.flush()
    after = org.social_economy_status
    org.recorded_social_economy_status = after
    audit.record(
        "organisation.recognition_added",
        org,
        actor=actor,
        recognition_id=recognition.id,
        status=status,
        number=number,
        valid_from=valid_from,
        valid_until=valid_until,
        changes={"social_economy_status": {"old": before, "new": after}},
    )
    return recognition


def update_recognition(
    recognition: Recognition, values: dict[str, Any], *, actor: Any
) -> Recognition:
    """The admin completes a recognition's number (one the migration made has none) or sets
    its end (a recognition withdrawn or expired). Its status and start stay as recorded: a
    different recognition is a new one. The audit event keeps old and new values."""
    org = recognition.organisation
    errors: dict[str, str] = {}
    for fixed in ("status", "valid_from"):
        if fixed in values and values[fixed] != getattr(recognition, fixed):
            errors[fixed] = N_("Fixed once recorded: add a new recognition instead.")
    changing = {k: values[k] for k in ("number", "valid_until") if k in values}
    loaded, found = load(RecognitionSchema(only=tuple(changing)), changing, partial=True)
    errors.update(found)
    number = loaded.get("number", recognition.number)
    valid_until = loaded.get("valid_until", recognition.valid_until)
    if "valid_until" in loaded and valid_until is not None and valid_until < recognition.valid_from:
        errors["valid_until"] = N_("The end comes on or after the start.")
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    before = org.social_economy_status
    changes = {
        k: {"old": getattr(recognition, k), "new": v}
        for k, v in (("number", number), ("valid_until", valid_until))
        if getattr(recognition, k) != v
    }
    recognition.number = number
    recognition.valid_until = valid_until
    recognition.to_complete = recognition.to_complete and not number
    db.session.flush()
    after = org.social_economy_status
    org.recorded_social_economy_status = after
    if before != after:
        changes["social_economy_status"] = {"old": before, "new": after}
    if changes:
        audit.record(
            "organisation.recognition_changed",
            org,
            actor=actor,
            recognition_id=recognition.id,
            changes=changes,
        )
    return recognition


def recognitions_query(org: Organisation) -> Select:
    """An organisation's recognitions, oldest first."""
    return (
        select(Recognition)
        .where(Recognition.organisation_id == org.id)
        .order_by(Recognition.valid_from, Recognition.id)
    )


def recognitions_to_complete(org: Organisation) -> list[Recognition]:
    """Recognitions the migration made from a former status, without a number."""
    return [r for r in org.recognitions if r.to_complete]

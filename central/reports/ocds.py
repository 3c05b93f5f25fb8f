"""Open data: a framework as an Open Contracting Data Standard (OCDS 1.1) release package.

One release describes the framework agreement itself (the lead authority as buyer and procuring
entity, lots, awards to the providers, the estimate as `tender.value` and the maximum value —
eForms BT-709 Framework Maximum Value — as `tender.techniques.frameworkAgreement.value` and as
each award's `maximumValue`). Each member's approved accession is a call-off process of its own,
linked to the framework through `relatedProcesses` (relationship `framework`), with its issued
statements as the contract's transactions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select

from central.extensions import db
from central.frameworks import cpv
from central.frameworks.models import (
    Accession,
    AccessionStatus,
    Award,
    Framework,
    FrameworkChange,
    FrameworkStatus,
    Lot,
    ProcedureKind,
)
from central.organisations.models import Organisation
from central.reports.models import Statement

OCDS_VERSION = "1.1"
DEFAULT_PREFIX = "ocds-centrl"
KBO_SCHEME = "BE-BCE_KBO"  # org-id.guide: Belgian Crossroads Bank for Enterprises
EXTENSIONS = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_techniques_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_1_2_draft_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_other_requirements_extension/master/extension.json",
]
# SPEC 7.2: the procedure on record as OCDS procurementMethod (method codelist) and, in the
# release's language (Dutch), procurementMethodDetails.
PROCUREMENT_METHOD = {
    ProcedureKind.OPEN: ("open", "Openbare procedure"),
    ProcedureKind.RESTRICTED: ("selective", "Niet-openbare procedure"),
    ProcedureKind.COMPETITIVE_NEGOTIATION: (
        "selective",
        "Mededingingsprocedure met onderhandeling",
    ),
    ProcedureKind.NEGOTIATED_WITH_PUBLICATION: (
        "selective",
        "Onderhandelingsprocedure met voorafgaande bekendmaking",
    ),
    ProcedureKind.NEGOTIATED_WITHOUT_PUBLICATION: (
        "limited",
        "Onderhandelingsprocedure zonder voorafgaande bekendmaking",
    ),
}
# Art. 15 of the Act (art. 20 of Directive 2014/24/EU): reserved for sheltered workshops and
# operators whose aim is the social and professional integration of disadvantaged persons.
RESERVED_PARTICIPATION = ["shelteredWorkshop"]
# Framework status -> the framework agreement's contract status (OCDS contractStatus codelist).
CONTRACT_STATUS = {
    FrameworkStatus.DRAFT: "pending",
    FrameworkStatus.ACTIVE: "active",
    FrameworkStatus.EXHAUSTED: "active",
    FrameworkStatus.EXPIRED: "terminated",
    FrameworkStatus.TERMINATED: "terminated",
}


def ocid_prefix() -> str:
    return current_app.config.get("OCDS_PREFIX") or DEFAULT_PREFIX


def framework_ocid(framework: Framework) -> str:
    return f"{ocid_prefix()}-{framework.reference}"


def call_off_ocid(framework: Framework, member: Organisation) -> str:
    return f"{framework_ocid(framework)}-M{member.id}"


def _timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _value(amount: Decimal | None) -> dict[str, Any] | None:
    """An OCDS Value: a JSON number (exact for amounts in cents) in euro."""
    if amount is None:
        return None
    return {"amount": float(Decimal(amount)), "currency": "EUR"}


def _digits(enterprise_number: str) -> str:
    return "".join(ch for ch in enterprise_number if ch.isdigit())


def party_id(org: Organisation) -> str:
    return f"{KBO_SCHEME}-{_digits(org.enterprise_number)}"


def _party(org: Organisation, roles: list[str]) -> dict[str, Any]:
    party: dict[str, Any] = {
        "id": party_id(org),
        "name": org.name,
        "identifier": {
            "scheme": KBO_SCHEME,
            "id": _digits(org.enterprise_number),
            "legalName": org.name,
        },
        "roles": roles,
    }
    if org.email:
        party["contactPoint"] = {"email": org.email}
    return party


def _ref(org: Organisation) -> dict[str, str]:
    return {"id": party_id(org), "name": org.name}


def _period(framework: Framework) -> dict[str, str]:
    return {
        "startDate": f"{framework.start_date.isoformat()}T00:00:00Z",
        "endDate": f"{framework.end_date.isoformat()}T23:59:59Z",
    }


def _compact(value: Any) -> Any:
    """Drop empty fields: OCDS prefers absent over null or empty."""
    if isinstance(value, dict):
        cleaned = {k: _compact(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def _framework_release(framework: Framework, awards: list[Award]) -> dict[str, Any]:
    lead = framework.lead_organisation
    changes = list(
        db.session.scalars(
            select(FrameworkChange)
            .where(FrameworkChange.framework_id == framework.id)
            .order_by(FrameworkChange.created_at, FrameworkChange.id)
        )
    )
    dates = [framework.created_at, framework.activated_at, framework.terminated_at]
    dates += [award.created_at for award in awards]
    dates += [change.created_at for change in changes]
    released = max(d for d in dates if d is not None)
    ocid = framework_ocid(framework)
    parties: dict[str, dict[str, Any]] = {
        party_id(lead): _party(lead, ["buyer", "procuringEntity"])
    }
    for member in framework.beneficiaries:
        parties.setdefault(party_id(member), _party(member, ["interestedParty"]))
    for award in awards:
        parties.setdefault(party_id(award.provider), _party(award.provider, []))
        roles = parties[party_id(award.provider)]["roles"]
        for role in ("tenderer", "supplier"):
            if role not in roles:
                roles.append(role)
    draft = framework.status == FrameworkStatus.DRAFT
    lots = list(framework.lots)
    method, method_details = PROCUREMENT_METHOD.get(framework.procedure, (None, None))
    tags = ["tender"] if draft else ["tender", "award", "contract"]
    release = {
        "ocid": ocid,
        "id": f"{ocid}-{released.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}",
        "date": _timestamp(released),
        "tag": tags,
        "initiationType": "tender",
        "language": "nl",
        "parties": list(parties.values()),
        "buyer": _ref(lead),
        "tender": {
            "id": framework.reference,
            "title": framework.title,
            "status": "planning" if draft else "complete",
            "procuringEntity": _ref(lead),
            "procurementMethod": method,
            "procurementMethodDetails": method_details,
            "mainProcurementCategory": "services",
            "items": _items(framework),
            "otherRequirements": (
                {"reservedParticipation": RESERVED_PARTICIPATION} if framework.reserved else None
            ),
            "documents": [
                {"id": f"notice-{n}", "documentType": "tenderNotice", "title": reference}
                for n, reference in enumerate(framework.notice_references or [], start=1)
            ],
            "value": _value(framework.estimated_value),
            "contractPeriod": _period(framework),
            "techniques": {
                "hasFrameworkAgreement": True,
                "frameworkAgreement": {
                    "method": "withoutReopeningCompetition",
                    "value": _value(framework.max_value),
                    "period": _period(framework),
                    "periodRationale": framework.term_justification,
                    "buyerCategories": ", ".join(m.name for m in framework.beneficiaries),
                },
            },
            "lots": [
                {
                    "id": str(lot.number),
                    "title": lot.title,
                    "status": "planning" if draft else "complete",
                    "otherRequirements": (
                        {"reservedParticipation": RESERVED_PARTICIPATION}
                        if lot.reserved and not framework.reserved
                        else None
                    ),
                    "techniques": (
                        {
                            "hasFrameworkAgreement": True,
                            "frameworkAgreement": {"value": _value(lot.max_value)},
                        }
                        if lot.max_value is not None
                        else None
                    ),
                }
                for lot in lots
            ],
        },
    }
    if not draft:
        lot_numbers = {lot.id: str(lot.number) for lot in lots}
        max_by_lot = {lot.id: lot.max_value or framework.max_value for lot in lots}
        release["awards"] = [
            {
                "id": f"{award.lot_id}-{award.provider_id}",
                "status": "active",
                # The date of the award decision (OCDS: "usually the date on which a decision
                # to award was made"); the award's entry where none is on record.
                "date": (
                    f"{framework.award_decision_date.isoformat()}T00:00:00Z"
                    if framework.award_decision_date
                    else _timestamp(award.created_at)
                ),
                "suppliers": [_ref(award.provider)],
                "relatedLots": [lot_numbers[award.lot_id]],
                "maximumValue": _value(max_by_lot[award.lot_id]),
            }
            for award in awards
        ]
        release["contracts"] = [
            {
                "id": f"{award.lot_id}-{award.provider_id}",
                "awardID": f"{award.lot_id}-{award.provider_id}",
                "title": f"{framework.title} — {award.provider.name}",
                "status": CONTRACT_STATUS[FrameworkStatus(framework.status)],
                "period": _period(framework),
                # SPEC 7.2: the changes during the term that concern this contract's lot.
                "amendments": [
                    _amendment(change)
                    for change in changes
                    if change.lot_id in (None, award.lot_id)
                ],
            }
            for award in awards
        ]
        if changes:
            release["tag"].append("contractAmendment")
    return _compact(release)


def _items(framework: Framework) -> list[dict[str, Any]]:
    """The object of the framework as one item: the main CPV code as its classification, the
    others as additional classifications (eForms BT-262 and BT-263: eight digits, no check
    digit), with the CPV list's label."""
    codes = list(framework.cpv_codes or [])
    if not codes:
        return []

    def classification(code: str) -> dict[str, str | None]:
        return {"scheme": "CPV", "id": code.split("-")[0], "description": cpv.label(code)}

    return [
        {
            "id": "1",
            "description": framework.title,
            "classification": classification(codes[0]),
            "additionalClassifications": [classification(code) for code in codes[1:]],
        }
    ]


def _amendment(change: FrameworkChange) -> dict[str, Any]:
    """A recorded change as an OCDS amendment: its ground and justification as the rationale."""
    rationale = change.kind.replace("_", " ")
    if change.justification:
        rationale = f"{rationale}: {change.justification}"
    return {
        "id": f"change-{change.id}",
        "date": _timestamp(change.created_at),
        "rationale": rationale,
        "description": f"{change.description} (value {change.value} EUR excl. VAT; maximum "
        f"{change.max_value_before} → {change.max_value_after} EUR)",
    }


def _call_off_release(
    framework: Framework,
    accessions: list[Accession],
    providers: list[Organisation],
    statements: list[Statement],
) -> dict[str, Any]:
    """A member's call-offs under the framework: one contract per approved accession (its
    order reference), the issued statements as transactions of the contract they name."""
    member = accessions[0].member
    lead = framework.lead_organisation
    ocid = call_off_ocid(framework, member)
    dates = [a.decided_at or a.requested_at for a in accessions]
    dates += [s.issued_at for s in statements]
    released = max(dates)
    parties: dict[str, dict[str, Any]] = {party_id(member): _party(member, ["buyer", "payer"])}
    parties.setdefault(party_id(lead), _party(lead, ["procuringEntity"]))
    for provider in providers:
        roles = ["supplier"]
        if any(s.provider_id == provider.id for s in statements):
            roles.append("payee")
        parties.setdefault(party_id(provider), _party(provider, roles))
    lot_numbers = sorted({lot.number for a in accessions for lot in a.lots})
    by_reference = {a.order_reference: a.id for a in accessions}
    transactions: dict[int, list[dict[str, Any]]] = {a.id: [] for a in accessions}
    for statement in statements:
        target = by_reference.get(statement.order_reference, accessions[0].id)
        transactions[target].append(
            {
                "id": statement.number,
                "date": _timestamp(statement.issued_at),
                "value": _value(statement.total_incl_vat),
                "payer": {"id": party_id(member), "name": statement.member_name},
                "payee": {"id": party_id(statement.provider), "name": statement.provider_name},
            }
        )
    status = CONTRACT_STATUS[FrameworkStatus(framework.status)]
    release = {
        "ocid": ocid,
        "id": f"{ocid}-{released.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}",
        "date": _timestamp(released),
        "tag": ["contract", "implementation"] if statements else ["contract"],
        "initiationType": "tender",
        "language": "nl",
        "parties": list(parties.values()),
        "buyer": _ref(member),
        "relatedProcesses": [
            {
                "id": "1",
                "relationship": ["framework"],
                "title": framework.title,
                "scheme": "ocid",
                "identifier": framework_ocid(framework),
            }
        ],
        "tender": {
            "id": f"{framework.reference}-M{member.id}",
            "title": f"{framework.title} — {member.name}",
            "status": "complete",
            "procuringEntity": _ref(lead),
            "techniques": {"hasFrameworkAgreement": True},
            "lots": [{"id": str(number)} for number in lot_numbers],
        },
        "awards": [
            {
                "id": f"A{accession.id}",
                "status": "active",
                "date": _timestamp(accession.decided_at),
                "suppliers": [_ref(p) for p in providers],
                "relatedLots": [str(lot.number) for lot in accession.lots],
            }
            for accession in accessions
        ],
        "contracts": [
            {
                "id": f"A{accession.id}",
                "awardID": f"A{accession.id}",
                "title": accession.order_reference,
                "status": status,
                "period": {
                    "startDate": _timestamp(accession.decided_at),
                    "endDate": _period(framework)["endDate"],
                },
                "implementation": {"transactions": transactions[accession.id]},
            }
            for accession in accessions
        ],
    }
    return _compact(release)


def release_package(framework: Framework, *, uri: str | None = None) -> dict[str, Any]:
    """The framework and its call-offs as an OCDS 1.1 release package."""
    awards = list(
        db.session.scalars(
            select(Award)
            .join(Lot, Lot.id == Award.lot_id)
            .where(Lot.framework_id == framework.id)
            .order_by(Lot.number, Award.rank)
        )
    )
    releases = [_framework_release(framework, awards)]
    if framework.status != FrameworkStatus.DRAFT:
        accessions = db.session.scalars(
            select(Accession)
            .where(
                Accession.framework_id == framework.id,
                Accession.status == AccessionStatus.APPROVED,
            )
            .order_by(Accession.id)
        )
        by_member: dict[int, list[Accession]] = {}
        for accession in accessions:
            by_member.setdefault(accession.member_id, []).append(accession)
        statements_by_member: dict[int, list[Statement]] = {}
        for statement in db.session.scalars(
            select(Statement)
            .where(Statement.framework_id == framework.id)
            .order_by(Statement.issued_at, Statement.id)
        ):
            statements_by_member.setdefault(statement.member_id, []).append(statement)
        for member_id, member_accessions in by_member.items():
            lot_ids = {lot_id for a in member_accessions for lot_id in a.lot_ids}
            providers = {a.provider_id: a.provider for a in awards if a.lot_id in lot_ids}
            releases.append(
                _call_off_release(
                    framework,
                    member_accessions,
                    list(providers.values()),
                    statements_by_member.get(member_id, []),
                )
            )
    lead = framework.lead_organisation
    package = {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": EXTENSIONS,
        "publishedDate": max(r["date"] for r in releases),
        "publisher": {
            "name": lead.name,
            "scheme": KBO_SCHEME,
            "uid": _digits(lead.enterprise_number),
        },
        "releases": releases,
    }
    return _compact(package)

"""Demo: the Roeselare hydrant framework (RSL-2025-BK-01), built through the services as a
coordinator would: the open procedure on record (CPV codes, notices, award decision,
standstill), a price revision clause, two lots, task types with checklists, the prices as
tendered (one provider's own), both providers awarded, the 2026 price revision recorded as a
change under the clause, Roeselare and its eleven members named; nine members and Roeselare acceded
and approved, one request pending, one member not yet acceded.

Idempotent: every part is found by its natural key (reference, lot number, task type code,
price date, provider, member) and only what is missing is created.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from sqlalchemy import select

from central.accounts.models import Role, User
from central.core.clock import today
from central.extensions import db
from central.frameworks import services
from central.frameworks.models import (
    Accession,
    Award,
    Framework,
    FrameworkChange,
    FrameworkStatus,
    PriceLine,
    TaskType,
)
from central.organisations.demo import MEMBERS
from central.organisations.models import Organisation

REFERENCE = "RSL-2025-BK-01"
MANDEL = "Maatwerkbedrijf Mandel & Leie"
REVISION_CLAUSE = (
    "Prijsherziening op 1 januari van elk jaar: p = P × (0,20 + 0,80 × S / S0), met S de "
    "loonkost van de sector (Agoria) in de maand vóór de herziening en S0 die bij de opening "
    "van de offertes."
)
FRAMEWORK = {
    "reference": REFERENCE,
    "title": "Inspectie en onderhoud van brandkranen — aankoopcentrale Roeselare",
    "reserved": True,
    "start_date": date(2025, 1, 1),
    "end_date": date(2028, 12, 31),
    "estimated_value": "180000.00",
    "max_value": "250000.00",
    # Share of the members' maintenance budget spent through the social economy (Hasselt: 15 %).
    "social_target_percent": "15",
    "revision_clause": REVISION_CLAUSE,
}
# SPEC 7.2: the procedure on record. The maximum reaches the EU threshold: an open procedure
# published in the OJEU (eForms notice number), the standstill ended before conclusion.
PROCEDURE = {
    "procedure": "open",
    "cpv_codes": ["50413200-5", "71631000-0", "45233290-8"],
    "notice_references": ["573214-2024", "e-Procurement RSL-2025-BK-01"],
    "award_decision_date": date(2024, 11, 15),
    "standstill_end": date(2024, 11, 30),
}
LOTS = [
    {
        "number": 1,
        "title": "Inspectie en onderhoud brandkranen",
        "service_type": "hydrant_maintenance",
        "reserved": True,
        "max_value": "190000.00",
        "max_tasks_per_round": 25,
        "planning_horizon_days": 28,
        "urgent_days": 7,
    },
    {
        "number": 2,
        "title": "Signalisatie en herstellingen",
        "service_type": "hydrant_signage_repair",
        "reserved": True,
        "max_value": "60000.00",
        "max_tasks_per_round": 20,
        "planning_horizon_days": 21,
        "urgent_days": 5,
        # Ghent's case (SPEC 7.3): a tenth of the accepted value through subcontractors.
        "social_clause": {"kind": "subcontracting_share", "target": "10"},
    },
]


def _pass_fail(key: str, label: str) -> dict:
    return {"key": key, "label": label, "kind": "pass_fail"}


PRESSURE = {
    "key": "static_pressure",
    "label": "Statische druk (bar)",
    "kind": "reading",
    "min": "1.5",
    "max": "10",
}
# (lot number, code, name, checklist, follow-up (lot number, code) or None)
TASK_TYPES = [
    (
        2,
        "minor_repair",
        "Kleine herstelling aan brandkraan",
        [_pass_fail("repaired", "Gebrek verholpen"), _pass_fail("tested", "Werking getest")],
        None,
    ),
    (
        2,
        "signage_plate_replacement",
        "Vervangen signalisatieplaat",
        [
            _pass_fail("plate_fixed", "Plaat stevig bevestigd"),
            _pass_fail("plate_legible", "Maten en diameter leesbaar"),
        ],
        None,
    ),
    (
        2,
        "signage_post_placement",
        "Plaatsen signalisatiepaal met plaat",
        [
            _pass_fail("post_plumb", "Paal loodrecht en stevig"),
            _pass_fail("plate_fixed", "Plaat bevestigd"),
        ],
        None,
    ),
    (
        2,
        "lid_frame_repair",
        "Herstellen deksel en kader",
        [
            _pass_fail("lid_level", "Deksel gelijk met wegdek"),
            _pass_fail("lid_opens", "Deksel opent"),
        ],
        None,
    ),
    (
        1,
        "hydrant_inspection",
        "Inspectie ondergrondse brandkraan",
        [
            _pass_fail("lid_frame", "Deksel en kader"),
            _pass_fail("signage_plate", "Signalisatieplaat"),
            _pass_fail("visibility", "Zichtbaarheid en vrije ruimte"),
            _pass_fail("valve_operation", "Bediening afsluiter"),
            _pass_fail("drainage", "Aftapping (drainage)"),
            PRESSURE,
        ],
        (2, "minor_repair"),
    ),
    (
        1,
        "pillar_hydrant_inspection",
        "Inspectie bovengrondse brandkraan",
        [
            _pass_fail("column_paint", "Kolom en verflaag"),
            _pass_fail("caps_couplings", "Doppen en koppelingen"),
            _pass_fail("visibility", "Zichtbaarheid en vrije ruimte"),
            _pass_fail("valve_operation", "Bediening afsluiter"),
            _pass_fail("drainage", "Aftapping (drainage)"),
            PRESSURE,
        ],
        (2, "minor_repair"),
    ),
]
# (lot number, code, unit, unit price, valid from, provider name or None for the common line):
# the prices as tendered (in lot 1 the rank-2 provider tendered its own inspection price) and
# the 2026 indexation agreed before the framework was concluded.
PRICES = [
    (1, "hydrant_inspection", "piece", "18.50", date(2025, 1, 1), None),
    (1, "hydrant_inspection", "piece", "19.05", date(2026, 1, 1), None),
    (1, "hydrant_inspection", "piece", "19.40", date(2025, 1, 1), MANDEL),
    (1, "hydrant_inspection", "piece", "19.98", date(2026, 1, 1), MANDEL),
    (1, "pillar_hydrant_inspection", "piece", "21.00", date(2025, 1, 1), None),
    (1, "pillar_hydrant_inspection", "piece", "21.60", date(2026, 1, 1), None),
    (2, "minor_repair", "hour", "38.50", date(2025, 1, 1), None),
    (2, "signage_plate_replacement", "piece", "42.00", date(2025, 1, 1), None),
    (2, "signage_post_placement", "piece", "95.00", date(2025, 1, 1), None),
    (2, "lid_frame_repair", "piece", "68.00", date(2025, 1, 1), None),
]
# The yearly revision on the next 1 January, recorded as a change under the revision clause
# (it leaves the maximum as it is) that carries the revised lines of lot 1: (code, unit price,
# provider name or None).
REVISED_PRICES = [
    ("hydrant_inspection", "19.62", None),
    ("hydrant_inspection", "20.58", MANDEL),
    ("pillar_hydrant_inspection", "22.25", None),
]


# (lot number, provider name, rank, tasks a week)
AWARDS = [
    (1, "De Kraanwerkers LDE vzw", 1, 150),
    (1, "Maatwerkbedrijf Mandel & Leie", 2, 100),
    (2, "Maatwerkbedrijf Mandel & Leie", 1, 60),
    (2, "De Kraanwerkers LDE vzw", 2, 40),
]
PENDING = "Gemeente Staden"  # asked for lot 1, not yet decided
NOT_ACCEDED = "Gemeente Pittem"  # named, has not asked yet


def _by_name(names: list[str], kind: str) -> dict[str, Organisation]:
    return {
        org.name: org
        for org in db.session.scalars(
            select(Organisation).where(Organisation.name.in_(names), Organisation.kind == kind)
        )
    }


def _coordinator(lead: Organisation) -> object:
    user = db.session.scalar(
        select(User)
        .where(User.organisation_id == lead.id, User.role == Role.COORDINATOR)
        .order_by(User.id)
    )
    return user or SimpleNamespace(id=None, role=Role.COORDINATOR, organisation_id=lead.id)


def _acting_member(org: Organisation) -> object:
    """A member of `org` (its first member user, or the authority itself without one)."""
    user = db.session.scalar(
        select(User)
        .where(User.organisation_id == org.id, User.role.in_([Role.MEMBER, Role.COORDINATOR]))
        .order_by(User.id)
    )
    return user or SimpleNamespace(id=None, role=Role.MEMBER, organisation_id=org.id)


def load(orgs: dict[str, Organisation]) -> Framework:
    """Create what is missing of the Roeselare hydrant framework."""
    lead = orgs["lead"]
    coordinator = _coordinator(lead)
    framework = db.session.scalar(select(Framework).where(Framework.reference == REFERENCE))
    if framework is None:
        framework = services.create_framework(FRAMEWORK | PROCEDURE, actor=coordinator)
    elif framework.procedure is None and framework.status != FrameworkStatus.TERMINATED:
        # A demo made before the procedure was kept: complete its record.
        services.update_framework(framework, PROCEDURE, actor=coordinator)
    member_names = [name for name, _digits, _nis in MEMBERS]
    if framework.is_draft:
        _build_draft(framework, lead, coordinator, member_names)
        services.activate_framework(framework, actor=coordinator)
    _revise_prices(framework, coordinator)
    _accede(framework, lead, coordinator, member_names)
    db.session.flush()
    return framework


def _build_draft(
    framework: Framework, lead: Organisation, coordinator: object, member_names: list[str]
) -> None:
    lots = {lot.number: lot for lot in framework.lots}
    for values in LOTS:
        if values["number"] not in lots:
            lots[values["number"]] = services.create_lot(framework, values, actor=coordinator)
    for lot_number, code, name, checklist, follow_up in TASK_TYPES:
        lot = lots[lot_number]
        if db.session.scalar(
            select(TaskType.id).where(TaskType.lot_id == lot.id, TaskType.code == code)
        ):
            continue
        values = {"code": code, "name": name, "checklist": checklist}
        if follow_up is not None:
            values["follow_up"] = {"lot_id": lots[follow_up[0]].id, "task_type": follow_up[1]}
        services.create_task_type(lot, values, actor=coordinator)
    providers = _by_name(sorted({name for _l, name, _r, _c in AWARDS}), "provider")
    for lot_number, name, rank, capacity in AWARDS:
        lot, provider = lots[lot_number], providers.get(name)
        if provider is None:
            continue
        if db.session.scalar(
            select(Award.id).where(Award.lot_id == lot.id, Award.provider_id == provider.id)
        ):
            continue
        services.award_lot(
            lot,
            {"provider_id": provider.id, "rank": rank, "weekly_capacity": capacity},
            actor=coordinator,
        )
    _add_prices(framework, PRICES, coordinator, as_tendered=True)
    members = _by_name(member_names, "authority")
    services.add_beneficiaries(
        framework, [lead.id, *[org.id for org in members.values()]], actor=coordinator
    )


def _add_prices(
    framework: Framework,
    prices: list[tuple],
    coordinator: object,
    *,
    as_tendered: bool = False,
    change_id: int | None = None,
) -> None:
    """The price lines of `prices` that are missing (by lot, task type, date and provider)."""
    lots = {lot.number: lot for lot in framework.lots}
    providers = _by_name(sorted({p[5] for p in prices if p[5]}), "provider")
    for lot_number, code, unit, price, valid_from, provider_name in prices:
        lot = lots[lot_number]
        provider = providers.get(provider_name) if provider_name else None
        if provider_name and provider is None:
            continue
        exists = db.session.scalar(
            select(PriceLine.id)
            .join(TaskType, TaskType.id == PriceLine.task_type_id)
            .where(
                TaskType.lot_id == lot.id,
                TaskType.code == code,
                PriceLine.valid_from == valid_from,
                PriceLine.provider_id == provider.id
                if provider
                else PriceLine.provider_id.is_(None),
            )
        )
        if exists is not None:
            continue
        values = {"task_type": code, "unit": unit, "unit_price": price, "valid_from": valid_from}
        if provider is not None:
            values["provider_id"] = provider.id
        if as_tendered and valid_from == framework.start_date:
            values["as_tendered"] = True
        if change_id is not None:
            values["change_id"] = change_id
        services.add_price_line(lot, values, actor=coordinator)


def _revise_prices(framework: Framework, coordinator: object) -> None:
    """The 2026 price revision: one change under the revision clause and its price lines."""
    if not framework.is_running or not framework.revision_clause:
        return
    change = db.session.scalar(
        select(FrameworkChange).where(
            FrameworkChange.framework_id == framework.id,
            FrameworkChange.kind == "review_clause",
        )
    )
    if change is None:
        effective = date(today().year + 1, 1, 1)
        if effective > framework.end_date:
            return
        change = services.record_change(
            framework,
            {
                "kind": "review_clause",
                "description": f"Prijsherziening {effective.year} volgens de "
                "herzieningsclausule (S/S0 = 1,0300)",
                "value": "0.00",
                "effective_from": effective,
            },
            actor=coordinator,
        )
    prices = [
        (1, code, "piece", price, change.effective_from, provider)
        for code, price, provider in REVISED_PRICES
    ]
    _add_prices(framework, prices, coordinator, change_id=change.id)


def _accede(
    framework: Framework, lead: Organisation, coordinator: object, member_names: list[str]
) -> None:
    members = _by_name(member_names, "authority")
    lots = {lot.number: lot for lot in framework.lots}
    authorities = [lead, *[members[n] for n in member_names if n in members]]
    for org in authorities:
        if org.name == NOT_ACCEDED:
            continue
        if db.session.scalar(
            select(Accession.id).where(
                Accession.framework_id == framework.id, Accession.member_id == org.id
            )
        ):
            continue
        chosen = [lots[1].id] if org.name == PENDING else [lot.id for lot in lots.values()]
        reference = f"BK-{org.nis_code or 'RSL'}-2025"
        accession = services.request_accession(
            framework, chosen, reference, actor=_acting_member(org)
        )
        if org.name != PENDING:
            services.approve_accession(accession, actor=coordinator)
    if framework.status == FrameworkStatus.ACTIVE:
        services.refresh_spend_status(framework)

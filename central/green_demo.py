"""Demo: green maintenance by the social economy (the Praktijkgids' Aalst case) beside the hydrants.

Roeselare's second framework, RSL-2025-GRN-01, reserved for the social economy: one lot of hedge
cutting (priced per m), lawn mowing (per m²) and ecological mowing (per m², only in June and
September), awarded to Maatwerkbedrijf Mandel & Leie. Roeselare, Ingelmunster, Lendelede and
Hooglede acceded and keep their hedges, lawns and ecological verges with their length or area;
each subscribes them to the work in its season. Planning adds last season's history; this week's
hedge round of Ingelmunster is assigned to the maatwerkbedrijf's crew, for the phone.

Built through the services as the coordinator and the members would; idempotent (found by
reference, lot number, code, member and asset code).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, insert, select

from central.assets import kinds as asset_kinds
from central.assets import services as asset_services
from central.assets.models import Asset, AssetKind, AssetStatus, ServicePlan
from central.core import clock
from central.core.types import utcnow
from central.extensions import db
from central.fieldwork.demo import assigned_round
from central.frameworks import services
from central.frameworks.demo import _acting_member, _by_name, _coordinator, _pass_fail
from central.frameworks.models import (
    Accession,
    Award,
    Framework,
    FrameworkStatus,
    Lot,
    PriceLine,
    TaskType,
)
from central.frameworks.queries import current_prices
from central.organisations.models import Organisation
from central.planning.models import OPEN_TASK_STATUSES, Round, RoundStatus, Task
from central.planning.queries import monday

REFERENCE = "RSL-2025-GRN-01"
FRAMEWORK = {
    "reference": REFERENCE,
    "title": "Groenonderhoud door de sociale economie — aankoopcentrale Roeselare",
    "reserved": True,
    "start_date": date(2025, 9, 1),
    "end_date": date(2029, 8, 31),
    "estimated_value": "120000.00",
    "max_value": "160000.00",
    "social_target_percent": "15",
    # SPEC 7.2: the procedure on record; below the EU threshold, published on e-Procurement.
    "procedure": "open",
    "cpv_codes": ["77310000-6", "77342000-9", "77314000-4"],
    "notice_references": ["e-Procurement RSL-2025-GRN-01"],
    "award_decision_date": date(2025, 7, 15),
    "standstill_end": date(2025, 7, 31),
}
LOT = {
    "number": 1,
    "title": "Hagen, gazons en ecologisch maaibeheer",
    "service_type": "green_maintenance",
    "reserved": True,
    "max_value": "160000.00",
    "max_tasks_per_round": 12,
    "planning_horizon_days": 28,
    "urgent_days": 7,
}
# (code, name, checklist, unit, unit price)
TASK_TYPES = [
    (
        "hedge_cutting",
        "Haag snoeien",
        [
            _pass_fail("cut", "Gesnoeid op hoogte en breedte"),
            _pass_fail("cleared", "Snoeisel opgeruimd en afgevoerd"),
        ],
        "m",
        "2.40",
    ),
    (
        "lawn_mowing",
        "Gazon maaien",
        [_pass_fail("mowed", "Gemaaid"), _pass_fail("edges", "Kanten afgestoken")],
        "m2",
        "0.18",
    ),
    (
        "ecological_mowing",
        "Ecologisch maaien en afvoeren",
        [
            _pass_fail("mowed", "Gemaaid (niet geklepeld)"),
            _pass_fail("removed", "Maaisel afgevoerd"),
        ],
        "m2",
        "0.32",
    ),
]
PRICES_FROM = date(2025, 9, 1)
PROVIDER = "Maatwerkbedrijf Mandel & Leie"
# (code, Dutch name, English name): kinds of asset the coordinator adds for this service.
KINDS = [
    ("hedge", "Haag", "Hedge"),
    ("lawn", "Gazon", "Lawn"),
    ("ecological_verge", "Ecologische berm", "Ecological verge"),
]
# (kind, task type, interval in months, season months): hedges are cut outside the nesting
# season, lawns mown monthly from April to October, verges mown and cleared in June and September.
PLANS = [
    ("hedge", "hedge_cutting", 12, [9, 10, 11, 12, 1, 2]),
    ("lawn", "lawn_mowing", 1, [4, 5, 6, 7, 8, 9, 10]),
    ("ecological_verge", "ecological_mowing", 6, [6, 9]),
]
# The members of the case, by NIS code: (assets of each kind: hedges, lawns, verges).
MEMBERS = {
    "36015": (30, 14, 6),  # Roeselare (the lead, as a member too)
    "36007": (24, 10, 5),  # Ingelmunster
    "34025": (18, 8, 4),  # Lendelede
    "36006": (20, 9, 6),  # Hooglede
}
PHONE_MEMBER = "36007"  # Ingelmunster: this week's hedge round for the crew
PHONE_ROUND_TASKS = 6
SEED = 20261205
# (kind, code prefix, measure range): a hedge's length in m, a lawn's or verge's area in m².
SIZES = {
    "hedge": ("H", 12, 140),
    "lawn": ("G", 150, 2500),
    "ecological_verge": ("E", 400, 6000),
}
PLACES = ["Parkstraat", "Sportlaan", "Kerkhofweg", "Beekweg", "Gemeenteplein", "Schoolstraat"]


def load(orgs: dict[str, Organisation]) -> Framework | None:
    """Create what is missing of the green-maintenance case."""
    lead = orgs["lead"]
    coordinator = _coordinator(lead)
    members = {
        org.nis_code: org
        for org in db.session.scalars(
            select(Organisation).where(Organisation.nis_code.in_(list(MEMBERS)))
        )
    }
    provider = _by_name([PROVIDER], "provider").get(PROVIDER)
    if provider is None or not members:
        return None
    framework = db.session.scalar(select(Framework).where(Framework.reference == REFERENCE))
    if framework is None:
        framework = services.create_framework(FRAMEWORK, actor=coordinator)
    if framework.is_draft:
        _build_draft(framework, lead, provider, coordinator, list(members.values()))
        services.activate_framework(framework, actor=coordinator)
    lot = framework.lots[0]
    _kinds(coordinator)
    for nis, org in sorted(members.items()):
        _accede(framework, lot, org, coordinator)
        _assets(org, nis)
        _plans(org, lot)
    if framework.status == FrameworkStatus.ACTIVE:
        services.refresh_spend_status(framework)
    db.session.flush()
    return framework


def load_phone_round(orgs: dict[str, Organisation]) -> None:
    """This week's hedge round of Ingelmunster, assigned to the maatwerkbedrijf (after the
    planning history, so that the most overdue hedges are the ones in it)."""
    framework = db.session.scalar(select(Framework).where(Framework.reference == REFERENCE))
    member = db.session.scalar(select(Organisation).where(Organisation.nis_code == PHONE_MEMBER))
    provider = _by_name([PROVIDER], "provider").get(PROVIDER)
    if framework is None or member is None or provider is None:
        return
    lot = framework.lots[0]
    task_type = db.session.scalar(
        select(TaskType).where(TaskType.lot_id == lot.id, TaskType.code == "hedge_cutting")
    )
    open_round = db.session.scalar(
        select(Round.id).where(
            Round.lot_id == lot.id,
            Round.member_id == member.id,
            Round.status.in_([RoundStatus.ASSIGNED, RoundStatus.IN_PROGRESS]),
        )
    )
    if task_type is None or open_round is not None:
        return
    _hedge_round(lot, task_type, member, provider)


def _build_draft(
    framework: Framework,
    lead: Organisation,
    provider: Organisation,
    coordinator: Any,
    members: list[Organisation],
) -> None:
    lot = next(iter(framework.lots), None) or services.create_lot(framework, LOT, actor=coordinator)
    for code, name, checklist, unit, price in TASK_TYPES:
        if not db.session.scalar(
            select(TaskType.id).where(TaskType.lot_id == lot.id, TaskType.code == code)
        ):
            services.create_task_type(
                lot, {"code": code, "name": name, "checklist": checklist}, actor=coordinator
            )
        if not db.session.scalar(
            select(PriceLine.id)
            .join(TaskType, TaskType.id == PriceLine.task_type_id)
            .where(TaskType.lot_id == lot.id, TaskType.code == code)
        ):
            services.add_price_line(
                lot,
                {"task_type": code, "unit": unit, "unit_price": price, "valid_from": PRICES_FROM},
                actor=coordinator,
            )
    if not db.session.scalar(select(Award.id).where(Award.lot_id == lot.id)):
        services.award_lot(
            lot, {"provider_id": provider.id, "rank": 1, "weekly_capacity": 120}, actor=coordinator
        )
    named = {lead.id, *[m.id for m in members]}
    services.add_beneficiaries(framework, sorted(named), actor=coordinator)


def _kinds(coordinator: Any) -> None:
    for code, name_nl, name_en in KINDS:
        if db.session.scalar(select(AssetKind.id).where(AssetKind.code == code)) is None:
            asset_kinds.create_kind(
                {"code": code, "name_nl": name_nl, "name_en": name_en}, actor=coordinator
            )


def _accede(framework: Framework, lot: Lot, org: Organisation, coordinator: Any) -> None:
    if db.session.scalar(
        select(Accession.id).where(
            Accession.framework_id == framework.id, Accession.member_id == org.id
        )
    ):
        return
    accession = services.request_accession(
        framework, [lot.id], f"GR-{org.nis_code}-2025", actor=_acting_member(org)
    )
    services.approve_accession(accession, actor=coordinator)


def _assets(org: Organisation, nis: str) -> None:
    from central.assets.demo import MUNICIPALITIES

    municipality, postcode, lat0, lon0, _hydrants = MUNICIPALITIES[nis]
    existing = set(db.session.scalars(select(Asset.code).where(Asset.member_id == org.id)))
    rng = random.Random(f"{SEED}-{nis}")
    now = utcnow()
    rows = []
    for (kind, (prefix, low, high)), count in zip(SIZES.items(), MEMBERS[nis], strict=True):
        for number in range(1, count + 1):
            code = f"GR-{nis}-{prefix}{number:03d}"
            measure = Decimal(rng.randint(low, high))
            lat, lon = rng.gauss(lat0, 0.008), rng.gauss(lon0, 0.012)
            if code in existing:
                continue
            rows.append(
                {
                    "member_id": org.id,
                    "code": code,
                    "kind": kind,
                    "street": rng.choice(PLACES),
                    "house_number": None,
                    "postcode": postcode,
                    "municipality": municipality,
                    "lat": round(lat, 7),
                    "lon": round(lon, 7),
                    "measure": measure,
                    "status": AssetStatus.ACTIVE.value,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    if rows:
        db.session.execute(insert(Asset), rows)


def _plans(org: Organisation, lot: Lot) -> None:
    for kind, code, interval, season in PLANS:
        if db.session.scalar(
            select(ServicePlan.id).where(
                ServicePlan.member_id == org.id,
                ServicePlan.lot_id == lot.id,
                ServicePlan.task_type == code,
                ServicePlan.asset_kind == kind,
            )
        ):
            continue
        asset_services.create_service_plan(
            org.id,
            {
                "lot_id": lot.id,
                "task_type": code,
                "asset_kind": kind,
                "interval_months": interval,
                "season_months": season,
            },
            actor=_acting_member(org),
        )


def _hedge_round(
    lot: Lot, task_type: TaskType, member: Organisation, provider: Organisation
) -> None:
    today = clock.today()
    price = current_prices(lot.id, today, provider.id).get(task_type.id)
    hedges = (
        db.session.scalars(
            select(Asset)
            .where(
                Asset.member_id == member.id,
                Asset.kind == "hedge",
                Asset.status == AssetStatus.ACTIVE,
                ~exists().where(
                    Task.asset_id == Asset.id,
                    Task.task_type == task_type.code,
                    Task.status.in_(list(OPEN_TASK_STATUSES)),
                ),
            )
            .order_by(Asset.code)
            .limit(PHONE_ROUND_TASKS)
        )
        .unique()
        .all()
    )
    if price is None or not hedges:
        return
    due = today + timedelta(days=10)
    assigned_round(
        lot,
        task_type,
        price,
        member.id,
        provider.id,
        hedges,
        scheduled=monday(today),
        due=due,
        quantity=lambda hedge: hedge.measure,
    )

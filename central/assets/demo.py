"""Demo inventory: about 2,000 hydrants over Roeselare and its eleven member municipalities, at
plausible places around each centre, and annual inspection plans (one per kind of hydrant) for
every acceded member.

Deterministic (a fixed seed) and idempotent: assets are matched by code, plans by member, lot
and task type. The history of last year's inspections needs tasks, which planning adds.
"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import insert, select

from central.assets import services
from central.assets.models import Asset, ServicePlan
from central.core.types import utcnow
from central.extensions import db
from central.organisations.models import Organisation

SEED = 20261125
# NIS code -> (municipality, postcode, centre lat, centre lon, hydrants)
MUNICIPALITIES: dict[str, tuple[str, str, float, float, int]] = {
    "36015": ("Roeselare", "8800", 50.9469, 3.1228, 380),
    "37018": ("Ardooie", "8850", 50.9756, 3.2003, 120),
    "36006": ("Hooglede", "8830", 50.9833, 3.0833, 140),
    "36007": ("Ingelmunster", "8770", 50.9206, 3.2553, 130),
    "36008": ("Izegem", "8870", 50.9147, 3.2131, 240),
    "32030": ("Kortemark", "8610", 51.0297, 3.0425, 150),
    "36010": ("Ledegem", "8880", 50.8589, 3.1236, 125),
    "34025": ("Lendelede", "8860", 50.8856, 3.2372, 85),
    "36011": ("Lichtervelde", "8810", 51.0331, 3.1417, 115),
    "36012": ("Moorslede", "8890", 50.8919, 3.0617, 140),
    "37011": ("Pittem", "8740", 50.9928, 3.2653, 95),
    "36019": ("Staden", "8840", 50.9750, 3.0150, 140),
}
STREETS = [
    "Kerkstraat",
    "Stationsstraat",
    "Markt",
    "Molenstraat",
    "Dorpsstraat",
    "Nieuwstraat",
    "Kapellestraat",
    "Meensesteenweg",
    "Ieperstraat",
    "Beekstraat",
    "Schoolstraat",
    "Veldstraat",
    "Hoogstraat",
    "Kortrijkstraat",
    "Rozenstraat",
    "Lindenlaan",
    "Populierenlaan",
    "Vlasstraat",
    "Brugsesteenweg",
    "Sint-Jansstraat",
    "Koestraat",
    "Ommegangstraat",
    "Bruggestraat",
    "Mandelstraat",
    "Heirweg",
    "Zuidstraat",
    "Noordstraat",
    "Oostendestraat",
    "Pastoriestraat",
    "Gentsestraat",
]
WATER_COMPANIES = ["De Watergroep", "De Watergroep", "De Watergroep", "Farys"]


def _hydrants(member_id: int, nis: str, rng: random.Random) -> list[dict[str, Any]]:
    municipality, postcode, lat0, lon0, count = MUNICIPALITIES[nis]
    now = utcnow()
    rows = []
    for number in range(1, count + 1):
        street = rng.choice(STREETS)
        rows.append(
            {
                "member_id": member_id,
                "code": f"BK-{nis}-{number:04d}",
                "kind": "hydrant_pillar" if rng.random() < 0.12 else "hydrant_underground",
                "street": street,
                "house_number": str(rng.randint(1, 180)),
                "postcode": postcode,
                "municipality": municipality,
                "lat": round(rng.gauss(lat0, 0.011), 7),
                "lon": round(rng.gauss(lon0, 0.017), 7),
                "water_company": rng.choice(WATER_COMPANIES),
                "diameter_mm": rng.choice([80, 100, 100, 100, 150]),
                "notes": None,
                "status": "active",
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def load(orgs: dict[str, Organisation]) -> None:
    """Create the demo hydrants that are missing, and annual inspection plans."""
    authorities = {
        org.nis_code: org
        for org in db.session.scalars(
            select(Organisation).where(Organisation.nis_code.in_(list(MUNICIPALITIES)))
        )
    }
    existing = set(
        db.session.execute(
            select(Asset.member_id, Asset.code).where(
                Asset.member_id.in_([o.id for o in authorities.values()])
            )
        ).all()
    )
    new_rows = []
    for nis in MUNICIPALITIES:
        org = authorities.get(nis)
        if org is None:
            continue
        # One generator per municipality: the same hydrants whichever members exist.
        rng = random.Random(f"{SEED}-{nis}")
        new_rows += [r for r in _hydrants(org.id, nis, rng) if (org.id, r["code"]) not in existing]
    if new_rows:
        db.session.execute(insert(Asset), new_rows)
    _annual_inspections(list(authorities.values()))
    db.session.flush()


# Each kind of hydrant has its own inspection (and price): (asset kind, task type).
HYDRANT_PLANS = [
    ("hydrant_underground", "hydrant_inspection"),
    ("hydrant_pillar", "pillar_hydrant_inspection"),
]


def _annual_inspections(members: list[Organisation]) -> None:
    """Each acceded member subscribes its hydrants, by kind, to the lot's inspection of that kind
    every year (repairs and signage are asked for as needs, not planned)."""
    from central.frameworks.models import TaskType

    for member in members:
        for lot_id in sorted(services.approved_lot_ids(member.id)):
            codes = set(db.session.scalars(select(TaskType.code).where(TaskType.lot_id == lot_id)))
            for kind, code in HYDRANT_PLANS:
                if code not in codes:
                    continue
                exists = db.session.scalar(
                    select(ServicePlan.id).where(
                        ServicePlan.member_id == member.id,
                        ServicePlan.lot_id == lot_id,
                        ServicePlan.task_type == code,
                        ServicePlan.asset_kind == kind,
                    )
                )
                if exists is None:
                    services.create_service_plan(
                        member.id,
                        {
                            "lot_id": lot_id,
                            "task_type": code,
                            "asset_kind": kind,
                            "interval_months": 12,
                        },
                        actor=None,
                    )


# Izegem's hydrants put out of service in the demo (SPEC 7.4): every 40th, at most four.
OUT_OF_SERVICE_EVERY = 40
OUT_OF_SERVICE_MAX = 4


def load_fire_service(orgs: dict[str, Organisation]) -> None:
    """Every member names the demo fire zone and water company (whose viewers then see their
    hydrants); a few of the demo member's hydrants are out of service, with their history. Run
    twice, it changes nothing."""
    from central.assets.availability import change_service_status
    from central.assets.models import AssetStatusChange, StatusChangeReason

    fire_zone, water = orgs.get("fire_zone"), orgs.get("water_company")
    if fire_zone is None or water is None:
        return
    for member in db.session.scalars(
        select(Organisation).where(
            Organisation.kind == "authority", Organisation.id != orgs["lead"].id
        )
    ):
        member.fire_zone_id = member.fire_zone_id or fire_zone.id
        member.water_company_id = member.water_company_id or water.id
    db.session.flush()
    member = orgs["member"]
    already = db.session.scalar(
        select(AssetStatusChange.id)
        .join(Asset, Asset.id == AssetStatusChange.asset_id)
        .where(Asset.member_id == member.id, AssetStatusChange.reason == StatusChangeReason.MEMBER)
        .limit(1)
    )
    if already is not None:
        return
    hydrants = db.session.scalars(
        select(Asset).where(Asset.member_id == member.id).order_by(Asset.code)
    ).all()
    for asset in hydrants[::OUT_OF_SERVICE_EVERY][:OUT_OF_SERVICE_MAX]:
        change_service_status(
            asset,
            "out_of_service",
            reason=StatusChangeReason.MEMBER,
            actor=None,
            note="Demo: lek aan de klep",
        )

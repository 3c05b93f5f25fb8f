"""The demo inventory: about 2,000 hydrants, plausible, deterministic and loaded once."""

from sqlalchemy import func, select

from central.assets.demo import MUNICIPALITIES
from central.assets.importer import in_belgium
from central.assets.models import Asset, ServicePlan
from central.demo import load_demo
from central.extensions import db
from central.frameworks.models import TaskType
from tests.factories import make_active_framework


def test_demo_loads_about_2000_hydrants_once(app):
    orgs = load_demo()
    total = db.session.scalar(select(func.count(Asset.id)))
    assert 1800 <= total <= 2200
    assert total == sum(m[4] for m in MUNICIPALITIES.values())
    members = db.session.scalar(select(func.count(func.distinct(Asset.member_id))))
    assert members == 12
    points = db.session.execute(select(Asset.lat, Asset.lon)).all()
    assert all(in_belgium(lat, lon) for lat, lon in points)
    pillars = db.session.scalar(select(func.count(Asset.id)).where(Asset.kind == "hydrant_pillar"))
    assert pillars < total / 4
    load_demo()
    assert db.session.scalar(select(func.count(Asset.id))) == total
    assert orgs["member"].id in set(db.session.scalars(select(Asset.member_id)))


def test_demo_subscribes_acceded_members_to_an_annual_inspection(app):
    from central.assets import demo, services

    orgs = load_demo()
    make_active_framework(orgs["lead"], members=[orgs["member"]])
    demo.load(orgs)
    plans = db.session.scalars(select(ServicePlan)).all()
    demo.load(orgs)
    assert len(db.session.scalars(select(ServicePlan)).all()) == len(plans)
    assert plans and all(p.interval_months == 12 and p.active for p in plans)
    # Every approved lot that has an inspection task type; repair lots get needs, not plans.
    inspection_lots = set(
        db.session.scalars(select(TaskType.lot_id).where(TaskType.code.contains("inspect")))
    )
    for member_id in {p.member_id for p in plans}:
        lots = {p.lot_id for p in plans if p.member_id == member_id}
        assert lots == services.approved_lot_ids(member_id) & inspection_lots
        assert {p.task_type for p in plans if p.member_id == member_id} <= {"hydrant_inspection"}
    assert orgs["member"].id in {p.member_id for p in plans}

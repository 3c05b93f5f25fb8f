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
    hydrants = Asset.kind.like("hydrant%")
    total = db.session.scalar(select(func.count(Asset.id)).where(hydrants))
    assert 1800 <= total <= 2200
    assert total == sum(m[4] for m in MUNICIPALITIES.values())
    members = db.session.scalar(select(func.count(func.distinct(Asset.member_id))).where(hydrants))
    assert members == 12
    points = db.session.execute(select(Asset.lat, Asset.lon)).all()
    assert all(in_belgium(lat, lon) for lat, lon in points)
    pillars = db.session.scalar(select(func.count(Asset.id)).where(Asset.kind == "hydrant_pillar"))
    assert pillars < total / 4
    load_demo()
    assert db.session.scalar(select(func.count(Asset.id)).where(hydrants)) == total
    assert orgs["member"].id in set(db.session.scalars(select(Asset.member_id)))


def test_demo_subscribes_acceded_members_to_an_annual_inspection_per_kind_of_hydrant(app):
    from central.assets import demo, services

    orgs = load_demo()
    make_active_framework(orgs["lead"], members=[orgs["member"]])
    demo.load(orgs)
    hydrant_plans = select(ServicePlan).where(ServicePlan.asset_kind.like("hydrant%"))
    plans = db.session.scalars(hydrant_plans).all()
    demo.load(orgs)
    assert len(db.session.scalars(hydrant_plans).all()) == len(plans)
    assert plans and all(p.interval_months == 12 and p.active for p in plans)
    # Every approved lot that has an inspection task type; repair lots get needs, not plans.
    inspection_lots = set(
        db.session.scalars(select(TaskType.lot_id).where(TaskType.code.contains("inspect")))
    )
    for member_id in {p.member_id for p in plans}:
        lots = {p.lot_id for p in plans if p.member_id == member_id}
        assert lots == services.approved_lot_ids(member_id) & inspection_lots
        assert {(p.asset_kind, p.task_type) for p in plans if p.member_id == member_id} == {
            ("hydrant_underground", "hydrant_inspection"),
            ("hydrant_pillar", "pillar_hydrant_inspection"),
        }
    assert orgs["member"].id in {p.member_id for p in plans}


def test_demo_has_a_fire_zone_and_a_water_company_and_hydrants_out_of_service(app, client):
    from central.accounts.models import User
    from central.assets.models import AssetStatusChange
    from central.demo import DEMO_LOGINS
    from tests.conftest import csrf_token

    orgs = load_demo()
    member = orgs["member"]
    assert member.fire_zone_id == orgs["fire_zone"].id
    assert member.water_company_id == orgs["water_company"].id
    out = db.session.scalar(
        select(func.count(Asset.id)).where(
            Asset.member_id == member.id, Asset.service_status == "out_of_service"
        )
    )
    assert 1 <= out <= 4
    changes = db.session.scalar(select(func.count(AssetStatusChange.id)))
    load_demo()
    assert db.session.scalar(select(func.count(AssetStatusChange.id))) == changes
    viewers = [(e, p) for e, p, role in DEMO_LOGINS if role == "viewer"]
    assert len(viewers) == 2
    for email, password in viewers:
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.organisation.kind in ("fire_zone", "water_company")
        response = client.post(
            "/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)}
        )
        assert response.status_code == 302
        assert client.get("/hydrants").status_code == 200
        client.post("/logout", data={"csrf_token": csrf_token(client)})

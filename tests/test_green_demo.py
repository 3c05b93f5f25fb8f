"""The demo's green-maintenance case (the Praktijkgids' Aalst case): a reserved framework awarded
to a maatwerkbedrijf, hedges priced per m, lawns per m² and ecological mowing only in June and
September, for four members; last season's history in each plan's season and of its kind of asset
only; this week's hedge round on the maatwerkbedrijf's phone; billed like the hydrants."""

from __future__ import annotations

from sqlalchemy import func, select

from central import green_demo
from central.assets.models import Asset, ServicePlan
from central.demo import DEMO_CASES, DEMO_LOGINS, load_demo
from central.extensions import db
from central.frameworks.models import Accession, Award, Framework
from central.planning.models import Round, Task
from central.reports.models import Statement
from tests.conftest import csrf_token


def _framework() -> Framework:
    return db.session.scalar(select(Framework).where(Framework.reference == green_demo.REFERENCE))


def test_the_green_framework_is_reserved_and_awarded_to_a_maatwerkbedrijf(app):
    load_demo()
    framework = _framework()
    assert framework.status == "active" and framework.reserved
    (lot,) = framework.lots
    assert lot.reserved
    (award,) = db.session.scalars(select(Award).where(Award.lot_id == lot.id)).all()
    assert award.provider.social_economy_status == "maatwerkbedrijf"
    members = db.session.scalars(
        select(Accession.member_id).where(
            Accession.framework_id == framework.id, Accession.status == "approved"
        )
    ).all()
    assert len(members) >= 3


def test_each_plan_covers_its_kind_of_asset_in_its_season_priced_by_measure(app):
    load_demo()
    lot = _framework().lots[0]
    plans = db.session.scalars(select(ServicePlan).where(ServicePlan.lot_id == lot.id)).all()
    assert {(p.asset_kind, p.task_type) for p in plans} == {
        (kind, code) for kind, code, _i, _s in green_demo.PLANS
    }
    for plan in plans:
        rows = db.session.execute(
            select(Asset.kind, Asset.measure, Task.quantity, Task.unit, Task.done_on)
            .join(Task, Task.asset_id == Asset.id)
            .join(Round, Round.id == Task.round_id)
            .where(
                Round.lot_id == lot.id,
                Round.member_id == plan.member_id,
                Task.task_type == plan.task_type,
                Round.status == "accepted",
            )
        ).all()
        assert rows, plan.task_type
        assert {kind for kind, *_ in rows} == {plan.asset_kind}
        assert all(quantity == measure for _k, measure, quantity, _u, _d in rows)
        assert {unit for *_, unit, _d in rows} <= {"m", "m2"}
        assert {done.month for *_, done in rows} <= set(plan.season_month_list)


def test_the_hydrant_history_stays_on_hydrants(app):
    load_demo()
    kinds = db.session.scalars(
        select(Asset.kind.distinct())
        .join(Task, Task.asset_id == Asset.id)
        .where(Task.task_type == "hydrant_inspection")
    ).all()
    assert set(kinds) <= {"hydrant_underground", "hydrant_pillar"}


def test_the_maatwerkbedrijf_crew_sees_this_weeks_hedge_round_and_it_is_billed(app, client):
    load_demo()
    framework = _framework()
    round_ = db.session.scalar(
        select(Round).where(Round.framework_id == framework.id, Round.status == "assigned")
    )
    assert round_ is not None and round_.member.name == "Gemeente Ingelmunster"
    assert {t.unit for t in round_.tasks} == {"m"}
    assert all(t.quantity == t.asset.measure and t.quantity > 1 for t in round_.tasks)
    email, password = next((e, p) for e, p, _r in DEMO_LOGINS if e == "groen@mandelleie.example")
    assert email in DEMO_CASES
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302
    page = client.get(f"/field/rounds/{round_.id}")
    assert page.status_code == 200
    assert "Haag snoeien" in page.get_data(as_text=True)
    billed = db.session.scalar(
        select(func.count(Statement.id)).where(Statement.framework_id == framework.id)
    )
    assert billed > 0


def test_loading_the_green_case_twice_changes_nothing(app):
    load_demo()
    counts = [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Asset, ServicePlan, Round, Task, Accession)
    ]
    load_demo()
    assert counts == [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Asset, ServicePlan, Round, Task, Accession)
    ]

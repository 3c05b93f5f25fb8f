"""Reach of every assets API route: each role x own / other authority's objects."""

from __future__ import annotations

import io

import pytest

from central.assets.models import Need, ServicePlan
from tests.factories import make_active_framework, make_asset, make_org, make_token, make_user


@pytest.fixture
def world():
    """A member with an asset, a plan and a need in a framework led by `lead`."""
    from central.extensions import db

    lead = make_org("authority")
    member = make_org("authority")
    framework = make_active_framework(lead, members=[member])
    lot = framework.lots[0]
    asset = make_asset(member)
    plan = ServicePlan(
        member_id=member.id, lot_id=lot.id, task_type="hydrant_inspection", interval_months=12
    )
    need = Need(member_id=member.id, asset_id=asset.id, lot_id=lot.id, description="Leaks")
    db.session.add_all([plan, need])
    db.session.flush()
    return {"lead": lead, "member": member, "lot": lot, "asset": asset, "plan": plan, "need": need}


def call(client, user, method: str, path: str, **kwargs):
    token = make_token(user)
    return getattr(client, method)(
        f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, **kwargs
    )


def reads(world):
    return [
        f"/assets/{world['asset'].id}",
        f"/needs/{world['need'].id}",
    ]


def writes(world):
    return [
        ("patch", f"/assets/{world['asset'].id}", {"json": {"notes": "x"}}),
        ("patch", f"/service-plans/{world['plan'].id}", {"json": {"interval_months": 6}}),
        ("patch", f"/needs/{world['need'].id}", {"json": {"priority": "urgent"}}),
    ]


def test_owner_reads_and_writes_everything(client, world):
    user = make_user("member", world["member"])
    for path in reads(world):
        assert call(client, user, "get", path).status_code == 200, path
    for method, path, kwargs in writes(world):
        assert call(client, user, method, path, **kwargs).status_code == 200, path
    for path in ("/assets", "/service-plans", "/needs"):
        listed = call(client, user, "get", path)
        assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "1", path


@pytest.mark.parametrize("role", ["member", "coordinator", "provider", "admin"])
def test_other_authority_sees_nothing(client, world, role):
    user = make_user(role)
    for path in reads(world):
        assert call(client, user, "get", path).status_code == 404, (role, path)
    for method, path, kwargs in writes(world):
        assert call(client, user, method, path, **kwargs).status_code == 404, (role, path)
    for path in ("/assets", "/service-plans", "/needs"):
        assert call(client, user, "get", path).headers["X-Total-Count"] == "0", (role, path)


def test_lead_coordinator_reads_members_objects_but_changes_nothing(client, world):
    user = make_user("coordinator", world["lead"])
    for path in reads(world):
        assert call(client, user, "get", path).status_code == 200, path
    for method, path, kwargs in writes(world):
        assert call(client, user, method, path, **kwargs).status_code == 403, path
    for path in ("/assets", "/service-plans", "/needs"):
        assert call(client, user, "get", path).headers["X-Total-Count"] == "1", path


@pytest.mark.parametrize("role", ["provider", "admin"])
def test_providers_and_admins_create_nothing(client, world, role):
    user = make_user(role)
    body = {
        "code": "X",
        "kind": "hydrant_pillar",
        "street": "S",
        "municipality": "M",
        "lat": 50.9,
        "lon": 3.1,
    }
    assert call(client, user, "post", "/assets", json=body).status_code == 403
    assert (
        call(
            client,
            user,
            "post",
            "/assets/import",
            data={"file": (io.BytesIO(b"code\n"), "a.csv")},
            content_type="multipart/form-data",
        ).status_code
        == 403
    )
    plan = {"lot_id": world["lot"].id, "task_type": "hydrant_inspection", "interval_months": 12}
    assert call(client, user, "post", "/service-plans", json=plan).status_code == 403
    assert call(client, user, "post", "/needs", json={"description": "x"}).status_code == 403


def test_coordinator_acts_as_a_member_for_its_own_authority(client, world):
    user = make_user("coordinator", world["lead"])
    body = {
        "code": "RSL-1",
        "kind": "hydrant_pillar",
        "street": "Markt",
        "municipality": "Roeselare",
        "lat": 50.9465,
        "lon": 3.1235,
    }
    created = call(client, user, "post", "/assets", json=body)
    assert created.status_code == 201 and created.json["member_id"] == world["lead"].id
    changed = call(client, user, "patch", f"/assets/{created.json['id']}", json={"notes": "ok"})
    assert changed.status_code == 200


def test_api_requires_authentication(client, world):
    for path in ("/assets", "/service-plans", "/needs", f"/assets/{world['asset'].id}"):
        assert client.get(f"/api/v1{path}").status_code == 401


@pytest.mark.parametrize("path", ["/service-plans", "/needs"])
def test_a_lot_outside_reach_answers_as_an_unknown_lot(client, world, path):
    """Probing lots: a lot of a framework that does not name the member answers the same 400 as
    an id that names nothing, not the 409 of a lot it has not acceded to."""
    user = make_user("member", world["member"])
    foreign = make_active_framework(make_org("authority"), members=[make_org("authority")])
    body = {"task_type": "hydrant_inspection", "interval_months": 12}
    if path == "/needs":
        body = {"asset_id": world["asset"].id, "description": "Leaks"}

    def post(lot_id):
        return call(client, user, "post", path, json=dict(body, lot_id=lot_id))

    outside, absent = post(foreign.lots[0].id), post(2**31 - 1)
    assert outside.status_code == absent.status_code == 400
    assert outside.get_json() == absent.get_json()
    not_acceded = make_lot_named_not_acceded(world)
    assert post(not_acceded.id).status_code == 409


def make_lot_named_not_acceded(world):
    """A second lot of the member's framework, which its accession does not cover."""
    from tests.factories import make_lot, make_task_type

    lot = make_lot(world["lot"].framework)
    make_task_type(lot)
    return lot

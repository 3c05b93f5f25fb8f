"""Asset kinds are data (SPEC section 5): listed to everyone, added and renamed by the admin or a
coordinator, never by members or providers; a new kind is at once usable for assets."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from central.core.audit import AuditEvent
from central.extensions import db
from tests.conftest import csrf_token
from tests.factories import make_org, make_token, make_user

HEDGE = {"code": "hedge", "name_nl": "haag", "name_en": "hedge"}


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(user)}"}


@pytest.fixture
def people():
    member_org = make_org("authority")
    return {
        "admin": make_user("admin"),
        "coordinator": make_user("coordinator", make_org("authority")),
        "member": make_user("member", member_org),
        "provider": make_user("provider", make_org("provider", social_economy_status="lde")),
    }


@pytest.mark.parametrize("who", ["admin", "coordinator", "member", "provider"])
def test_every_signed_in_user_lists_the_kinds(client, people, who):
    response = client.get("/api/v1/asset-kinds", headers=bearer(people[who]))
    assert response.status_code == 200
    codes = [k["code"] for k in response.get_json()]
    assert {"hydrant_underground", "hydrant_pillar"} <= set(codes)
    assert client.get("/api/v1/asset-kinds").status_code == 401


@pytest.mark.parametrize(
    "who, status", [("admin", 201), ("coordinator", 201), ("member", 403), ("provider", 403)]
)
def test_the_admin_and_coordinators_add_kinds_and_others_may_not(client, people, who, status):
    response = client.post("/api/v1/asset-kinds", json=HEDGE, headers=bearer(people[who]))
    assert response.status_code == status
    if status == 201:
        assert response.get_json()["code"] == "hedge"
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "asset_kind.created")
        ).one()
        assert event.actor_id == people[who].id


def test_a_kind_needs_a_valid_unique_code_and_unique_names(client, people):
    headers = bearer(people["coordinator"])
    assert client.post("/api/v1/asset-kinds", json=HEDGE, headers=headers).status_code == 201
    again = client.post("/api/v1/asset-kinds", json=HEDGE, headers=headers)
    assert again.status_code == 409 and "code" in again.get_json()["error"]["fields"]
    same_name = client.post(
        "/api/v1/asset-kinds",
        json={**HEDGE, "code": "hedge_2", "name_en": "Hedge"},
        headers=headers,
    )
    assert same_name.status_code == 409
    for code in ("Hedge", "1hedge", "h", "hedge row", ""):
        bad = client.post("/api/v1/asset-kinds", json={**HEDGE, "code": code}, headers=headers)
        assert bad.status_code == 400, code
    assert (
        client.post(
            "/api/v1/asset-kinds",
            json={"code": "tree", "name_nl": " ", "name_en": "tree"},
            headers=headers,
        ).status_code
        == 400
    )


def test_names_are_corrected_and_the_code_stays(client, people):
    headers = bearer(people["admin"])
    kind = client.post("/api/v1/asset-kinds", json=HEDGE, headers=headers).get_json()
    renamed = client.patch(
        f"/api/v1/asset-kinds/{kind['id']}", json={"name_nl": "haag (beuk)"}, headers=headers
    )
    assert renamed.status_code == 200
    assert renamed.get_json() == {**kind, "name_nl": "haag (beuk)"}
    assert (
        client.patch(
            f"/api/v1/asset-kinds/{kind['id']}", json={"code": "x"}, headers=headers
        ).status_code
        == 400
    )
    member = bearer(people["member"])
    assert (
        client.patch(
            f"/api/v1/asset-kinds/{kind['id']}", json={"name_nl": "x"}, headers=member
        ).status_code
        == 403
    )
    assert (
        client.patch(
            "/api/v1/asset-kinds/999999", json={"name_nl": "x"}, headers=headers
        ).status_code
        == 404
    )


def test_a_new_kind_is_at_once_usable_for_a_members_assets(client, people):
    client.post("/api/v1/asset-kinds", json=HEDGE, headers=bearer(people["coordinator"]))
    asset = {
        "code": "HG-1",
        "kind": "hedge",
        "street": "Kerkstraat",
        "house_number": "1",
        "postcode": "8800",
        "municipality": "Roeselare",
        "lat": 50.9465,
        "lon": 3.1235,
    }
    created = client.post("/api/v1/assets", json=asset, headers=bearer(people["member"]))
    assert created.status_code == 201 and created.get_json()["kind"] == "hedge"


def test_the_kinds_page_adds_a_kind_for_a_coordinator_and_refuses_a_member(
    client, login_as, people
):
    page = login_as(people["coordinator"])
    assert page.get("/asset-kinds").status_code == 200
    added = page.post(
        "/asset-kinds",
        data={**HEDGE, "csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert added.status_code == 200 and "hedge" in added.get_data(as_text=True)
    duplicate = page.post("/asset-kinds", data={**HEDGE, "csrf_token": csrf_token(page)})
    assert duplicate.status_code == 409


@pytest.mark.parametrize("who", ["member", "provider"])
def test_the_kinds_page_is_refused_to_members_and_providers(login_as, people, who):
    assert login_as(people[who]).get("/asset-kinds").status_code == 403


def test_a_kind_cannot_take_another_kinds_code_or_name_in_any_field(client, people):
    """The import recognises a kind by its code or either name: one word names one kind."""
    headers = bearer(people["coordinator"])
    for clash in (
        {"code": "hedge_2", "name_nl": "hydrant_pillar", "name_en": "x hedge"},  # a code as name
        {"code": "hedge_3", "name_nl": "x haag", "name_en": "Bovengrondse brandkraan"},
        {"code": "bovengrondse_x", "name_nl": "y", "name_en": "y"},  # fine: no clash
    ):
        answer = client.post("/api/v1/asset-kinds", json=clash, headers=headers)
        assert answer.status_code == (201 if clash["code"] == "bovengrondse_x" else 409), clash
    names = client.get("/api/v1/asset-kinds", headers=headers).get_json()
    taken_name = next(k["name_nl"] for k in names if k["code"] == "hydrant_pillar").lower()
    as_code = client.post(
        "/api/v1/asset-kinds",
        json={"code": "zz_kind", "name_nl": "zz", "name_en": "zz"},
        headers=headers,
    )
    assert as_code.status_code == 201
    clash = client.post(
        "/api/v1/asset-kinds",
        json={"code": taken_name.replace(" ", "_"), "name_nl": taken_name, "name_en": "q"},
        headers=headers,
    )
    assert clash.status_code == 409


def test_a_code_always_means_its_own_kind_in_the_lookup(people):
    from central.assets.models import AssetKind
    from central.assets.queries import kind_lookup

    # Data from before names and codes were kept apart: a name equal to another kind's code.
    db.session.add(AssetKind(code="aa_old", name_nl="hydrant_pillar", name_en="old"))
    db.session.flush()
    assert kind_lookup()["hydrant_pillar"] == "hydrant_pillar"

"""Asset kinds are data (SPEC section 5): listed to everyone, added and renamed by the admin or a
coordinator, never by members or providers; a new kind is at once usable for assets."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from central.assets.models import AssetKind
from central.core.audit import AuditEvent
from central.extensions import db
from central.organisations.models import Organisation
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


def _rename(client, kind_id: int, user, name: str = "haag (beuk)"):
    return client.patch(
        f"/api/v1/asset-kinds/{kind_id}", json={"name_nl": name}, headers=bearer(user)
    )


def test_another_centrals_coordinator_cannot_rename_a_kind(client, people):
    """A central's own kind is its own: its coordinators (and the admin) rename it, others not."""
    ours = people["coordinator"]
    kind = client.post("/api/v1/asset-kinds", json=HEDGE, headers=bearer(ours)).get_json()
    assert kind["owner_organisation_id"] == ours.organisation_id
    theirs = make_user("coordinator", make_org("authority"))
    refused = _rename(client, kind["id"], theirs, "gestolen")
    assert refused.status_code == 403
    assert db.session.scalar(select(AssetKind.name_nl).where(AssetKind.id == kind["id"])) == "haag"
    colleague = make_user("coordinator", db.session.get(Organisation, ours.organisation_id))
    assert _rename(client, kind["id"], colleague).status_code == 200
    assert _rename(client, kind["id"], people["admin"], "haag").status_code == 200


def test_shared_asset_kinds_are_renamed_by_the_admin_only(client, people):
    """The seeded hydrant kinds (and the admin's) are every tenant's: a coordinator's rename
    would change another member's imports."""
    hydrant = db.session.scalar(select(AssetKind).where(AssetKind.code == "hydrant_pillar"))
    assert hydrant.owner_organisation_id is None
    assert _rename(client, hydrant.id, people["coordinator"], "x").status_code == 403
    admins = client.post("/api/v1/asset-kinds", json=HEDGE, headers=bearer(people["admin"]))
    assert admins.get_json()["owner_organisation_id"] is None
    assert _rename(client, admins.get_json()["id"], people["coordinator"]).status_code == 403
    renamed = _rename(client, hydrant.id, people["admin"], "bovengrondse hydrant")
    assert renamed.status_code == 200


def test_the_migration_gives_coordinator_made_kinds_to_their_authority(tmp_path):
    """Existing kinds: a coordinator's (by the audit log) become its authority's, others stay
    shared."""
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade
    from sqlalchemy import text

    from central import create_app
    from central.extensions import db as database

    url = f"sqlite:///{tmp_path / 'migrate.sqlite'}"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, STORAGE_DIR=str(tmp_path))
    with app.app_context():
        directory = app.extensions["migrate"].directory
        # The revision that adds the owner (found by its title: files are renumbered on merges).
        owner_revision = next(
            r
            for r in ScriptDirectory(directory).walk_revisions()
            if (r.doc or "").startswith("asset kinds: the owning authority")
        )
        upgrade(directory=directory, revision=owner_revision.down_revision)
        with database.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO organisations (id, name, kind, enterprise_number, "
                    "social_economy_status, created_at) VALUES "
                    "(7, 'Stad Roeselare', 'authority', '0207446241', 'none', "
                    "'2026-01-01 00:00:00')"
                )
            )
            for user_id, role, org in ((1, "coordinator", 7), (2, "admin", None)):
                conn.execute(
                    text(
                        "INSERT INTO users (id, email, password_hash, role, organisation_id, "
                        "active, failed_logins, session_version, created_at) VALUES (:id, :email, "
                        "'x', :role, :org, TRUE, 0, 0, '2026-01-01 00:00:00')"
                    ),
                    {"id": user_id, "email": f"u{user_id}@example.be", "role": role, "org": org},
                )
            for kind_id, code, actor in ((101, "hedge", 1), (102, "road_sign", 2)):
                conn.execute(
                    text(
                        "INSERT INTO asset_kinds (id, code, name_nl, name_en) "
                        "VALUES (:id, :code, :code, :code)"
                    ),
                    {"id": kind_id, "code": code},
                )
                conn.execute(
                    text(
                        "INSERT INTO audit_events (created_at, actor_id, action, object_type, "
                        "object_id, data) VALUES ('2026-01-01 00:00:00', :actor, "
                        "'asset_kind.created', 'asset_kinds', :id, '{}')"
                    ),
                    {"actor": actor, "id": kind_id},
                )
        upgrade(directory=directory, revision=owner_revision.revision)
        with database.engine.connect() as conn:
            owners = dict(
                conn.execute(text("SELECT code, owner_organisation_id FROM asset_kinds")).all()
            )
        database.engine.dispose()
    assert owners["hedge"] == 7
    assert owners["road_sign"] is None
    assert owners["hydrant_underground"] is None and owners["hydrant_pillar"] is None

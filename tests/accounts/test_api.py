"""Users and tokens through the API: the rules, bad input (400, nothing written), audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from central.accounts.models import ApiToken, User
from central.core.audit import AuditEvent
from tests.factories import PASSWORD, make_org, make_token, make_user


@pytest.fixture
def admin(db):
    user = make_user("admin")
    db.session.commit()
    return user


def caller(client, user):
    headers = {"Authorization": f"Bearer {make_token(user)}"}

    def call(method: str, path: str, **kwargs):
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    return call


@pytest.fixture
def api(client, admin):
    return caller(client, admin)


def counts(db) -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(m)) for m in (User, ApiToken, AuditEvent)
    )


def audit_actions(db, obj) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == type(obj).__tablename__)
            .where(AuditEvent.object_id == obj.id)
            .order_by(AuditEvent.id)
        )
    )


# --- users -------------------------------------------------------------------------------------


def test_admin_creates_a_member_account(api, db, admin, client):
    org = make_org()
    db.session.commit()
    response = api(
        "POST",
        "/users",
        json={
            "email": "Els.Peeters@Izegem.example",
            "role": "member",
            "organisation_id": org.id,
            "password": "a-long-enough-password",
        },
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body == {
        "id": body["id"],
        "email": "els.peeters@izegem.example",
        "role": "member",
        "organisation_id": org.id,
        "active": True,
    }
    user = db.session.get(User, body["id"])
    assert "a-long-enough-password" not in user.password_hash
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "user.created", AuditEvent.object_id == user.id
        )
    )
    assert event.actor_id == admin.id and event.data["role"] == "member"
    assert "password" not in str(event.data)


def test_admin_creates_an_admin_without_organisation(api):
    response = api("POST", "/users", json={"email": "root2@example.org", "role": "admin"})
    assert response.status_code == 201
    assert response.json["organisation_id"] is None


def test_the_admin_reads_and_lists_users(api, db):
    user = make_user("member")
    db.session.commit()
    assert api("GET", f"/users/{user.id}").json["email"] == user.email
    listed = api("GET", "/users?per_page=500").json
    assert user.id in {u["id"] for u in listed}
    assert all("password" not in u and "password_hash" not in u for u in listed)


BAD_USERS = [
    pytest.param(
        {"email": "x@example.org", "role": "member"}, "organisation_id", id="member-no-org"
    ),
    pytest.param(
        {"email": "x@example.org", "role": "provider", "organisation_id": "{authority}"},
        "organisation_id",
        id="provider-at-authority",
    ),
    pytest.param(
        {"email": "x@example.org", "role": "member", "organisation_id": "{provider}"},
        "organisation_id",
        id="member-at-provider",
    ),
    pytest.param(
        {"email": "x@example.org", "role": "coordinator", "organisation_id": "{provider}"},
        "organisation_id",
        id="coordinator-at-provider",
    ),
    pytest.param(
        {"email": "x@example.org", "role": "member", "organisation_id": 999999},
        "organisation_id",
        id="unknown-org",
    ),
    pytest.param(
        {"email": "x@example.org", "role": "member", "organisation_id": "abc"},
        "organisation_id",
        id="org-not-int",
    ),
    pytest.param({"email": "x@example.org", "role": "king"}, "role", id="role-unknown"),
    pytest.param({"email": "not-an-address", "role": "admin"}, "email", id="email-invalid"),
    pytest.param({"email": 42, "role": "admin"}, "email", id="email-number"),
    pytest.param(
        {"email": "x@example.org", "role": "admin", "active": "maybe"}, "active", id="active"
    ),
    pytest.param(
        {"email": "x@example.org", "role": "admin", "password": "short"}, "password", id="pw"
    ),
    pytest.param(
        {"email": "x@example.org", "role": "admin", "is_admin": True}, "is_admin", id="unk"
    ),
    pytest.param({"email": "x@example.org", "role": "admin", "id": 3}, "id", id="id-given"),
    pytest.param({"role": "admin"}, "email", id="email-missing"),
]


@pytest.mark.parametrize(("body", "field"), BAD_USERS)
def test_bad_user_input_answers_400_with_fields_and_writes_nothing(api, db, body, field):
    authority, provider = make_org("authority"), make_org("provider")
    db.session.commit()
    body = {
        k: {"{authority}": authority.id, "{provider}": provider.id}.get(v, v)
        if isinstance(v, str)
        else v
        for k, v in body.items()
    }
    before = counts(db)
    response = api("POST", "/users", json=body)
    assert response.status_code == 400, response.json
    assert field in response.json["error"]["fields"], response.json
    assert counts(db)[0] == before[0] and counts(db)[2] == before[2]


def test_a_duplicate_email_answers_400_whatever_its_case(api, db):
    make_user("admin", email="taken@example.org")
    db.session.commit()
    before = counts(db)
    response = api("POST", "/users", json={"email": "TAKEN@Example.org", "role": "admin"})
    assert response.status_code == 400
    assert response.json["error"]["fields"]["email"] == [
        "Een ander account gebruikt dit e-mailadres al."
    ]
    assert counts(db)[0] == before[0] and counts(db)[2] == before[2]


def test_changing_to_a_taken_email_answers_400(api, db):
    make_user("admin", email="taken@example.org")
    user = make_user("member")
    db.session.commit()
    response = api("PATCH", f"/users/{user.id}", json={"email": "taken@example.org"})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.email != "taken@example.org"


def test_a_partial_update_keeps_the_other_fields(api, db):
    user = make_user("member")
    db.session.commit()
    response = api("PATCH", f"/users/{user.id}", json={"email": "new.address@example.org"})
    assert response.status_code == 200, response.json
    assert response.json["organisation_id"] == user.organisation_id
    assert response.json["role"] == "member" and response.json["active"] is True


def test_the_admin_moves_a_user_to_another_role_and_organisation(api, db, admin):
    user = make_user("member")
    provider = make_org("provider")
    db.session.commit()
    response = api(
        "PATCH", f"/users/{user.id}", json={"role": "provider", "organisation_id": provider.id}
    )
    assert response.status_code == 200
    assert response.json["organisation_id"] == provider.id
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "user.updated", AuditEvent.object_id == user.id
        )
    )
    assert event.actor_id == admin.id
    assert event.data["fields"] == ["organisation_id", "role"]


def test_a_role_that_does_not_fit_the_organisation_is_refused_on_update(api, db):
    user = make_user("member")
    db.session.commit()
    response = api("PATCH", f"/users/{user.id}", json={"role": "provider"})
    assert response.status_code == 400
    assert "organisation_id" in response.json["error"]["fields"]
    db.session.refresh(user)
    assert user.role == "member"


def test_the_admin_deactivates_and_reactivates_a_user(api, db, admin):
    user = make_user("member")
    db.session.commit()
    assert api("PATCH", f"/users/{user.id}", json={"active": False}).json["active"] is False
    assert api("PATCH", f"/users/{user.id}", json={"active": True}).json["active"] is True
    actions = audit_actions(db, user)
    assert "user.deactivated" in actions and "user.activated" in actions


def test_the_admin_cannot_deactivate_their_own_account(api, db, admin):
    response = api("PATCH", f"/users/{admin.id}", json={"active": False})
    assert response.status_code == 400
    db.session.refresh(admin)
    assert admin.active


def test_a_new_password_through_the_api_works_and_ends_sessions(api, db, client):
    user = make_user("member")
    db.session.commit()
    version = user.session_version
    response = api("PATCH", f"/users/{user.id}", json={"password": "set-by-the-admin"})
    assert response.status_code == 200
    db.session.refresh(user)
    assert user.session_version == version + 1
    from tests.conftest import csrf_token

    login = client.post(
        "/login",
        data={
            "email": user.email,
            "password": "set-by-the-admin",
            "csrf_token": csrf_token(client),
        },
    )
    assert login.status_code == 302


# --- tokens --------------------------------------------------------------------------------------


def test_every_user_creates_lists_and_revokes_own_tokens(client, db):
    user = make_user("provider")
    db.session.commit()
    api = caller(client, user)
    created = api("POST", "/tokens", json={"name": "Phone of crew 2"})
    assert created.status_code == 201
    assert created.json["name"] == "Phone of crew 2" and created.json["token"].startswith("ctl_")
    token = db.session.get(ApiToken, created.json["id"])
    assert audit_actions(db, token) == ["token.created"]
    listed = api("GET", "/tokens")
    assert listed.headers["X-Total-Count"] == "2"
    assert api("DELETE", f"/tokens/{token.id}").status_code == 204
    assert "token.revoked" in audit_actions(db, token)
    assert [t["name"] for t in api("GET", "/tokens").json] == ["test"]
    # Revoking twice is harmless and writes nothing new.
    assert api("DELETE", f"/tokens/{token.id}").status_code == 204
    assert audit_actions(db, token).count("token.revoked") == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": 5}, "name"),
        ({}, "name"),
        ({"name": "ok", "token": "mine"}, "token"),
        ({"name": "ok", "user_id": 1}, "user_id"),
    ],
)
def test_bad_token_input_answers_400_and_writes_nothing(client, db, body, field):
    user = make_user("member")
    db.session.commit()
    api = caller(client, user)
    before = counts(db)
    response = api("POST", "/tokens", json=body)
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]
    assert counts(db) == before


def test_a_blank_token_name_is_refused_by_the_service(client, db):
    user = make_user("member")
    db.session.commit()
    response = caller(client, user)("POST", "/tokens", json={"name": "   "})
    assert response.status_code == 400
    assert "name" in response.json["error"]["fields"]


def test_password_is_never_returned(api, db):
    response = api(
        "POST", "/users", json={"email": "p@example.org", "role": "admin", "password": PASSWORD}
    )
    assert "password" not in response.json

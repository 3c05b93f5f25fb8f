"""The account pages: the admin's user list and form, deactivation with confirmation, tokens."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from central.accounts.models import ApiToken, User
from central.core.audit import AuditEvent
from tests.conftest import csrf_token, use_english
from tests.factories import make_org, make_token, make_user


@pytest.fixture
def admin(db):
    user = make_user("admin")
    db.session.commit()
    return user


@pytest.fixture
def as_admin(client, login_as, admin):
    use_english(client)
    return login_as(admin)


def post(client, path: str, **data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client)})


def user_count(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


# --- user list --------------------------------------------------------------------------------


def test_the_user_list_shows_role_organisation_and_status_in_words(as_admin, db):
    org = make_org(name="Gemeente Staden")
    make_user("member", org=org, email="actief@staden.example")
    make_user("member", org=org, email="weg@staden.example", active=False)
    db.session.commit()
    html = as_admin.get("/admin/users?per_page=500").get_data(as_text=True)
    assert "actief@staden.example" in html and "Gemeente Staden" in html
    row = re.search(r"<tr>(?:(?!</tr>).)*weg@staden\.example.*?</tr>", html, re.S).group(0)
    assert "deactivated" in row and "Reactivate" in row


def test_the_user_list_searches_by_email(as_admin, db):
    make_user("admin", email="findme@example.org")
    make_user("admin", email="other@example.org")
    db.session.commit()
    html = as_admin.get("/admin/users?q=FINDME").get_data(as_text=True)
    assert "findme@example.org" in html and "other@example.org" not in html


def test_the_user_list_is_paginated(as_admin, db):
    for _ in range(55):
        make_user("admin")
    db.session.commit()
    first = as_admin.get("/admin/users").get_data(as_text=True)
    assert 'rel="next"' in first
    assert as_admin.get("/admin/users?page=2").status_code == 200
    assert as_admin.get("/admin/users?page=x").status_code == 400


def test_the_admin_is_not_offered_to_deactivate_themselves(as_admin, admin, db):
    html = as_admin.get(f"/admin/users?q={admin.email}").get_data(as_text=True)
    row = re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(admin.email)}.*?</tr>", html, re.S).group(0)
    assert "/deactivate" not in row


# --- user form ---------------------------------------------------------------------------------


def test_the_admin_creates_a_user_through_the_form(as_admin, db):
    org = make_org()
    db.session.commit()
    response = post(
        as_admin,
        "/admin/users/new",
        email="nieuw@example.org",
        role="member",
        organisation_id=str(org.id),
        password="a-long-enough-password",
        active="y",
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "nieuw@example.org"))
    assert user.organisation_id == org.id and user.active
    assert "is saved" in as_admin.get("/admin/users").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "x@example.org", "role": "member", "organisation_id": "0"}, "Required for"),
        ({"email": "not-an-address", "role": "admin", "organisation_id": "0"}, "valid e-mail"),
        ({"email": "", "role": "admin", "organisation_id": "0"}, "Enter an e-mail address"),
        (
            {
                "email": "x@example.org",
                "role": "admin",
                "organisation_id": "0",
                "password": "short",
            },
            "At least 10 characters",
        ),
        ({"email": "x@example.org", "role": "tsar", "organisation_id": "0"}, "Choose one of the"),
        (
            {"email": "x@example.org", "role": "provider", "organisation_id": "{authority}"},
            "Choose a provider.",
        ),
    ],
)
def test_bad_user_form_input_is_shown_on_the_form_and_writes_nothing(as_admin, db, data, message):
    authority = make_org()
    db.session.commit()
    data = {k: v.replace("{authority}", str(authority.id)) for k, v in data.items()}
    before = user_count(db)
    response = post(as_admin, "/admin/users/new", **data)
    assert response.status_code in (200, 400)
    html = response.get_data(as_text=True)
    assert message in html
    assert 'aria-invalid="true"' in html
    assert user_count(db) == before


def test_a_duplicate_email_on_the_form_answers_400_next_to_the_field(as_admin, db):
    make_user("admin", email="taken@example.org")
    db.session.commit()
    response = post(
        as_admin, "/admin/users/new", email="taken@example.org", role="admin", organisation_id="0"
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert re.search(r'id="email-error".*Another account uses this e-mail address', html, re.S)


def test_the_admin_edits_a_user(as_admin, db):
    user = make_user("member")
    other = make_org()
    db.session.commit()
    page = as_admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert f'value="{user.email}"' in page
    assert re.search(rf'<option selected value="{user.organisation_id}"', page)
    response = post(
        as_admin,
        f"/admin/users/{user.id}",
        email=user.email,
        role="coordinator",
        organisation_id=str(other.id),
        active="y",
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.role == "coordinator" and user.organisation_id == other.id


def test_editing_an_unknown_user_answers_404(as_admin):
    assert as_admin.get("/admin/users/999999").status_code == 404


# --- deactivation --------------------------------------------------------------------------------


def test_deactivation_asks_for_confirmation_first(as_admin, db):
    user = make_user("member")
    db.session.commit()
    page = as_admin.get(f"/admin/users/{user.id}/deactivate")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Deactivate {user.email}?" in html and "Yes, deactivate" in html
    db.session.refresh(user)
    assert user.active  # looking at the question changes nothing


def test_a_confirmed_deactivation_ends_the_users_sessions_and_tokens(app, as_admin, db):
    user = make_user("member")
    secret = make_token(user)
    db.session.commit()
    victim = app.test_client()
    post(victim, "/login", email=user.email, password="correct horse battery")
    assert victim.get("/").status_code == 200
    response = post(as_admin, f"/admin/users/{user.id}/deactivate")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users"
    assert victim.get("/").status_code == 302
    api = victim.get("/api/v1/tokens", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401
    db.session.refresh(user)
    assert not user.active
    actions = set(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == user.id))
    )
    assert "user.deactivated" in actions


def test_the_same_page_reactivates(as_admin, db):
    user = make_user("member", active=False)
    db.session.commit()
    assert "Reactivate" in as_admin.get(f"/admin/users/{user.id}/deactivate").get_data(as_text=True)
    post(as_admin, f"/admin/users/{user.id}/deactivate")
    db.session.refresh(user)
    assert user.active


def test_the_admin_cannot_deactivate_themselves(as_admin, admin, db):
    response = post(as_admin, f"/admin/users/{admin.id}/deactivate")
    assert response.status_code == 400
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active


# --- tokens page ---------------------------------------------------------------------------------


def test_a_user_creates_a_token_on_the_page_and_sees_it_once(client, login_as, db):
    user = make_user("member")
    db.session.commit()
    use_english(client)
    login_as(user)
    response = post(client, "/tokens", name="GIS koppeling")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    secret = re.search(r'<code class="secret" id="new-token">([^<]+)</code>', html).group(1)
    api = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    again = client.get("/tokens").get_data(as_text=True)
    assert "GIS koppeling" in again and secret not in again


def test_an_empty_token_name_is_refused_on_the_page(client, login_as, db):
    user = make_user("member")
    db.session.commit()
    use_english(client)
    login_as(user)
    before = db.session.scalar(select(func.count(ApiToken.id)))
    html = post(client, "/tokens", name="").get_data(as_text=True)
    assert "Give the token a name" in html
    assert db.session.scalar(select(func.count(ApiToken.id))) == before


def test_revoking_a_token_on_the_page_asks_first(client, login_as, db):
    user = make_user("member")
    secret = make_token(user, "old laptop")
    db.session.commit()
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    use_english(client)
    login_as(user)
    assert "old laptop" in client.get(f"/tokens/{token.id}/revoke").get_data(as_text=True)
    db.session.refresh(token)
    assert token.revoked_at is None
    response = post(client, f"/tokens/{token.id}/revoke")
    assert response.status_code == 302
    db.session.refresh(token)
    assert token.revoked_at is not None
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/tokens", headers=bearer).status_code == 401


# --- audit trail ---------------------------------------------------------------------------------


def test_the_admin_reads_the_audit_trail_newest_first(as_admin, admin, db):
    org = make_org(name="Gemeente Moorslede")
    db.session.commit()
    post(as_admin, f"/admin/organisations/{org.id}", name="Gemeente Moorslede-Dadizele")
    post(as_admin, "/tokens", name="audit check")
    html = as_admin.get("/admin/audit").get_data(as_text=True)
    assert html.index("token.created") < html.index("organisation.updated")
    assert f"Organisations #{org.id}" in html and admin.email in html
    assert "fields: name" in html


def test_the_audit_trail_filters_by_object_and_actor(as_admin, admin, db):
    first, second = make_org(), make_org()
    db.session.commit()
    for org in (first, second):
        post(as_admin, f"/admin/organisations/{org.id}", name=f"Renamed {org.id}")
    html = as_admin.get(f"/admin/audit?object_type=organisations&object_id={first.id}").get_data(
        as_text=True
    )
    assert f"Organisations #{first.id}" in html and f"Organisations #{second.id}" not in html
    html = as_admin.get("/admin/audit?actor=nobody-at-all").get_data(as_text=True)
    assert "No changes match." in html

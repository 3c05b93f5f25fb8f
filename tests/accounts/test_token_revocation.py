"""A new password revokes the user's API tokens (a token made by whoever knew the old password
must not outlive it): on a change, on a reset by e-mailed link and when the admin sets one. The
page and the reset mail say so."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from central.accounts.models import ApiToken
from central.core.audit import AuditEvent
from tests.accounts.test_sign_in import ask_reset, change_password, reset_link, sign_in
from tests.conftest import csrf_token, use_english
from tests.factories import PASSWORD, make_token, make_user

NEW = "my new password"


@pytest.fixture
def client(client):
    return use_english(client)


def token_works(client, secret: str) -> bool:
    response = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code in (200, 401)
    return response.status_code == 200


def test_api_tokens_are_revoked_on_password_change(client, db):
    user = make_user("member")
    secrets = [make_token(user, "laptop"), make_token(user, "script")]
    other = make_token(make_user("member"))
    db.session.commit()
    assert all(token_works(client, s) for s in secrets)
    sign_in(client, user.email, PASSWORD)
    response = change_password(client, PASSWORD, NEW)
    assert response.status_code == 302
    assert not any(token_works(client, s) for s in secrets)
    assert token_works(client, other)  # another user's token stays
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your 2 API tokens are revoked with the old password" in page
    assert db.session.scalar(
        select(AuditEvent.data).where(
            AuditEvent.action == "user.tokens_revoked", AuditEvent.object_id == user.id
        )
    ) == {"count": 2}


def test_api_tokens_are_revoked_on_password_reset(client, db, smtp_server):
    user = make_user("member")
    secret = make_token(user)
    db.session.commit()
    ask_reset(client, user.email)
    body = smtp_server.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert "revokes your API tokens" in body
    link = reset_link(smtp_server.messages[0])
    response = client.post(
        link, data={"password": NEW, "confirm": NEW, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302
    assert not token_works(client, secret)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your API token is revoked with the old password" in page
    assert all(
        t.revoked_at is not None
        for t in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id))
    )


def test_api_tokens_are_revoked_when_the_admin_sets_a_password(client, db):
    admin = make_user("admin")
    admin_token = make_token(admin)
    user = make_user("member")
    secret = make_token(user)
    db.session.commit()
    response = client.patch(
        f"/api/v1/users/{user.id}",
        json={"password": NEW},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert response.status_code == 200
    assert not token_works(client, secret)
    assert token_works(client, admin_token)


def test_a_password_change_without_tokens_says_nothing_about_them(client, db):
    user = make_user("member")
    db.session.commit()
    sign_in(client, user.email, PASSWORD)
    response = change_password(client, PASSWORD, NEW)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your password is changed." in page and "revoked" not in page

"""Sessions end on the server: after POST /logout a copied cookie answers as signed out; a session
ends after the idle timeout and after its absolute lifetime (configurable); a signed cookie
without a server-side session never signs anyone in."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from central.accounts import sessions
from central.accounts.models import UserSession
from central.core.audit import AuditEvent
from central.core.types import utcnow
from tests.accounts.test_sign_in import sign_in, sign_out
from tests.conftest import RequestClient
from tests.factories import PASSWORD, make_user


def copy_of(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    app.test_client_class = RequestClient
    thief = app.test_client()
    cookie = client.get_cookie("session", domain="central.test")
    thief.set_cookie("session", cookie.value, domain="central.test")
    return thief


def signed_in(client) -> bool:
    page = client.get("/")
    assert page.status_code in (200, 302)
    return page.status_code == 200


def api_signed_in(client) -> bool:
    answer = client.get("/api/v1/tokens")
    assert answer.status_code in (200, 401)
    return answer.status_code == 200


@pytest.fixture
def member(db):
    user = make_user("member")
    db.session.commit()
    return user


def test_a_copied_cookie_is_signed_out_after_logout(app, client, db, member):
    sign_in(client, member.email, PASSWORD)
    thief = copy_of(app, client)
    assert signed_in(thief) and api_signed_in(thief)
    assert sign_out(client).status_code == 302
    assert not signed_in(client)
    assert not signed_in(thief) and not api_signed_in(thief)
    assert db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == "user.signed_out", AuditEvent.object_id == member.id
        )
    )


def test_signing_out_ends_only_this_session(app, client, db, member):
    other_device = app.test_client()
    sign_in(other_device, member.email, PASSWORD)
    sign_in(client, member.email, PASSWORD)
    sign_out(client)
    assert signed_in(other_device)


def test_a_signed_cookie_without_a_server_session_signs_nobody_in(client, db, member):
    """A cookie signed with the right key but naming a user without a session the server started
    (forged, or from before server-side sessions) is a visitor's."""
    with client.session_transaction() as cookie:
        cookie["_user_id"] = f"{member.id}:{member.session_version}"
        cookie["_fresh"] = True
        cookie[sessions.KEY] = "made-up"
        cookie[sessions.SEEN] = int(time.time())
    assert not signed_in(client) and not api_signed_in(client)


def later(monkeypatch, hours: float) -> None:
    """Move the sessions' clocks `hours` ahead."""
    monkeypatch.setattr(sessions, "utcnow", lambda: utcnow() + timedelta(hours=hours))


def test_a_session_ends_after_the_idle_timeout(client, db, member, monkeypatch):
    sign_in(client, member.email, PASSWORD)
    with monkeypatch.context() as m:
        later(m, 7.9)
        assert signed_in(client)  # within 8 hours of the last request
    with monkeypatch.context() as m:
        later(m, 7.9 + 8.1)
        assert not signed_in(client)


def test_the_idle_timeout_is_configurable(app, client, db, member, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_HOURS", 0.5)
    sign_in(client, member.email, PASSWORD)
    with monkeypatch.context() as m:
        later(m, 0.6)
        assert not signed_in(client)


def test_a_session_in_use_ends_after_its_absolute_lifetime(client, db, member, monkeypatch):
    sign_in(client, member.email, PASSWORD)
    for hour in range(1, 12):
        with monkeypatch.context() as m:
            later(m, hour)
            assert signed_in(client), hour  # one request an hour keeps it from idling
    with monkeypatch.context() as m:
        later(m, 12.1)
        assert not signed_in(client)
    assert sign_in(client, member.email, PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_new_sign_in_clears_the_users_ended_sessions(client, db, member):
    for _ in range(3):
        sign_in(client, member.email, PASSWORD)
        sign_out(client)
    sign_in(client, member.email, PASSWORD)
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == member.id)).all()
    assert len(rows) == 1 and rows[0].ended_at is None

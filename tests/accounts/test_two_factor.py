"""Two-factor sign-in (TOTP) for admins and coordinators: set-up on first sign-in, the code after
the password, wrong codes counted, no replay, one-time recovery codes, the admin's reset."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import func, select, text

from central.accounts.models import RecoveryCode, TotpCredential, User
from central.core import encryption
from central.core.audit import AuditEvent
from central.core.types import utcnow
from tests.conftest import csrf_token, use_english
from tests.factories import PASSWORD, enrol_two_factor, make_token, make_user, next_totp_code


@pytest.fixture
def client(client):
    """These tests read the English messages."""
    return use_english(client)


def post(client, path: str, **data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client)})


def password_step(client, user, password: str = PASSWORD):
    return post(client, "/login", email=user.email, password=password)


def enrolled(role: str = "coordinator", **values) -> tuple[User, str]:
    user = make_user(role, **values)
    return user, enrol_two_factor(user)


def audit_actions(db, user: User) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "users", AuditEvent.object_id == user.id)
            .order_by(AuditEvent.id)
        )
    )


def fresh(db, user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


# --- set-up on first sign-in ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_admins_and_coordinators_without_two_factor_are_led_to_set_it_up(client, db, role):
    user = make_user(role)
    db.session.commit()
    response = password_step(client, user)
    assert response.status_code == 302 and response.headers["Location"] == "/login/enrol"
    page = client.get("/login/enrol")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    credential = db.session.get(TotpCredential, user.id)
    assert credential is not None and credential.confirmed_at is None
    # The key is shown as text (grouped by four) and as a QR code drawn by the server as SVG.
    shown = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    assert shown.replace(" ", "") == credential.secret
    assert 'src="data:image/svg+xml' in html and "http" not in html.split('src="data:')[1][:50]
    # Reloading the page keeps the same key (the app may have scanned it already).
    client.get("/login/enrol")
    assert db.session.get(TotpCredential, user.id).secret == credential.secret


def test_the_qr_code_holds_the_otpauth_uri_of_the_user():
    from central.accounts import two_factor

    user = User(email="coordinator@roeselare.example")
    uri = two_factor.provisioning_uri(
        user, TotpCredential(secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    )
    assert uri.startswith("otpauth://totp/Central:coordinator%40roeselare.example?")
    assert "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" in uri and "issuer=Central" in uri
    svg = two_factor.qr_code_data_uri(uri)
    assert svg.startswith("data:image/svg+xml")


def test_enrolment_is_confirmed_with_a_first_code_and_shows_ten_recovery_codes_once(client, db):
    user = make_user("admin")
    db.session.commit()
    password_step(client, user)
    client.get("/login/enrol")
    secret = db.session.get(TotpCredential, user.id).secret
    response = post(client, "/login/enrol", code=pyotp.TOTP(secret).now())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", html)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", c) for c in codes)
    # Stored hashed only.
    hashes = db.session.scalars(
        select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
    )
    hashes = list(hashes)
    assert len(hashes) == 10
    assert not any(code in h or code.replace("-", "") in h for code in codes for h in hashes)
    # The user is signed in now, and the codes are not shown again.
    assert client.get("/").status_code == 200
    assert not any(
        code in client.get("/account/two-factor").get_data(as_text=True) for code in codes
    )
    assert db.session.get(TotpCredential, user.id).confirmed_at is not None
    assert audit_actions(db, user)[-2:] == ["user.two_factor_enrolled", "user.signed_in"]


def test_a_wrong_first_code_does_not_enrol_and_is_counted(client, db):
    user = make_user("coordinator")
    db.session.commit()
    password_step(client, user)
    client.get("/login/enrol")
    response = post(client, "/login/enrol", code="000000")
    assert response.status_code == 401
    assert "Not correct, or used already." in response.get_data(as_text=True)
    assert db.session.get(TotpCredential, user.id).confirmed_at is None
    assert db.session.scalar(select(func.count()).where(RecoveryCode.user_id == user.id)) == 0
    assert fresh(db, user).failed_logins == 1
    assert client.get("/").status_code == 302


# --- sign-in with a code --------------------------------------------------------------------------


def test_sign_in_asks_for_the_code_after_the_password(client, db):
    user, secret = enrolled("coordinator")
    db.session.commit()
    response = password_step(client, user)
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    assert client.get("/login/code").status_code == 200
    assert fresh(db, user).last_login_at is None  # not signed in yet
    response = post(client, "/login/code", code=pyotp.TOTP(secret).now())
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    user = fresh(db, user)
    assert user.last_login_at is not None
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "user.signed_in", AuditEvent.object_id == user.id)
        .order_by(AuditEvent.id.desc())
    )
    assert event.data == {"second_factor": "totp"}


def test_a_code_with_spaces_is_accepted(client, db):
    user, secret = enrolled("admin")
    db.session.commit()
    password_step(client, user)
    code = pyotp.TOTP(secret).now()
    response = post(client, "/login/code", code=f" {code[:3]} {code[3:]} ")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_wrong_code_is_refused_and_counted(client, db):
    user, _secret = enrolled("coordinator")
    db.session.commit()
    password_step(client, user)
    response = post(client, "/login/code", code="123456")
    assert response.status_code == 401
    assert "Not correct, or used already." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert fresh(db, user).failed_logins == 1


def test_five_wrong_codes_slow_the_account_down_and_the_password_does_not_reset_the_count(
    client, db
):
    user, secret = enrolled("coordinator")
    db.session.commit()
    for _ in range(2):
        password_step(client, user)
        assert post(client, "/login/code", code="111111").status_code == 401
        assert post(client, "/login/code", code="222222").status_code == 401
    # Four wrong codes; the right password in between did not reset the count.
    assert fresh(db, user).failed_logins == 4
    password_step(client, user)
    fifth = post(client, "/login/code", code="333333")
    assert fifth.status_code == 429
    assert "Too many wrong codes in a row" in fifth.get_data(as_text=True)
    user = fresh(db, user)
    assert user.failed_logins == 5 and user.locked_until > utcnow()
    # Neither the password nor a right code gets in during the delay.
    assert password_step(client, user).status_code == 401  # the one answer of every failure
    assert post(client, "/login/code", code=pyotp.TOTP(secret).now()).status_code == 302
    assert client.get("/").status_code == 302
    assert "user.sign_in_delayed" in audit_actions(db, user)


def test_the_right_code_resets_the_count(client, db):
    user, secret = enrolled("admin")
    db.session.commit()
    password_step(client, user)
    post(client, "/login/code", code="999999")
    assert fresh(db, user).failed_logins == 1
    post(client, "/login/code", code=pyotp.TOTP(secret).now())
    user = fresh(db, user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_the_same_code_is_refused_a_second_time_in_its_window(client, db, app):
    user, secret = enrolled("coordinator")
    db.session.commit()
    code = pyotp.TOTP(secret).now()
    password_step(client, user)
    assert post(client, "/login/code", code=code).status_code == 302
    # Someone who saw the code tries it at once from another browser, with the password.
    other = use_english(app.test_client())
    password_step(other, user)
    replay = post(other, "/login/code", code=code)
    assert replay.status_code == 401
    assert other.get("/").status_code == 302


def test_a_code_older_than_the_last_used_one_is_refused(db):
    from central.accounts import two_factor

    user, secret = enrolled("coordinator")
    totp = pyotp.TOTP(secret)
    now = datetime.now(UTC)
    two_factor.verify_sign_in_code(user, totp.at(now + timedelta(seconds=30)))
    with pytest.raises(two_factor.ValidationError):
        two_factor.verify_sign_in_code(user, totp.at(now))
    assert db.session.get(TotpCredential, user.id).last_used_step == totp.timecode(now) + 1


def test_a_code_from_the_previous_step_is_accepted_for_clock_drift(db):
    from central.accounts import two_factor

    user, secret = enrolled("admin")
    code = pyotp.TOTP(secret).at(datetime.now(UTC) - timedelta(seconds=30))
    assert two_factor.verify_sign_in_code(user, code) == "totp"


def test_a_code_two_steps_away_is_refused(db):
    from central.accounts import two_factor

    user, secret = enrolled("admin")
    code = pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=65))
    with pytest.raises(two_factor.ValidationError):
        two_factor.verify_sign_in_code(user, code)


# --- recovery codes -------------------------------------------------------------------------------


def _enrol_through_the_pages(client, db, user, *, sign_out: bool = True) -> list[str]:
    password_step(client, user)
    client.get("/login/enrol")
    secret = db.session.get(TotpCredential, user.id).secret
    html = post(client, "/login/enrol", code=pyotp.TOTP(secret).now()).get_data(as_text=True)
    if sign_out:
        post(client, "/logout")
    return re.findall(r"<li><code>([a-z0-9-]+)</code></li>", html)


def test_a_recovery_code_works_once(client, db, app):
    user = make_user("coordinator")
    db.session.commit()
    codes = _enrol_through_the_pages(client, db, user)
    password_step(client, user)
    response = post(client, "/login/code", code=codes[3].upper())
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "You signed in with a recovery code. You have 9 left." in client.get("/").get_data(
        as_text=True
    )
    assert "user.recovery_code_used" in audit_actions(db, user)
    post(client, "/logout")
    # The same code a second time, from another browser: refused and counted.
    other = use_english(app.test_client())
    password_step(other, user)
    assert post(other, "/login/code", code=codes[3]).status_code == 401
    assert fresh(db, user).failed_logins == 1
    # Another code still works.
    assert post(other, "/login/code", code=codes[4]).status_code == 302
    used = db.session.scalar(
        select(func.count()).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_not(None)
        )
    )
    assert used == 2


def test_new_recovery_codes_need_a_current_code_and_void_the_old_ones(client, db):
    user = make_user("admin")
    db.session.commit()
    old_codes = _enrol_through_the_pages(client, db, user, sign_out=False)
    refused = post(client, "/account/two-factor", code="000000")
    assert refused.status_code == 400
    response = post(client, "/account/two-factor", code=next_totp_code(user))
    assert response.status_code == 200
    new_codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert "user.recovery_codes_renewed" in audit_actions(db, user)
    post(client, "/logout")
    password_step(client, user)
    assert post(client, "/login/code", code=old_codes[0]).status_code == 401
    assert post(client, "/login/code", code=new_codes[0]).status_code == 302


def test_guessing_codes_on_the_two_factor_page_is_slowed_down_like_sign_in(client, db):
    """Someone holding a signed-in session cannot guess app codes on /account/two-factor without
    limit: each wrong code counts as a failed sign-in, and from the fifth the account waits."""
    user, _secret = enrolled("coordinator")
    db.session.commit()
    login_as_through_the_pages(client, user)
    for attempt in range(4):
        refused = post(client, "/account/two-factor", code=f"{attempt:06d}")
        assert refused.status_code == 400
    slowed = post(client, "/account/two-factor", code="000004")
    assert slowed.status_code == 429
    assert "Too many wrong codes in a row" in slowed.get_data(as_text=True)
    assert fresh(db, user).failed_logins == 5 and fresh(db, user).locked_until > utcnow()
    # While the account waits, even the right code makes no new recovery codes.
    waiting = post(client, "/account/two-factor", code=next_totp_code(user))
    assert waiting.status_code == 429
    assert "user.recovery_codes_renewed" not in audit_actions(db, user)
    # And the count is the sign-in's: even the right password does not sign in while it waits.
    post(client, "/logout")
    assert password_step(client, user).status_code == 401


def login_as_through_the_pages(client, user: User) -> None:
    assert password_step(client, user).status_code == 302
    assert post(client, "/login/code", code=next_totp_code(user)).status_code == 302


# --- the half-signed-in state ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/admin/users", "/tokens", "/password", "/account/two-factor", "/frameworks"]
)
def test_the_half_signed_in_state_reaches_no_page(client, db, path):
    user, _secret = enrolled("admin")
    db.session.commit()
    password_step(client, user)
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_half_signed_in_state_reaches_no_api(client, db):
    user, _secret = enrolled("coordinator")
    db.session.commit()
    password_step(client, user)
    response = client.get("/api/v1/organisations")
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


def test_the_code_page_without_a_password_step_sends_back_to_sign_in(client, db):
    response = client.get("/login/code")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert post(client, "/login/code", code="123456").status_code == 302


def test_the_half_signed_in_state_expires(client, db, monkeypatch):
    user, secret = enrolled("coordinator")
    db.session.commit()
    password_step(client, user)
    later = time.time() + 11 * 60
    monkeypatch.setattr("central.accounts.views.time.time", lambda: later)
    response = post(client, "/login/code", code=pyotp.TOTP(secret).now())
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_a_deactivation_between_password_and_code_ends_the_half_state(client, db):
    user, secret = enrolled("coordinator")
    db.session.commit()
    password_step(client, user)
    user = fresh(db, user)
    user.active = False
    user.session_version += 1
    db.session.commit()
    response = post(client, "/login/code", code=pyotp.TOTP(secret).now())
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_the_next_page_survives_the_code_step(client, db):
    user, secret = enrolled("admin")
    db.session.commit()
    post(client, "/login?next=/admin/audit", email=user.email, password=PASSWORD)
    response = post(client, "/login/code", code=pyotp.TOTP(secret).now())
    assert response.headers["Location"] == "/admin/audit"


# --- roles and tokens without a second factor -----------------------------------------------------


@pytest.mark.parametrize("role", ["member", "provider"])
def test_members_and_providers_sign_in_without_a_code(client, db, role):
    user = make_user(role)
    db.session.commit()
    response = password_step(client, user)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert db.session.get(TotpCredential, user.id) is None
    assert client.get("/account/two-factor").status_code == 404


def test_api_tokens_of_admins_and_coordinators_need_no_code(client, db):
    admin, _secret = enrolled("admin")
    coordinator = make_user("coordinator")  # not even set up
    headers = [{"Authorization": f"Bearer {make_token(u)}"} for u in (admin, coordinator)]
    db.session.commit()
    for header in headers:
        assert client.get("/api/v1/organisations", headers=header).status_code == 200


def test_a_role_change_to_coordinator_ends_sessions_and_asks_for_set_up(client, db, app):
    member = make_user("member")
    admin = make_user("admin")
    db.session.commit()
    assert password_step(client, member).headers["Location"] == "/"
    from central.accounts.services import update_user

    update_user(fresh(db, member), {"role": "coordinator"}, actor=admin)
    db.session.commit()
    assert client.get("/").status_code == 302  # the old session ended
    assert password_step(client, member).headers["Location"] == "/login/enrol"


# --- the administrator's reset --------------------------------------------------------------------


def test_the_admin_resets_a_users_two_factor(client, db, app, login_as):
    coordinator, secret = enrolled("coordinator")
    admin = make_user("admin")
    db.session.commit()
    # The coordinator is signed in elsewhere.
    elsewhere = use_english(app.test_client())
    password_step(elsewhere, coordinator)
    post(elsewhere, "/login/code", code=pyotp.TOTP(secret).now())
    assert elsewhere.get("/").status_code == 200

    login_as(admin)
    page = client.get(f"/admin/users/{coordinator.id}")
    assert f"/admin/users/{coordinator.id}/two-factor/reset" in page.get_data(as_text=True)
    confirm = client.get(f"/admin/users/{coordinator.id}/two-factor/reset")
    assert confirm.status_code == 200 and "Yes, reset" in confirm.get_data(as_text=True)
    response = post(client, f"/admin/users/{coordinator.id}/two-factor/reset")
    assert response.status_code == 302
    assert db.session.get(TotpCredential, coordinator.id) is None
    assert (
        db.session.scalar(select(func.count()).where(RecoveryCode.user_id == coordinator.id)) == 0
    )
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "user.two_factor_reset", AuditEvent.object_id == coordinator.id
        )
    )
    assert event is not None and event.actor_id == admin.id
    assert elsewhere.get("/").status_code == 302  # signed out everywhere
    assert password_step(elsewhere, coordinator).headers["Location"] == "/login/enrol"


def test_the_admin_cannot_reset_their_own_two_factor(client, db, login_as):
    admin = make_user("admin")
    db.session.commit()
    login_as(admin)
    response = post(client, f"/admin/users/{admin.id}/two-factor/reset")
    assert response.status_code == 400
    assert db.session.get(TotpCredential, admin.id).confirmed_at is not None


def test_the_users_list_shows_who_has_two_factor(client, db, login_as):
    admin = make_user("admin")
    waiting = make_user("coordinator", email="waiting@example.org")
    member = make_user("member", email="member-2fa@example.org")
    db.session.commit()
    login_as(admin)
    html = client.get("/admin/users").get_data(as_text=True)
    rows = {
        m: re.search(rf"{re.escape(m)}</a>.*?</tr>", html, re.S).group(0)
        for m in (
            admin.email,
            waiting.email,
            member.email,
        )
    }
    assert ">on<" in rows[admin.email]
    assert "not set up" in rows[waiting.email]
    assert "not needed" in rows[member.email]


# --- the secret at rest -------------------------------------------------------------------------


def test_the_totp_secret_is_stored_encrypted_and_read_back_in_plain(db):
    user = make_user("coordinator")
    secret = enrol_two_factor(user)
    db.session.flush()
    db.session.expire_all()
    stored = db.session.execute(
        text("SELECT secret FROM totp_credentials WHERE user_id = :id"), {"id": user.id}
    ).scalar_one()
    assert secret not in stored and stored.startswith(encryption.PREFIX)
    assert db.session.get(TotpCredential, user.id).secret == secret


def test_a_rotated_secret_key_reads_old_secrets_through_the_fallbacks(app, monkeypatch):
    with app.app_context():
        stored = encryption.encrypt("JBSWY3DPEHPK3PXP")
        monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret-key")
        with pytest.raises(ValueError, match="SECRET_KEY_FALLBACKS"):
            encryption.decrypt(stored)
        monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", ["testing-secret-key"])
        assert encryption.decrypt(stored) == "JBSWY3DPEHPK3PXP"
        # Written again, it is under the new key only.
        again = encryption.encrypt(encryption.decrypt(stored))
        monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
        assert encryption.decrypt(again) == "JBSWY3DPEHPK3PXP"


def raw_secret(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT secret FROM totp_credentials")).scalar_one()


def test_the_migration_encrypts_existing_secrets_and_the_downgrade_restores_them(tmp_path):
    from flask_migrate import downgrade, upgrade

    from central import create_app

    url = f"sqlite:///{tmp_path / 'migrate.sqlite'}"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, STORAGE_DIR=str(tmp_path))
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="0010")
        from central.extensions import db as database

        with database.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, role, active, failed_logins, "
                    "session_version, created_at) VALUES (1, 'a@example.be', 'x', 'admin', "
                    "TRUE, 0, 0, '2026-01-01 00:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO totp_credentials (user_id, secret, created_at) "
                    "VALUES (1, 'JBSWY3DPEHPK3PXP', '2026-01-01 00:00:00')"
                )
            )
        upgrade(directory=directory, revision="0011")
        assert raw_secret(database.engine).startswith(encryption.PREFIX)
        assert encryption.decrypt(raw_secret(database.engine)) == "JBSWY3DPEHPK3PXP"
        downgrade(directory=directory, revision="0010")
        assert raw_secret(database.engine) == "JBSWY3DPEHPK3PXP"
        database.engine.dispose()

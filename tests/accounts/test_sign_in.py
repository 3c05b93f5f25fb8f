"""Signing in and out: the slow-down after wrong passwords, safe `next`, passwords and resets."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from central.accounts.models import User
from central.core.audit import AuditEvent
from central.core.types import utcnow
from tests.conftest import csrf_token, use_english
from tests.factories import PASSWORD, enrol_two_factor, make_user, next_totp_code

WRONG = "not the password at all"


@pytest.fixture
def client(client):
    """These tests read the English messages."""
    return use_english(client)


def sign_in(client, email: str, password: str, next_url: str | None = None):
    path = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(
        path, data={"email": email, "password": password, "csrf_token": csrf_token(client)}
    )


def sign_out(client):
    return client.post("/logout", data={"csrf_token": csrf_token(client)})


# --- sign-in --------------------------------------------------------------------------------------


def test_sign_in_with_the_right_password(client, db):
    user = make_user("member")
    db.session.commit()
    response = sign_in(client, user.email.upper(), PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    user = db.session.get(User, user.id)
    assert user.last_login_at is not None


def test_a_wrong_password_is_refused_with_one_message_for_unknown_accounts_too(client, db):
    user = make_user("member")
    db.session.commit()
    wrong = sign_in(client, user.email, WRONG)
    unknown = sign_in(client, "nobody@example.org", WRONG)
    assert wrong.status_code == unknown.status_code == 401
    assert "e-mail address or password is not correct" in wrong.get_data(as_text=True)
    assert "e-mail address or password is not correct" in unknown.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_an_empty_form_answers_400_with_messages(client):
    response = client.post("/login", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter your e-mail address" in html and 'aria-invalid="true"' in html


def test_a_deactivated_account_cannot_sign_in(client, db):
    user = make_user("member", active=False)
    db.session.commit()
    assert sign_in(client, user.email, PASSWORD).status_code == 401
    assert client.get("/").status_code == 302


def test_five_wrong_passwords_in_a_row_slow_the_account_down(client, db):
    user = make_user("member")
    db.session.commit()
    for _ in range(5):
        assert sign_in(client, user.email, WRONG).status_code == 401
    user = db.session.get(User, user.id)
    assert user.failed_logins == 5 and user.locked_until > utcnow()
    # The right password is refused during the delay, with the one answer of every failure.
    during = sign_in(client, user.email, PASSWORD)
    assert during.status_code == 401
    assert "waits a few minutes" in during.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "user.sign_in_delayed", AuditEvent.object_id == user.id
        )
    )


def test_the_slow_down_is_counted_on_the_account_not_the_client(app, db):
    """Each attempt comes from a new client (another browser, another web worker)."""
    user = make_user("member")
    db.session.commit()
    statuses = [sign_in(app.test_client(), user.email, WRONG).status_code for _ in range(5)]
    assert statuses == [401] * 5
    assert sign_in(app.test_client(), user.email, PASSWORD).status_code == 401
    assert db.session.get(User, user.id).locked_until > utcnow()


def test_the_delay_grows_with_each_further_failure(client, db):
    user = make_user("member")
    db.session.commit()
    for _ in range(5):
        sign_in(client, user.email, WRONG)
    user = db.session.get(User, user.id)
    first_delay = user.locked_until - utcnow()
    user.locked_until = utcnow() - timedelta(seconds=1)  # the delay has passed
    db.session.commit()
    assert sign_in(client, user.email, WRONG).status_code == 401
    user = db.session.get(User, user.id)
    assert user.failed_logins == 6
    assert user.locked_until - utcnow() > first_delay + timedelta(seconds=20)


def test_after_the_delay_the_right_password_works_and_resets_the_counter(client, db):
    user = make_user("member")
    db.session.commit()
    for _ in range(5):
        sign_in(client, user.email, WRONG)
    user = db.session.get(User, user.id)
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    user = db.session.get(User, user.id)
    assert user.failed_logins == 0 and user.locked_until is None
    # A fresh run of four mistakes does not slow the account down again.
    sign_out(client)
    for _ in range(4):
        assert sign_in(client, user.email, WRONG).status_code == 401


def test_a_success_in_between_resets_the_count(client, db):
    user = make_user("member")
    db.session.commit()
    for _ in range(4):
        sign_in(client, user.email, WRONG)
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    sign_out(client)
    for _ in range(4):
        assert sign_in(client, user.email, WRONG).status_code == 401


def test_wrong_passwords_for_one_account_do_not_slow_down_another(client, db):
    victim = make_user("member")
    other = make_user("member")
    db.session.commit()
    for _ in range(6):
        sign_in(client, victim.email, WRONG)
    assert sign_in(client, other.email, PASSWORD).status_code == 302


# --- next ----------------------------------------------------------------------------------------


def test_a_protected_page_sends_the_visitor_to_sign_in_and_back(client, db):
    admin = make_user("admin")
    db.session.commit()
    response = client.get("/admin/users?q=x")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/login?next=")
    login_page = client.get(location)
    assert login_page.status_code == 200
    enrol_two_factor(admin)
    db.session.commit()
    code_step = client.post(
        location,
        data={"email": admin.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert code_step.headers["Location"] == "/login/code"
    back = client.post(
        "/login/code", data={"code": next_totp_code(admin), "csrf_token": csrf_token(client)}
    )
    assert back.headers["Location"] == "/admin/users?q=x"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_an_external_next_is_ignored(client, db, target):
    user = make_user("member")
    db.session.commit()
    from urllib.parse import quote

    response = sign_in(client, user.email, PASSWORD, next_url=quote(target, safe=""))
    assert response.status_code == 302 and response.headers["Location"] == "/"


# --- sign-out ---------------------------------------------------------------------------------


def test_sign_out_needs_a_post_with_the_csrf_token(client, db):
    user = make_user("member")
    db.session.commit()
    sign_in(client, user.email, PASSWORD)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200
    response = sign_out(client)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


# --- change password ------------------------------------------------------------------------------


def change_password(client, current: str, new: str, confirm: str | None = None):
    return client.post(
        "/password",
        data={
            "current_password": current,
            "password": new,
            "confirm": new if confirm is None else confirm,
            "csrf_token": csrf_token(client),
        },
    )


def test_change_password_with_a_wrong_current_password_is_refused(client, db):
    user = make_user("member")
    db.session.commit()
    sign_in(client, user.email, PASSWORD)
    response = change_password(client, WRONG, "a brand new password")
    assert response.status_code == 400
    assert "current password is not correct" in response.get_data(as_text=True)
    sign_out(client)
    assert sign_in(client, user.email, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [("short", None, "At least 10 characters"), ("long enough 1", "long enough 2", "not the same")],
)
def test_change_password_checks_the_new_one(client, db, new, confirm, message):
    user = make_user("member")
    db.session.commit()
    sign_in(client, user.email, PASSWORD)
    response = change_password(client, PASSWORD, new, confirm)
    assert response.status_code == 400  # the form is shown again with the message
    assert message in response.get_data(as_text=True)
    sign_out(client)
    assert sign_in(client, user.email, PASSWORD).status_code == 302


def test_change_password_keeps_this_session_and_ends_the_others(app, client, db):
    user = make_user("member")
    db.session.commit()
    other = app.test_client()
    sign_in(other, user.email, PASSWORD)
    assert other.get("/").status_code == 200
    sign_in(client, user.email, PASSWORD)
    response = change_password(client, PASSWORD, "a brand new password")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    sign_out(client)
    assert sign_in(client, user.email, PASSWORD).status_code == 401
    assert sign_in(client, user.email, "a brand new password").status_code == 302
    assert db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "user.password_changed", AuditEvent.object_id == user.id
        )
    )


# --- password reset by e-mail -----------------------------------------------------------------


def ask_reset(client, email: str):
    return client.post("/password/forgot", data={"email": email, "csrf_token": csrf_token(client)})


def reset_link(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://central\.test(/password/reset/\S+)", body).group(1)


def test_password_reset_by_an_emailed_link(client, db, smtp_server):
    user = make_user("member")
    db.session.commit()
    response = ask_reset(client, user.email)
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == user.email
    link = reset_link(message)
    assert client.get(link).status_code == 200
    response = client.post(
        link,
        data={
            "password": "my new password",
            "confirm": "my new password",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert sign_in(client, user.email, "my new password").status_code == 302
    assert db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "user.password_reset", AuditEvent.object_id == user.id
        )
    )


def test_the_reset_link_works_once(client, db, smtp_server):
    user = make_user("member")
    db.session.commit()
    ask_reset(client, user.email)
    link = reset_link(smtp_server.messages[0])
    data = {"password": "my new password", "confirm": "my new password"}
    client.post(link, data={**data, "csrf_token": csrf_token(client)})
    again = client.get(link)
    assert again.status_code == 302 and again.headers["Location"] == "/password/forgot"
    second = client.post(
        link, data={"password": "yet another one", "confirm": "yet another one", **_csrf(client)}
    )
    assert second.status_code == 302
    assert sign_in(client, user.email, "yet another one").status_code == 401


def _csrf(client) -> dict:
    return {"csrf_token": csrf_token(client)}


def test_the_reset_link_expires(client, db, smtp_server, monkeypatch, app):
    import itsdangerous.timed

    user = make_user("member")
    db.session.commit()
    ask_reset(client, user.email)
    link = reset_link(smtp_server.messages[0])
    max_age = app.config["PASSWORD_RESET_MAX_AGE"]
    assert f"{max_age // 60} minutes" in smtp_server.messages[0].get_content()
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + max_age - 60)
    assert client.get(link).status_code == 200
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + max_age + 2)
    expired = client.get(link)
    assert expired.status_code == 302 and expired.headers["Location"] == "/password/forgot"
    follow = client.get("/password/forgot").get_data(as_text=True)
    assert "invalid or has expired" in follow


def test_a_shorter_configured_lifetime_is_honoured(client, db, smtp_server, monkeypatch, app):
    import itsdangerous.timed

    user = make_user("member")
    db.session.commit()
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", 120)
    ask_reset(client, user.email)
    link = reset_link(smtp_server.messages[0])
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 180)
    assert client.get(link).status_code == 302


def test_a_tampered_reset_link_is_refused(client, db, smtp_server):
    user = make_user("member")
    db.session.commit()
    ask_reset(client, user.email)
    link = reset_link(smtp_server.messages[0])
    assert client.get(link[:-3] + "abc").status_code == 302
    assert client.get("/password/reset/garbage").status_code == 302


def test_the_reset_page_answers_the_same_for_unknown_addresses(client, db, smtp_server):
    user = make_user("member")
    inactive = make_user("member", active=False)
    db.session.commit()
    answers = []
    for email in (user.email, "nobody@example.org", inactive.email):
        response = ask_reset(client, email)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        flashed = re.search(r'<p class="flash[^"]*">(.*?)</p>', page, re.S).group(1)
        answers.append((response.status_code, response.headers["Location"], flashed))
    assert answers[0] == answers[1] == answers[2]
    assert [m["To"] for m in smtp_server.messages] == [user.email]


def test_the_reset_mail_without_mail_server_is_logged_not_sent(client, db, caplog, app):
    user = make_user("member")
    db.session.commit()
    assert not app.config["MAIL_SERVER"]
    with caplog.at_level("INFO", logger="central.core.mail"):
        response = ask_reset(client, user.email)
    assert response.status_code == 302
    assert "/password/reset/" in caplog.text


def test_a_reset_ends_every_open_session_and_lifts_the_slow_down(app, client, db, smtp_server):
    user = make_user("member")
    db.session.commit()
    other = app.test_client()
    sign_in(other, user.email, PASSWORD)
    for _ in range(5):
        sign_in(client, user.email, WRONG)
    ask_reset(client, user.email)
    link = reset_link(smtp_server.messages[0])
    client.post(
        link, data={"password": "my new password", "confirm": "my new password", **_csrf(client)}
    )
    assert other.get("/").status_code == 302
    assert sign_in(client, user.email, "my new password").status_code == 302


def _answer(response) -> tuple[int, str]:
    """A sign-in answer as the visitor sees it: the status and the flashed messages."""
    html = response.get_data(as_text=True)
    return response.status_code, " ".join(
        re.findall(r'<p class="flash[^"]*">(.*?)</p>', html, re.S)
    )


def test_account_existence_does_not_leak_by_answer_or_work(client, db, monkeypatch):
    """Known and unknown addresses get the same status and message, also after repeated failures
    (no 429 only for a real account), and cost the same work: one password hash checked, none
    made."""
    from central.accounts import services

    user = make_user("member")
    db.session.commit()
    sign_in(client, "warm-up@example.org", WRONG)  # the dummy hash is made once per process
    work = {"checked": 0, "made": 0}

    def counting(name, real):
        def wrapper(*args, **kwargs):
            work[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        services, "check_password_hash", counting("checked", services.check_password_hash)
    )
    monkeypatch.setattr(
        services, "generate_password_hash", counting("made", services.generate_password_hash)
    )

    def attempts(email: str, count: int = 7) -> tuple[list, dict]:
        work.update(checked=0, made=0)
        answers = [_answer(sign_in(client, email, WRONG)) for _ in range(count)]
        return answers, dict(work)

    known, known_work = attempts(user.email)
    unknown, unknown_work = attempts("nobody-here@example.org")
    assert known == unknown
    assert {status for status, _message in known} == {401}
    assert all("not correct" in message for _status, message in known)
    assert known_work == unknown_work == {"checked": 7, "made": 0}
    assert db.session.get(User, user.id).locked_until > utcnow()  # the account is slowed down

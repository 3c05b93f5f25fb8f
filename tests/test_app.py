"""The app factory and configuration, security headers, CSRF on every form, language and errors."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from central import create_app
from config import DEFAULT_SECRET_KEY
from tests.conftest import csrf_token
from tests.factories import make_org, make_user

MEMORY_DB = "sqlite://"


# --- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", DEFAULT_SECRET_KEY])
def test_production_refuses_the_default_or_missing_secret_key(secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY=secret, SQLALCHEMY_DATABASE_URI=MEMORY_DB)


def test_production_starts_with_a_real_secret_key_and_secure_cookies():
    app = create_app(
        "production", SECRET_KEY="a-long-random-production-key", SQLALCHEMY_DATABASE_URI=MEMORY_DB
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert not app.debug and not app.testing
    response = app.test_client().get("/login")
    assert "Strict-Transport-Security" in response.headers
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_development_and_testing_cookies_are_not_secure_only():
    app = create_app("development", SQLALCHEMY_DATABASE_URI=MEMORY_DB)
    assert not app.config.get("SESSION_COOKIE_SECURE")


def test_central_config_selects_the_configuration(monkeypatch):
    monkeypatch.setenv("CENTRAL_CONFIG", "testing")
    app = create_app(SQLALCHEMY_DATABASE_URI=MEMORY_DB)
    assert app.config["NAME"] == "testing" and app.testing
    monkeypatch.setenv("CENTRAL_CONFIG", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(SQLALCHEMY_DATABASE_URI=MEMORY_DB, SECRET_KEY=DEFAULT_SECRET_KEY)
    app = create_app(SQLALCHEMY_DATABASE_URI=MEMORY_DB, SECRET_KEY="another-real-secret-key")
    assert app.config["NAME"] == "production"


def test_an_unknown_configuration_name_is_a_clear_error(monkeypatch):
    with pytest.raises(RuntimeError, match="CENTRAL_CONFIG must be one of .*'staging'"):
        create_app("staging", SQLALCHEMY_DATABASE_URI=MEMORY_DB)
    monkeypatch.setenv("CENTRAL_CONFIG", "prod")
    with pytest.raises(RuntimeError, match="'prod'"):
        create_app(SQLALCHEMY_DATABASE_URI=MEMORY_DB)


def test_database_url_is_read_and_heroku_style_postgres_urls_are_accepted():
    app = create_app(
        "development", SQLALCHEMY_DATABASE_URI="postgres://u:p@db.invalid:5432/central"
    )
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_without_database_url_the_database_is_sqlite_under_the_instance_folder(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("CENTRAL_INSTANCE_PATH", str(tmp_path))
    app = create_app("development", SQLALCHEMY_DATABASE_URI=None)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'central.sqlite'}"
    assert app.config["STORAGE_DIR"] == str(tmp_path / "storage")


def test_wsgi_module_builds_the_app(monkeypatch, tmp_path):
    import importlib
    import sys

    monkeypatch.setenv("CENTRAL_CONFIG", "testing")
    monkeypatch.setenv("CENTRAL_INSTANCE_PATH", str(tmp_path))
    sys.modules.pop("wsgi", None)
    wsgi = importlib.import_module("wsgi")
    assert wsgi.app.config["NAME"] == "testing"
    sys.modules.pop("wsgi", None)


# --- security headers --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/accessibility", "/api/v1/openapi.json", "/nowhere"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_scripts_or_styles(client, login_as):
    login_as(make_user("admin"))
    for path in ("/", "/admin/users", "/admin/organisations", "/tokens", "/accessibility"):
        html = client.get(path).get_data(as_text=True)
        assert re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html) is None, path
        assert " style=" not in html and "<style" not in html, path
        assert re.search(r"\son[a-z]+=", html) is None, path


# --- CSRF on every form --------------------------------------------------------------------------


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(), "csrf": False})
        elif tag == "input" and self.forms and attrs.get("name") == "csrf_token":
            self.forms[-1]["csrf"] = bool(attrs.get("value"))


def _post_forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return [f for f in parser.forms if f["method"] == "post"]


def test_every_html_form_that_posts_carries_a_csrf_token(client, login_as, db):
    from central.accounts.services import create_token

    admin = make_user("admin")
    member = make_user("member")
    org = member.organisation
    token, _secret = create_token(admin, "t")
    db.session.commit()
    anonymous_pages = ["/login", "/password/forgot", "/accessibility"]
    admin_pages = [
        "/",
        "/password",
        "/tokens",
        f"/tokens/{token.id}/revoke",
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{member.id}",
        f"/admin/users/{member.id}/deactivate",
        "/admin/organisations",
        "/admin/organisations/new",
        f"/admin/organisations/{org.id}",
    ]
    seen = 0
    for path in anonymous_pages:
        forms = _post_forms(client.get(path).get_data(as_text=True))
        assert forms and all(f["csrf"] for f in forms), path
        seen += len(forms)
    login_as(admin)
    for path in admin_pages:
        response = client.get(path)
        assert response.status_code == 200, path
        forms = _post_forms(response.get_data(as_text=True))
        assert forms and all(f["csrf"] for f in forms), path
        seen += len(forms)
    assert seen > 20


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/logout",
        "/language",
        "/password/forgot",
        "/password",
        "/tokens",
        "/admin/users/new",
        "/admin/organisations/new",
    ],
)
def test_a_post_without_csrf_token_is_refused(client, login_as, path):
    from central.accounts.models import User
    from central.core.audit import AuditEvent
    from central.extensions import db
    from central.organisations.models import Organisation

    admin = make_user("admin")
    login_as(admin)
    counts = [db.session.query(m).count() for m in (User, Organisation, AuditEvent)]
    response = client.post(
        path,
        data={
            "email": "new@example.org",
            "role": "admin",
            "organisation_id": "0",
            "name": "X",
            "kind": "authority",
            "enterprise_number": "0207446673",
            "lang": "en",
        },
    )
    assert response.status_code == 400
    assert [db.session.query(m).count() for m in (User, Organisation, AuditEvent)] == counts
    # Still signed in: a forged logout does nothing.
    assert client.get("/").status_code == 200


def test_a_post_with_a_token_of_another_session_is_refused(app, client, login_as):
    admin = make_user("admin")
    other = app.test_client()
    foreign = csrf_token(other)
    login_as(admin)
    response = client.post("/logout", data={"csrf_token": foreign})
    assert response.status_code == 400


# --- language ----------------------------------------------------------------------------------


def test_dutch_is_the_default_language(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="nl">' in html


def test_the_language_switch_sets_english_for_the_session(client):
    response = client.post(
        "/language", data={"lang": "en", "next": "/login", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Sign in to Central" in html


def test_the_language_switch_ignores_an_external_next(client):
    response = client.post(
        "/language",
        data={"lang": "en", "next": "https://evil.example/", "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"] == "/"


def test_an_unknown_language_is_refused(client):
    response = client.post("/language", data={"lang": "fr", "csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert '<html lang="nl">' in client.get("/login").get_data(as_text=True)


def test_a_signed_in_user_keeps_the_chosen_language_in_the_next_session(app, client, login_as, db):
    from central.accounts.models import User

    user = make_user("member")
    login_as(user)
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client)})
    assert db.session.get(User, user.id).locale == "en"
    second = app.test_client()
    second.post(
        "/login",
        data={"email": user.email, "password": "correct horse battery", **_csrf(second)},
    )
    assert '<html lang="en">' in second.get("/").get_data(as_text=True)


def _csrf(client) -> dict:
    return {"csrf_token": csrf_token(client)}


# --- error pages --------------------------------------------------------------------------------


def test_unknown_page_answers_404_with_a_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "<h1>" in response.get_data(as_text=True)


def test_unknown_api_path_answers_404_in_the_error_format(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_wrong_method_answers_405(client):
    assert client.get("/logout").status_code == 405
    response = client.put("/api/v1/openapi.json")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"


def test_the_accessibility_statement_exists_in_dutch_and_english(client):
    dutch = client.get("/toegankelijkheid")
    assert dutch.status_code == 200
    dutch_html = dutch.get_data(as_text=True)
    assert '<html lang="nl">' in dutch_html
    assert "<h1>Toegankelijkheidsverklaring</h1>" in dutch_html
    assert "Accessibility statement" not in dutch_html
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client)})
    english = client.get("/accessibility").get_data(as_text=True)
    assert '<html lang="en">' in english and "Accessibility statement" in english
    assert "WCAG" in english


def test_the_organisation_of_a_signed_in_user_is_shown(client, login_as):
    org = make_org(name="Gemeente Lendelede")
    login_as(make_user("member", org=org))
    assert "Gemeente Lendelede" in client.get("/").get_data(as_text=True)


# --- home page per role ---------------------------------------------------------------------


def test_the_admins_home_counts_organisations_and_users(client, login_as, db):
    from tests.conftest import use_english

    make_org("provider")
    make_user("member", active=False)
    admin = make_user("admin")
    db.session.commit()
    use_english(client)
    login_as(admin)
    html = client.get("/").get_data(as_text=True)
    from sqlalchemy import func, select

    from central.accounts.models import User
    from central.organisations.models import Organisation

    providers = db.session.scalar(
        select(func.count(Organisation.id)).where(Organisation.kind == "provider")
    )
    inactive = db.session.scalar(select(func.count(User.id)).where(User.active.is_(False)))
    assert f"{providers} providers" in html and f"{inactive} deactivated" in html
    assert "/admin/organisations/new" in html and "/admin/users/new" in html


@pytest.mark.parametrize("role", ["coordinator", "member", "provider"])
def test_the_home_page_shows_the_users_organisation_and_account_links(client, login_as, db, role):
    from tests.conftest import use_english

    org = make_org(
        "provider" if role == "provider" else "authority",
        name="Organisation of the user",
        **({"social_economy_status": "lde"} if role == "provider" else {}),
    )
    user = make_user(role, org=org)
    db.session.commit()
    use_english(client)
    login_as(user)
    html = client.get("/").get_data(as_text=True)
    assert "Organisation of the user" in html and org.enterprise_number in html
    assert 'href="/password"' in html and 'href="/tokens"' in html
    assert "/admin/" not in html
    if role == "provider":
        assert "Local service economy (LDE)" in html


def test_signing_in_is_asked_in_the_visitors_language(client, db):
    from tests.conftest import use_english

    response = client.get("/tokens", follow_redirects=True)
    dutch = response.get_data(as_text=True)
    use_english(client)
    english = client.get("/tokens", follow_redirects=True).get_data(as_text=True)
    assert "Sign in to see this page." in english
    assert "Sign in to see this page." not in dutch


def _external_login_url(app, headers: dict) -> str:
    from flask import url_for

    seen = {}

    @app.get("/_probe")
    def probe():
        seen["url"] = url_for("accounts.login", _external=True)
        return ""

    app.test_client().get("/_probe", headers=headers)
    return seen["url"]


def test_behind_a_trusted_proxy_links_use_its_scheme_and_host():
    app = create_app(
        "production",
        SECRET_KEY="a-long-random-production-key",
        SQLALCHEMY_DATABASE_URI=MEMORY_DB,
        TRUSTED_PROXIES=1,
    )
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "central.roeselare.be"}
    assert _external_login_url(app, headers) == "https://central.roeselare.be/login"


def test_without_trusted_proxies_forwarded_headers_are_ignored():
    app = create_app("development", SQLALCHEMY_DATABASE_URI=MEMORY_DB)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    assert _external_login_url(app, headers) == "http://localhost/login"


def test_the_service_worker_is_served_from_the_root_and_never_stale(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    body = response.get_data(as_text=True)
    assert "/field/tasks/" in body and "caches.delete(PAGES)" in body  # emptied at sign-out


def test_the_site_icon_is_served_where_browsers_ask_for_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.get_data()[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    page = client.get("/login").get_data(as_text=True)
    assert 'rel="icon" href="/favicon.ico"' in page

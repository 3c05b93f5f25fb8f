"""The API core: OpenAPI document, authentication rules, error format and pagination."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from central.accounts.models import ApiToken, User
from central.core.api import API_PREFIX
from central.organisations.models import Organisation
from tests.conftest import csrf_token
from tests.factories import make_org, make_token, make_user

PLAIN_METHODS = {"HEAD", "OPTIONS"}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


# --- OpenAPI -------------------------------------------------------------------------------------


def test_the_openapi_document_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"].startswith("3.")
    validate(document)


def _registered_operations(app) -> set[tuple[str, str]]:
    operations = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule).removeprefix(API_PREFIX)
        for method in rule.methods - PLAIN_METHODS:
            operations.add((path, method.lower()))
    return operations


def _documented_operations(document: dict) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_the_openapi_document_lists_exactly_the_registered_routes(app, client):
    document = client.get("/api/v1/openapi.json").json
    registered = _registered_operations(app)
    documented = _documented_operations(document)
    assert registered - documented == set(), "routes missing from the OpenAPI document"
    assert documented - registered == set(), "documented operations without a route"
    assert document["servers"] == [{"url": API_PREFIX}]
    for foundation in [
        ("/organisations", "get"),
        ("/organisations", "post"),
        ("/organisations/{org_id}", "get"),
        ("/organisations/{org_id}", "patch"),
        ("/users", "get"),
        ("/users", "post"),
        ("/users/{user_id}", "get"),
        ("/users/{user_id}", "patch"),
        ("/tokens", "get"),
        ("/tokens", "post"),
        ("/tokens/{token_id}", "delete"),
    ]:
        assert foundation in documented


def test_the_openapi_document_describes_path_parameters_lists_and_bodies(client):
    document = client.get("/api/v1/openapi.json").json
    for path, operations in document["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, operation in operations.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (path, method)
            assert operation["responses"], (path, method)
    users = document["paths"]["/users"]
    assert {p["name"] for p in users["get"]["parameters"]} >= {"page", "per_page"}
    assert "X-Total-Count" in users["get"]["responses"]["200"]["headers"]
    assert "requestBody" in users["post"]
    schemas = document["components"]["schemas"]
    user_schema = next(s for name, s in schemas.items() if name.startswith("User"))
    assert {"id", "email", "role", "organisation_id", "active"} <= set(user_schema["properties"])


def test_the_openapi_document_needs_no_sign_in(client):
    assert client.get("/api/v1/openapi.json").status_code == 200


# --- authentication ----------------------------------------------------------------------------


def test_anonymous_api_requests_answer_401_in_the_error_format(client):
    response = client.get("/api/v1/organisations")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.json["error"]["message"]


def test_a_bearer_token_works_without_csrf(client, db):
    admin = make_user("admin")
    secret = make_token(admin)
    db.session.commit()
    response = client.post(
        "/api/v1/organisations",
        json={"name": "Gemeente Wingene", "kind": "authority", "enterprise_number": "0207446673"},
        headers=bearer(secret),
    )
    assert response.status_code == 201, response.json
    assert response.json["enterprise_number"] == "0207.446.673"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ctl_not-a-real-token",
        "Bearer ",
        "Basic YWRtaW46YWRtaW4=",
        "ctl_token-without-scheme",
    ],
)
def test_a_bad_authorization_header_answers_401(client, db, header):
    response = client.get("/api/v1/tokens", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_a_revoked_token_answers_401(client, db):
    user = make_user("member")
    secret = make_token(user)
    db.session.commit()
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    assert client.get("/api/v1/tokens", headers=bearer(secret)).status_code == 200
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=bearer(secret)).status_code == 204
    response = client.get("/api/v1/tokens", headers=bearer(secret))
    assert response.status_code == 401


def test_a_bad_token_does_not_fall_back_to_the_session(client, login_as, db):
    login_as(make_user("admin"))
    response = client.get("/api/v1/users", headers=bearer("wrong"))
    assert response.status_code == 401


def test_a_token_is_stored_hashed(client, db):
    user = make_user("member")
    db.session.commit()
    response = client.post(
        "/api/v1/tokens", json={"name": "GIS sync"}, headers=bearer(make_token(user))
    )
    assert response.status_code == 201
    secret = response.json["token"]
    assert secret.startswith(response.json["prefix"])
    rows = db.session.execute(select(ApiToken.__table__)).all()
    assert rows
    for row in rows:
        assert all(secret not in str(value) for value in row)
    # It works, and the list never shows it again.
    listed = client.get("/api/v1/tokens", headers=bearer(secret)).json
    assert {t["name"] for t in listed} == {"test", "GIS sync"}
    assert all("token" not in t for t in listed)


def test_token_use_is_recorded(client, db):
    user = make_user("member")
    secret = make_token(user)
    db.session.commit()
    client.get("/api/v1/tokens", headers=bearer(secret))
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.last_used_at is not None


def test_a_session_read_needs_no_csrf(client, login_as, db):
    user = make_user("member")
    login_as(user)
    response = client.get(f"/api/v1/organisations/{user.organisation_id}")
    assert response.status_code == 200


def test_a_session_write_without_the_csrf_header_answers_400(client, login_as, db):
    login_as(make_user("member"))
    before = db.session.scalar(select(func.count(ApiToken.id)))
    response = client.post("/api/v1/tokens", json={"name": "phone"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "csrf"
    assert "X-CSRFToken" in response.json["error"]["message"]
    response = client.post(
        "/api/v1/tokens", json={"name": "phone"}, headers={"X-CSRFToken": "forged"}
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(ApiToken.id))) == before


def test_a_session_write_with_the_csrf_header_succeeds(client, login_as, db):
    login_as(make_user("member"))
    response = client.post(
        "/api/v1/tokens", json={"name": "phone"}, headers={"X-CSRFToken": csrf_token(client)}
    )
    assert response.status_code == 201


def test_the_csrf_token_is_not_bound_to_the_hour(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_a_deactivated_users_token_and_session_stop_at_once(app, client, login_as, db):
    admin = make_user("admin")
    user = make_user("member")
    secret = make_token(user)
    db.session.commit()
    login_as(user)
    assert client.get("/api/v1/tokens").status_code == 200
    assert client.get("/api/v1/tokens", headers=bearer(secret)).status_code == 200
    admin_client = app.test_client()
    admin_response = admin_client.patch(
        f"/api/v1/users/{user.id}", json={"active": False}, headers=bearer(make_token(admin))
    )
    assert admin_response.status_code == 200 and admin_response.json["active"] is False
    assert client.get("/api/v1/tokens", headers=bearer(secret)).status_code == 401
    assert client.get("/api/v1/tokens").status_code == 401
    page = client.get("/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")


# --- error format -------------------------------------------------------------------------------


@pytest.fixture
def admin_token(db) -> str:
    secret = make_token(make_user("admin"))
    db.session.commit()
    return secret


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"name": "x",', "application/json"),
        ("not json at all", "application/json"),
        ('["a", "list"]', "application/json"),
        ('"a string"', "application/json"),
        ("42", "application/json"),
        ("null", "application/json"),
        ('{"name": "x"}', "text/plain"),
        ("", "application/json"),
    ],
)
def test_malformed_or_non_object_json_answers_400_and_writes_nothing(
    client, db, admin_token, body, content_type
):
    before = _count(db, Organisation)
    response = client.post(
        "/api/v1/organisations",
        data=body,
        headers={**bearer(admin_token), "Content-Type": content_type},
    )
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert "JSON-object" in error["message"]
    assert _count(db, Organisation) == before


def test_the_error_format_is_the_same_everywhere(client, db, admin_token):
    response = client.post(
        "/api/v1/organisations", json={"name": 5, "colour": "red"}, headers=bearer(admin_token)
    )
    assert response.status_code == 400
    assert set(response.json) == {"error"}
    assert set(response.json["error"]) == {"code", "message", "fields"}
    fields = response.json["error"]["fields"]
    assert fields["colour"] == ["Onbekend veld."]
    assert fields["name"] == ["Geen geldige tekst."]
    assert "kind" in fields and "enterprise_number" in fields
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in fields.values())


def test_a_missing_object_answers_404_in_the_error_format(client, db, admin_token):
    response = client.get("/api/v1/organisations/999999", headers=bearer(admin_token))
    assert response.status_code == 404
    assert response.json == {"error": {"code": "not_found", "message": "Niet gevonden."}}


# --- pagination ----------------------------------------------------------------------------------


@pytest.fixture
def many_organisations(db):
    for _ in range(7):
        make_org()
    db.session.commit()


def test_lists_are_paginated_with_a_total_count(client, db, admin_token, many_organisations):
    total = _count(db, Organisation)
    response = client.get("/api/v1/organisations?per_page=3&page=2", headers=bearer(admin_token))
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == str(total)
    assert len(response.json) == 3
    first = client.get("/api/v1/organisations?per_page=3", headers=bearer(admin_token)).json
    assert not {o["id"] for o in first} & {o["id"] for o in response.json}
    everything = client.get("/api/v1/organisations?per_page=500", headers=bearer(admin_token))
    assert everything.status_code == 200 and len(everything.json) == total
    past_the_end = client.get("/api/v1/organisations?page=999", headers=bearer(admin_token))
    assert past_the_end.status_code == 200 and past_the_end.json == []
    assert past_the_end.headers["X-Total-Count"] == str(total)


def test_the_default_page_holds_50(client, db, admin_token):
    for _ in range(51):
        make_org()
    db.session.commit()
    response = client.get("/api/v1/organisations", headers=bearer(admin_token))
    assert len(response.json) == 50
    assert int(response.headers["X-Total-Count"]) >= 51


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=501", "per_page"),
        ("per_page=0", "per_page"),
        ("per_page=-5", "per_page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("per_page=1.5", "per_page"),
    ],
)
def test_bad_pagination_answers_400(client, db, admin_token, query, field):
    response = client.get(f"/api/v1/organisations?{query}", headers=bearer(admin_token))
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]


def test_users_list_is_paginated_too(client, db, admin_token):
    response = client.get("/api/v1/users?per_page=1", headers=bearer(admin_token))
    assert response.status_code == 200 and len(response.json) == 1
    assert int(response.headers["X-Total-Count"]) == _count(db, User)


# --- language (§7.6) -----------------------------------------------------------------------------


def test_api_messages_follow_accept_language_and_name_their_language(client):
    dutch = client.get("/api/v1/organisations")
    assert dutch.headers["Content-Language"] == "nl"
    english = client.get("/api/v1/organisations", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert english.headers["Content-Language"] == "en"
    assert english.json["error"]["code"] == dutch.json["error"]["code"] == "unauthorized"
    assert english.json["error"]["message"] != dutch.json["error"]["message"]
    # A language Central does not speak falls back to Dutch.
    french = client.get("/api/v1/organisations", headers={"Accept-Language": "fr-BE"})
    assert french.headers["Content-Language"] == "nl"
    assert french.json["error"]["message"] == dutch.json["error"]["message"]


def test_the_users_saved_language_comes_before_accept_language(client, db):
    user = make_user("admin")
    user.locale = "en"
    secret = make_token(user)
    db.session.commit()
    response = client.post(
        "/api/v1/organisations",
        json={"name": "", "kind": "authority"},
        headers={**bearer(secret), "Accept-Language": "nl-BE"},
    )
    assert response.status_code == 400
    assert response.headers["Content-Language"] == "en"
    user.locale = "nl"
    db.session.commit()
    dutch = client.post(
        "/api/v1/organisations",
        json={"name": "", "kind": "authority"},
        headers={**bearer(secret), "Accept-Language": "en"},
    )
    assert dutch.headers["Content-Language"] == "nl"
    assert dutch.json["error"]["message"] != response.json["error"]["message"]


def test_pages_stay_dutch_whatever_the_browser_asks(client):
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert page.headers["Content-Language"] == "nl"
    assert "Aanmelden" in page.get_data(as_text=True)


def test_schema_messages_with_values_are_dutch_with_dutch_numbers(app):
    """Marshmallow's own English (lengths, ranges, choices) reaches a Dutch reader in Dutch, with
    numbers in the Belgian form; an English reader keeps marshmallow's words."""
    from flask_babel import refresh

    from central.core.errors import translate

    cases = {
        "Longer than maximum length 50.": "Hoogstens 50 tekens.",
        "Must be greater than or equal to 0.01 and less than or equal to 1440.": (
            "Tussen 0,01 en 1.440."
        ),
        "Must be greater than 0.": "Meer dan 0.",
        "Must be one of: ok, defect.": "Kies een van: ok, defect.",
        "Not a valid number.": "Geen geldig getal.",
        "Something of our own that has no entry.": "Something of our own that has no entry.",
    }
    with app.test_request_context("/api/v1/organisations"):
        refresh()
        for english, dutch in cases.items():
            assert translate(english) == dutch
    with app.test_request_context("/api/v1/organisations", headers={"Accept-Language": "en"}):
        refresh()  # the language is kept per application context
        for english in cases:
            assert translate(english) == english

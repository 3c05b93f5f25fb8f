"""Who may do what on every foundation route: each role × its own organisation and another's.

Reads outside a user's reach answer 404 (ids leak nothing); a visible target whose action is not
the user's answers 403; admin pages answer 403 to other roles; anonymous visitors are sent to
sign in (HTML) or get 401 (API). A refused write changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from central.accounts.models import ApiToken, User
from central.core.audit import AuditEvent
from central.organisations.models import Organisation
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_org, make_token, make_user

ROLES = ["admin", "coordinator", "member", "provider", "anonymous"]
TARGETS = ["own", "other"]


@dataclass
class Actor:
    role: str
    user: User | None
    own_org: Organisation
    other_org: Organisation
    other_user: User
    own_token: ApiToken | None
    other_token: ApiToken
    secret: str | None


@pytest.fixture
def actor(request, db) -> Actor:
    role = request.param
    authority, other_authority = make_org("authority"), make_org("authority")
    provider, other_provider = make_org("provider"), make_org("provider")
    other_user = make_user("member", org=other_authority)
    make_token(other_user, "theirs")
    own_org, other_org = authority, other_authority
    user = None
    if role == "admin":
        user = make_user("admin")
    elif role in ("coordinator", "member"):
        user = make_user(role, org=authority)
    elif role == "provider":
        user = make_user("provider", org=provider)
        own_org, other_org = provider, other_provider
    secret = make_token(user, "mine") if user else None
    db.session.commit()

    def token_of(owner):
        return db.session.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))

    return Actor(
        role=role,
        user=user,
        own_org=own_org,
        other_org=other_org,
        other_user=other_user,
        own_token=token_of(user) if user else None,
        other_token=token_of(other_user),
        secret=secret,
    )


def resolve(path: str, actor: Actor, target: str) -> str:
    own = target == "own"
    user = actor.user if own and actor.user else actor.other_user
    token = actor.own_token if own and actor.own_token else actor.other_token
    return path.format(
        org=(actor.own_org if own else actor.other_org).id,
        user=user.id,
        token=token.id,
        recognition=999999,  # none: the admin reaches it and finds nothing
    )


def snapshot(db) -> tuple:
    """Everything a refused request must leave as it was."""
    return (
        db.session.scalar(select(func.count(Organisation.id))),
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(AuditEvent.id))),
        tuple(db.session.scalars(select(Organisation.email).order_by(Organisation.id))),
        tuple(db.session.scalars(select(User.email).order_by(User.id))),
        tuple(db.session.scalars(select(User.active).order_by(User.id))),
        db.session.scalar(select(func.count(ApiToken.id)).where(ApiToken.revoked_at.is_(None))),
    )


# --- API -----------------------------------------------------------------------------------------

A, ANY = "anonymous", "*"


def everyone(status: int, anonymous: int = 401) -> dict:
    return {ANY: status, A: anonymous}


def admin_only(admin: int, others: int = 403) -> dict:
    return {"admin": admin, ANY: others, A: 401}


def by_target(own: dict, other: dict) -> dict:
    return {"own": own, "other": other}


NEW_ORG = {"name": "Nieuwe gemeente", "kind": "authority", "enterprise_number": "0207446673"}
NEW_USER = {"email": "brand.new@example.org", "role": "admin"}

API_CASES = {
    "GET /organisations": (None, everyone(200)),
    "POST /organisations": (NEW_ORG, admin_only(201)),
    "GET /organisations/{org}": (
        None,
        by_target(everyone(200), {"admin": 200, ANY: 404, A: 401}),
    ),
    "PATCH /organisations/{org}": (
        {"email": "changed@example.org"},
        by_target(admin_only(200), admin_only(200, 404)),
    ),
    "GET /organisations/{org}/recognitions": (
        None,
        by_target(everyone(200), {"admin": 200, ANY: 404, A: 401}),
    ),
    # Authorities have no recognitions: the admin's answer is 400, nothing written.
    "POST /organisations/{org}/recognitions": (
        {"status": "lde", "number": "LDE-1", "valid_from": "2024-01-01"},
        by_target(admin_only(400), {"admin": 400, ANY: 404, A: 401}),
    ),
    "PATCH /organisations/{org}/recognitions/{recognition}": (
        {"number": "LDE-2"},
        by_target(admin_only(404), {"admin": 404, ANY: 404, A: 401}),
    ),
    # No such successor: the admin's answer is 400, nothing written.
    "POST /organisations/{org}/succession": (
        {"successor_id": 999999, "effective_date": "2025-01-01"},
        by_target(admin_only(400), {"admin": 400, ANY: 404, A: 401}),
    ),
    "GET /users": (None, admin_only(200)),
    "POST /users": (NEW_USER, admin_only(201)),
    "GET /users/{user}": (None, admin_only(200)),
    "PATCH /users/{user}": ({"email": "changed@example.org"}, admin_only(200)),
    "GET /tokens": (None, everyone(200)),
    "POST /tokens": ({"name": "new"}, everyone(201)),
    "DELETE /tokens/{token}": (None, by_target(everyone(204), everyone(404))),
    "GET /openapi.json": (None, everyone(200, anonymous=200)),
}


def expected_status(table: dict, role: str, target: str) -> int:
    if "own" in table:
        table = table[target]
    return table.get(role, table[ANY])


def with_targets(cases: dict) -> list:
    """Each case once per target: own and other where the path names an object."""
    return [
        pytest.param(case, target, id=f"{case}-{target}" if "{" in case else case)
        for case in cases
        for target in (TARGETS if "{" in case else ["own"])
    ]


@pytest.mark.parametrize(("case", "target"), with_targets(API_CASES))
@pytest.mark.parametrize("actor", ROLES, indirect=True)
def test_api_authorisation(client, db, actor, case, target):
    method, path = case.split(" ", 1)
    body, table = API_CASES[case]
    expected = expected_status(table, actor.role, target)
    headers = {"Authorization": f"Bearer {actor.secret}"} if actor.secret else {}
    before = snapshot(db)
    response = client.open(
        "/api/v1" + resolve(path, actor, target), method=method, json=body, headers=headers
    )
    assert response.status_code == expected, response.get_data(as_text=True)[:300]
    if expected >= 400:
        assert set(response.json["error"]) >= {"code", "message"}
        assert snapshot(db) == before


@pytest.mark.parametrize("actor", ROLES[:-1], indirect=True)
def test_api_lists_hold_only_what_is_in_reach(client, db, actor):
    headers = {"Authorization": f"Bearer {actor.secret}"}
    orgs = {o["id"] for o in client.get("/api/v1/organisations?per_page=500", headers=headers).json}
    assert actor.own_org.id in orgs or actor.role == "admin"
    if actor.role == "admin":
        assert {actor.own_org.id, actor.other_org.id} <= orgs
    else:
        assert orgs == {actor.own_org.id}
    tokens = client.get("/api/v1/tokens", headers=headers).json
    assert [t["id"] for t in tokens] == [actor.own_token.id]


# --- HTML ----------------------------------------------------------------------------------------

LOGIN = "login"  # a redirect to the sign-in page


def signed_in(status, anonymous=LOGIN) -> dict:
    return {ANY: status, A: anonymous}


def admin_page(admin=200) -> dict:
    return {"admin": admin, ANY: 403, A: LOGIN}


ORG_FORM = {**NEW_ORG, "nis_code": "", "email": ""}
USER_FORM = {"email": "brand.new@example.org", "role": "admin", "organisation_id": "0"}

HTML_CASES = {
    "GET /": (None, signed_in(200)),
    "GET /login": (None, {ANY: 302, A: 200}),
    "POST /login": ({"email": "nobody@example.org", "password": "wrong"}, {ANY: 302, A: 401}),
    "POST /logout": ({}, {ANY: 302, A: 302}),
    "GET /password/forgot": (None, {ANY: 200, A: 200}),
    "POST /password/forgot": ({"email": "nobody@example.org"}, {ANY: 302, A: 302}),
    # Not a reset token: the page sends the visitor to ask for a new link.
    "GET /password/reset/{token}": (None, {ANY: 302, A: 302}),
    "POST /password/reset/{token}": (
        {"password": "a-new-password", "confirm": "a-new-password"},
        {ANY: 302, A: 302},
    ),
    "GET /password": (None, signed_in(200)),
    "POST /password": (
        {"current_password": "wrong", "password": "a-new-password", "confirm": "a-new-password"},
        signed_in(400),
    ),
    "GET /tokens": (None, signed_in(200)),
    "POST /tokens": ({"name": "from the page"}, signed_in(200)),
    "GET /tokens/{token}/revoke": (None, by_target(signed_in(200), signed_in(404))),
    "POST /tokens/{token}/revoke": ({}, by_target(signed_in(302), signed_in(404))),
    "GET /admin/users": (None, admin_page()),
    "GET /admin/users/new": (None, admin_page()),
    "POST /admin/users/new": (USER_FORM, admin_page(302)),
    "GET /admin/users/{user}": (None, admin_page()),
    # The form without `active` deactivates: refused for oneself.
    "POST /admin/users/{user}": (
        {**USER_FORM, "email": "changed@example.org"},
        by_target(admin_page(400), admin_page(302)),
    ),
    "GET /admin/users/{user}/deactivate": (None, admin_page()),
    "POST /admin/users/{user}/deactivate": ({}, by_target(admin_page(400), admin_page(302))),
    "GET /admin/users/{user}/two-factor/reset": (None, admin_page()),
    # Nobody resets their own second factor.
    "POST /admin/users/{user}/two-factor/reset": ({}, by_target(admin_page(400), admin_page(302))),
    "GET /admin/audit": (None, admin_page()),
    "GET /admin/organisations": (None, admin_page()),
    "GET /admin/organisations/new": (None, admin_page()),
    "POST /admin/organisations/new": (ORG_FORM, admin_page(302)),
    "GET /admin/organisations/{org}": (None, admin_page()),
    "POST /admin/organisations/{org}": ({"email": "changed@example.org"}, admin_page(302)),
    "GET /admin/organisations/{org}/recognitions": (None, admin_page()),
    # The recognition is another organisation's (none): the admin finds nothing.
    "GET /admin/organisations/{org}/recognitions/{recognition}": (None, admin_page(404)),
    "POST /admin/organisations/{org}/recognitions/{recognition}": (
        {"number": "LDE-1"},
        admin_page(404),
    ),
    "GET /admin/organisations/{org}/succession": (None, admin_page()),
    "POST /admin/organisations/{org}/succession": (
        {"successor_id": "0", "effective_date": "2025-01-01"},
        admin_page(400),
    ),
    "POST /admin/organisations/{org}/recognitions": (
        {"status": "lde", "number": "LDE-1", "valid_from": "2024-01-01"},
        admin_page(400),
    ),
    # The second sign-in step answers only in the half-signed-in state; otherwise back to sign in.
    "GET /login/code": (None, {ANY: 302, A: 302}),
    "POST /login/code": ({"code": "123456"}, {ANY: 302, A: 302}),
    "GET /login/enrol": (None, {ANY: 302, A: 302}),
    "POST /login/enrol": ({"code": "123456"}, {ANY: 302, A: 302}),
    "GET /account/two-factor": (None, {"admin": 200, "coordinator": 200, ANY: 404, A: LOGIN}),
    "POST /account/two-factor": (
        {"code": "not a code"},
        {"admin": 400, "coordinator": 400, ANY: 404, A: LOGIN},
    ),
    "POST /language": ({"lang": "en"}, {ANY: 302, A: 302}),
    "GET /accessibility": (None, {ANY: 200, A: 200}),
    "GET /toegankelijkheid": (None, {ANY: 200, A: 200}),
    # The service worker is a script; what it caches is what each user may already see.
    "GET /sw.js": (None, {ANY: 200, A: 200}),
    # For load balancers: no sign-in, and nothing but the health of the database.
    "GET /healthz": (None, {ANY: 200, A: 200}),
    "GET /favicon.ico": (None, {ANY: 200, A: 200}),
}


@pytest.mark.parametrize(("case", "target"), with_targets(HTML_CASES))
@pytest.mark.parametrize("actor", ROLES, indirect=True)
def test_page_authorisation(client, db, login_as, actor, case, target):
    method, path = case.split(" ", 1)
    data, table = HTML_CASES[case]
    if actor.user is not None:
        login_as(actor.user, PASSWORD)  # admins and coordinators with their second factor
    expected = expected_status(table, actor.role, target)
    before = snapshot(db)
    url = resolve(path, actor, target)
    if method == "POST":
        response = client.post(url, data={**data, **_csrf(client)})
    else:
        response = client.get(url)
    if expected == LOGIN:
        assert response.status_code == 302
        assert re.match(r"^/login(\?next=|$)", response.headers["Location"])
        assert snapshot(db) == before
        return
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if expected in (403, 404):
        assert snapshot(db) == before


def _csrf(client) -> dict:
    return {"csrf_token": csrf_token(client)}


# --- every route is in the tables above -------------------------------------------------------


FOUNDATION_BLUEPRINTS = {"pages", "accounts", "organisations"}
FOUNDATION_API_TAGS = {"organisations", "users", "tokens"}


def _normalise(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", "{x}", rule)


def test_every_foundation_route_has_an_authorisation_case(app, client):
    covered = {
        (c.split(" ")[0], _normalise(re.sub(r"{\w+}", "<x>", c.split(" ", 1)[1])))
        for c in HTML_CASES
    }
    covered |= {
        (c.split(" ")[0], _normalise("/api/v1" + re.sub(r"{\w+}", "<x>", c.split(" ", 1)[1])))
        for c in API_CASES
    }
    document = client.get("/api/v1/openapi.json").json
    foundation_api = {
        f"api.{operation['operationId']}"  # an operation's id is its endpoint
        for operations in document["paths"].values()
        for operation in operations.values()
        if set(operation["tags"]) & FOUNDATION_API_TAGS
    } | {"api.openapi"}
    assert len(foundation_api) == 16  # 15 operations tagged organisations, users, tokens
    missing = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if blueprint not in FOUNDATION_BLUEPRINTS and rule.endpoint not in foundation_api:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (method, _normalise(rule.rule)) not in covered:
                missing.append(f"{method} {rule.rule}")
    assert missing == []

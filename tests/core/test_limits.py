"""Rate limits (SPEC 7.7): per client address on sign-in (failures), password reset and API calls
without a user; per token on the authenticated API; 429 with Retry-After, in the API's error
format or as a Dutch page. The suite runs with the limits high; these tests set them low."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from central import PROJECT_ROOT
from central.extensions import limiter
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_token, make_user


@pytest.fixture
def limits(app, monkeypatch):
    """Set limits for this test (Flask-Limiter reads them at each request); fresh counts."""

    def set_limits(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setitem(app.config, f"RATELIMIT_{name}", value)

    limiter.reset()
    yield set_limits
    limiter.reset()


def post_login(client, email: str, password: str, address: str = "198.51.100.7"):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": address},
    )


def test_sign_in_failures_are_limited_per_client_address(client, db, limits):
    """Spraying many accounts from one address is slowed; successes do not count, another
    address is not affected."""
    limits(SIGN_IN="3 per minute")
    user = make_user("member")
    db.session.commit()
    for n in range(3):
        assert post_login(client, f"guess{n}@example.org", "wrong password").status_code == 401
    refused = post_login(client, "guess9@example.org", "wrong password")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    html = refused.get_data(as_text=True)
    assert "Te veel aanvragen" in html and "seconden" in html
    assert post_login(client, user.email, "wrong password", "198.51.100.8").status_code == 401


def test_successful_sign_ins_do_not_use_up_the_address_limit(app, db, limits):
    """Crews behind one carrier address sign in at the start of a shift."""
    limits(SIGN_IN="2 per minute")
    users = [make_user("member") for _ in range(4)]
    db.session.commit()
    for user in users:
        client = app.test_client()
        assert post_login(client, user.email, PASSWORD).status_code == 302


def test_password_reset_is_limited_per_client_address(client, limits):
    limits(PASSWORD_RESET="2 per minute")

    def forgot():
        return client.post(
            "/password/forgot",
            data={"email": "someone@example.org", "csrf_token": csrf_token(client)},
            environ_base={"REMOTE_ADDR": "198.51.100.9"},
        )

    assert [forgot().status_code for _ in range(2)] == [302, 302]
    refused = forgot()
    assert refused.status_code == 429 and "Retry-After" in refused.headers


def test_unauthenticated_api_calls_are_limited_per_address_wrong_tokens_included(client, limits):
    limits(API_ANONYMOUS="3 per minute")
    address = {"REMOTE_ADDR": "198.51.100.10"}
    answers = [
        client.get("/api/v1/rounds", environ_base=address).status_code,
        client.get(
            "/api/v1/rounds", headers={"Authorization": "Bearer guess-1"}, environ_base=address
        ).status_code,
        client.get(
            "/api/v1/rounds", headers={"Authorization": "Bearer guess-2"}, environ_base=address
        ).status_code,
    ]
    assert answers == [401, 401, 401]
    refused = client.get(
        "/api/v1/rounds", headers={"Authorization": "Bearer guess-3"}, environ_base=address
    )
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) > 0


def test_the_authenticated_api_is_limited_per_token_not_per_address(client, db, limits):
    """Crews share carrier addresses: one crew's token using up its limit leaves another's."""
    limits(API="3 per minute", API_ANONYMOUS="1 per minute")
    first, second = make_token(make_user("provider")), make_token(make_user("provider"))
    db.session.commit()
    address = {"REMOTE_ADDR": "198.51.100.11"}

    def call(secret):
        return client.get(
            "/api/v1/rounds", headers={"Authorization": f"Bearer {secret}"}, environ_base=address
        )

    assert [call(first).status_code for _ in range(3)] == [200, 200, 200]
    refused = call(first)
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "too_many_requests"
    assert [call(second).status_code for _ in range(3)] == [200, 200, 200]


SCRIPT = """
import json, sys
from central import create_app

settings = json.loads(sys.argv[1])
app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", **settings)
client = app.test_client()
statuses = []
for forwarded in ["203.0.113.5"] * 3 + ["203.0.113.6"]:
    response = client.get(
        "/api/v1/rounds",
        headers={"X-Forwarded-For": forwarded},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    statuses.append(response.status_code)
print(json.dumps(statuses))
"""


def run_app(**settings) -> list[int]:
    """Unauthenticated API calls in an app of its own (a fresh process: its own limiter)."""
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    env.pop("TEST_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(settings)],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_client_address_behind_a_trusted_proxy_is_the_forwarded_one():
    """With TRUSTED_PROXIES the limit counts per forwarded client; without, a forged
    X-Forwarded-For changes nothing (all four calls come from the proxy's address)."""
    behind = run_app(TRUSTED_PROXIES=1, RATELIMIT_API_ANONYMOUS="2 per minute")
    assert behind == [401, 401, 429, 401]
    direct = run_app(TRUSTED_PROXIES=0, RATELIMIT_API_ANONYMOUS="2 per minute")
    assert direct == [401, 401, 429, 429]


def test_the_limits_are_kept_in_redis_when_configured():
    """RATELIMIT_STORAGE_URI=redis://...: the counts live in Redis (shared by every web host)."""
    redis = pytest.importorskip("redis")
    server = redis.Redis(host="127.0.0.1", port=6379, db=0)
    # One prefix per run: the suites of SQLite and PostgreSQL may run at once on one Redis.
    prefix = f"central-sec11b-test-{os.getpid()}"
    try:
        for key in server.scan_iter(f"*{prefix}*"):
            server.delete(key)
        statuses = run_app(
            TRUSTED_PROXIES=1,
            RATELIMIT_API_ANONYMOUS="2 per minute",
            RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
            RATELIMIT_KEY_PREFIX=prefix,
        )
        assert statuses == [401, 401, 429, 401]
        assert list(server.scan_iter(f"*{prefix}*"))
    finally:
        for key in server.scan_iter(f"*{prefix}*"):
            server.delete(key)

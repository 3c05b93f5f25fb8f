"""Rate limits (SPEC 7.7), on top of the per-account slow-down of sign-in: sign-in, password
reset and API calls without a user are limited per client address (spraying many accounts from
one place is slowed too); the authenticated API per token (or signed-in user), generously, since
crews share carrier addresses and one token may serve a whole office. The limits are settings
(RATELIMIT_*, Flask-Limiter's syntax), kept in RATELIMIT_STORAGE_URI (memory on one host, Redis
for several). A refused request answers 429 with Retry-After.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import Flask, current_app
from flask_login import current_user

from central.extensions import limiter


def _setting(name: str) -> Callable[[], str]:
    """A limit read from the app's settings at each request (tests and deployments change it)."""
    return lambda: current_app.config[name]


# Sign-in counts the failed attempts only: crews behind one carrier address signing in at the
# start of a shift are not refused, a spray of guesses from one place is.
sign_in_limit = limiter.limit(
    _setting("RATELIMIT_SIGN_IN"),
    methods=["POST"],
    deduct_when=lambda response: response.status_code >= 400,
)
password_reset_limit = limiter.limit(_setting("RATELIMIT_PASSWORD_RESET"), methods=["POST"])


def api_caller() -> str | None:
    """Who an API call is from: its valid token, or the signed-in user of a browser session;
    None for a call without a user (a wrong token included: it counts against its address)."""
    from flask import request

    from central.core.api import bearer_token

    if request.headers.get("Authorization"):
        token = bearer_token()
        return f"token:{token.id}" if token is not None else None
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return None


def register(app: Flask) -> None:
    """Bind the limiter and limit the API blueprint (once per process: the limits live on the
    blueprint, the storage and settings on each app)."""
    from central.core.api import api

    limiter.init_app(app)
    if not getattr(api, "_rate_limited", False):
        limiter.limit(
            _setting("RATELIMIT_API"),
            key_func=lambda: api_caller() or "",
            exempt_when=lambda: api_caller() is None,
        )(api)
        limiter.limit(
            _setting("RATELIMIT_API_ANONYMOUS"),
            exempt_when=lambda: api_caller() is not None,
        )(api)
        api._rate_limited = True


def retry_after() -> int:
    """Seconds until the limit this request broke lets a request through again."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))

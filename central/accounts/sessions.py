"""Browser sign-in sessions kept on the server: signing out ends the session for every copy of its
cookie, an idle session ends after SESSION_IDLE_HOURS without a request, and any session after
SESSION_MAX_HOURS from its sign-in (OWASP ASVS 3.3). A password change, a reset, deactivation or a
new role end all of a user's sessions at once through the user's session version."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, session
from sqlalchemy import delete, or_, select, update

from central.accounts.models import User, UserSession
from central.core import audit
from central.core.types import utcnow
from central.extensions import db

# Keys of the signed session cookie: the session's random key, and when it last saw a request.
KEY = "session_key"
SEEN = "session_seen"
# The last-seen time is written back to the cookie at most this often (seconds), not on every
# request.
SEEN_RESOLUTION = 60


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def idle_timeout() -> timedelta:
    return timedelta(hours=float(current_app.config["SESSION_IDLE_HOURS"]))


def max_lifetime() -> timedelta:
    return timedelta(hours=float(current_app.config["SESSION_MAX_HOURS"]))


def start(user: User) -> None:
    """A new server-side session for a user who just signed in (after every step); the cookie gets
    a new key, so that a key from before the sign-in is worth nothing. The user's ended and
    expired sessions are cleared at the same time."""
    now = utcnow()
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            or_(UserSession.ended_at.is_not(None), UserSession.created_at < now - max_lifetime()),
        )
    )
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, key_hash=_hash(key), created_at=now))
    db.session.flush()
    session[KEY] = key
    session[SEEN] = int(now.timestamp())


def end(user: User | None) -> None:
    """Sign-out: the cookie's session ends on the server; a copy of the cookie is signed out."""
    key = session.pop(KEY, None)
    session.pop(SEEN, None)
    if not key:
        return
    ended = db.session.execute(
        update(UserSession)
        .where(UserSession.key_hash == _hash(key), UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if ended and user is not None:
        audit.record("user.signed_out", user, actor=user)


def is_current(user: User) -> bool:
    """Whether the request's cookie holds a live session of `user`: started by a sign-in, not
    ended, not idle too long, within its lifetime. Refreshes the cookie's last-seen time."""
    key, seen = session.get(KEY), session.get(SEEN)
    if not isinstance(key, str) or not isinstance(seen, int):
        return False
    now = utcnow()
    if now.timestamp() - seen > idle_timeout().total_seconds():
        return False
    found = db.session.execute(
        select(UserSession.user_id, UserSession.created_at, UserSession.ended_at).where(
            UserSession.key_hash == _hash(key)
        )
    ).first()
    if found is None or found.user_id != user.id or found.ended_at is not None:
        return False
    if now - found.created_at > max_lifetime():
        return False
    if now.timestamp() - seen >= SEEN_RESOLUTION:
        session[SEEN] = int(now.timestamp())
    return True

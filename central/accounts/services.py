"""Account rules: creating and changing users, sign-in with a slow-down, resets and API tokens."""

from __future__ import annotations

import functools
import math
import secrets
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from central.accounts import sessions
from central.accounts.models import ApiToken, Role, User
from central.core import audit
from central.core.errors import N_, NotFound, ValidationError
from central.core.security import hash_token, register_api_token_lookup
from central.core.types import utcnow
from central.extensions import db
from central.organisations.models import Organisation, OrganisationKind

MIN_PASSWORD_LENGTH = 10
# Roles and the kind of organisation they work for.
ROLE_ORGANISATION_KIND = {
    Role.COORDINATOR: OrganisationKind.AUTHORITY,
    Role.MEMBER: OrganisationKind.AUTHORITY,
    Role.PROVIDER: OrganisationKind.PROVIDER,
}
BASE_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 15 * 60


@register_api_token_lookup
def api_token_by_hash(token_hash: str) -> ApiToken | None:
    """The API token stored under `token_hash` (core's `find_api_token` asks here)."""
    return db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


def normalise_email(raw: str) -> str:
    try:
        return validate_email(raw or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationError(
            N_("Enter a valid e-mail address."),
            fields={"email": N_("Not a valid e-mail address.")},
        ) from None


def _hash_method() -> str | None:
    return current_app.config.get("PASSWORD_HASH_METHOD")


def hash_password(password: str) -> str:
    method = _hash_method()
    return generate_password_hash(password, method) if method else generate_password_hash(password)


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            N_("A password has at least 10 characters."),
            fields={"password": N_("At least 10 characters.")},
        )


def _check_role_and_organisation(role: str, organisation: Organisation | None) -> None:
    if role not in set(Role):
        raise ValidationError(N_("Unknown role."), fields={"role": N_("Unknown role.")})
    if role == Role.ADMIN:
        return
    if organisation is None:
        raise ValidationError(
            N_("Choose the organisation this user works for."),
            fields={"organisation_id": N_("Required for this role.")},
        )
    if role == Role.VIEWER:
        if not organisation.is_viewer_organisation:
            raise ValidationError(
                N_("A viewer works for a fire zone or a water company."),
                fields={"organisation_id": N_("Choose a fire zone or a water company.")},
            )
        return
    if organisation.kind != ROLE_ORGANISATION_KIND[Role(role)]:
        if role == Role.PROVIDER:
            message = N_("A provider works for an organisation of kind provider.")
            field = N_("Choose a provider.")
        else:
            message = N_("A coordinator or member works for an organisation of kind authority.")
            field = N_("Choose an authority.")
        raise ValidationError(message, fields={"organisation_id": field})


def _organisation(organisation_id: int | None) -> Organisation | None:
    if organisation_id is None:
        return None
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise ValidationError(
            N_("That organisation does not exist."),
            fields={"organisation_id": N_("Unknown organisation.")},
        )
    from central.organisations.succession import require_active

    require_active(org)  # SPEC 7.2: a merged municipality's users work for its successor
    return org


class _Errors:
    """The errors of an account's rules, kept so that all of them are said at once (§7.6)."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.first: list[str] = []

    def check(self, rule: Any, *args: Any) -> Any:
        """The rule's result, or None when it failed (its errors kept)."""
        try:
            return rule(*args)
        except ValidationError as exc:
            self.first.append(exc.message)
            for name, messages in exc.fields.items():
                self.fields.setdefault(name, []).extend(messages)
            return None

    def raise_any(self) -> None:
        if self.first:
            raise ValidationError(self.first[0], fields=self.fields)


def _taken() -> None:
    raise ValidationError(
        N_("An account with this e-mail address already exists."),
        fields={"email": N_("Another account uses this e-mail address.")},
    )


def _email_taken(email: str, exclude_id: int | None = None) -> bool:
    stmt = select(User.id).where(User.email == email)
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    return db.session.scalar(stmt) is not None


def create_user(
    *,
    email: str,
    role: str,
    organisation_id: int | None = None,
    password: str | None = None,
    active: bool = True,
    actor: User | None = None,
) -> tuple[User, str | None]:
    """Create an account; a generated password is returned when none is given."""
    errors = _Errors()
    email = errors.check(normalise_email, email)
    if email is not None and _email_taken(email):
        errors.check(_taken)
    organisation = errors.check(_organisation, organisation_id)
    if "organisation_id" not in errors.fields:
        errors.check(_check_role_and_organisation, role, organisation)
    generated = None
    if password is None:
        password = generated = secrets.token_urlsafe(12)
    errors.check(check_password_rules, password)
    errors.raise_any()
    user = User(
        email=email,
        role=role,
        organisation=organisation,
        organisation_id=organisation.id if organisation else None,
        password_hash=hash_password(password),
        active=active,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", user, actor=actor, email=email, role=role)
    return user, generated


def update_user(user: User, changes: dict[str, Any], *, actor: User | None) -> User:
    """Change an account's e-mail, role, organisation, password or active flag."""
    errors = _Errors()
    email = user.email
    if "email" in changes:
        email = errors.check(normalise_email, changes["email"])
        if email is not None and _email_taken(email, exclude_id=user.id):
            errors.check(_taken)
    role = changes.get("role", user.role)
    org_id = changes.get("organisation_id", user.organisation_id)
    organisation = errors.check(_organisation, org_id)
    if "organisation_id" not in errors.fields:
        errors.check(_check_role_and_organisation, role, organisation)
    if changes.get("password"):
        errors.check(check_password_rules, changes["password"])
    errors.raise_any()
    user.email = email
    if role != user.role:
        # Open sessions were signed in under the old role's rules (e.g. without a second factor).
        user.session_version += 1
    user.role, user.organisation_id, user.organisation = role, org_id, organisation
    if changes.get("password"):
        user.password_hash = hash_password(changes["password"])
        user.session_version += 1
        revoke_all_tokens(user, actor=actor)
    if "active" in changes and changes["active"] != user.active:
        if not changes["active"] and actor is not None and actor.id == user.id:
            raise ValidationError(N_("You cannot deactivate your own account."))
        user.active = changes["active"]
        # A deactivated user's sessions stop at once (tokens check `active` on every request).
        user.session_version += 1
        audit.record("user.activated" if user.active else "user.deactivated", user, actor=actor)
    db.session.flush()
    audit.record(
        "user.updated",
        user,
        actor=actor,
        fields=sorted(k for k in changes if k != "password")
        + (["password"] if "password" in changes else []),
    )
    return user


def load_user_from_session(user_id: str) -> User | None:
    """Flask-Login's loader, on every request: a cookie holds `id:session_version` and the key of
    a server-side session; a stale version, an inactive user or an ended, idle or expired
    session signs the visitor out."""
    raw_id, _, version = user_id.partition(":")
    if not raw_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    if not sessions.is_current(user):
        return None
    return user


class SignInDelayed(Exception):
    """Too many failed sign-ins in a row: the account is slowed down until `until`."""

    def __init__(self, until: datetime):
        super().__init__("sign-in delayed")
        self.until = until

    @property
    def seconds_left(self) -> int:
        return max(1, math.ceil((self.until - utcnow()).total_seconds()))


def _delay_for(failures: int) -> timedelta:
    threshold = current_app.config["LOGIN_FAILURES_BEFORE_DELAY"]
    if failures < threshold:
        return timedelta(0)
    return timedelta(
        seconds=min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** (failures - threshold))
    )


def check_not_delayed(user: User) -> None:
    """Refuse any sign-in step while the account is slowed down. Raises SignInDelayed."""
    if user.locked_until is not None and user.locked_until > utcnow():
        raise SignInDelayed(user.locked_until)


def record_failed_sign_in(user: User) -> None:
    """Count a wrong password or a wrong second-factor code on the account (atomically, across
    workers); from the fifth in a row the account waits longer after each. Raises SignInDelayed
    once the account is slowed down. The caller commits also on failure: the count must outlive
    the failed request."""
    db.session.execute(
        update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
    )
    db.session.refresh(user)
    delay = _delay_for(user.failed_logins)
    if delay:
        user.locked_until = utcnow() + delay
        audit.record("user.sign_in_delayed", user, failures=user.failed_logins)
        raise SignInDelayed(user.locked_until)


@functools.cache
def _dummy_hash(method: str | None) -> str:
    """A hash made as real ones are (made once), to check an unknown address's password against."""
    return (
        generate_password_hash("timing-equaliser", method)
        if method
        else generate_password_hash("timing-equaliser")
    )


def authenticate(email: str, password: str) -> User | None:
    """Check a sign-in's password. Each failure is counted on the account; from the fifth in a
    row the account waits longer after each one, during which no password is accepted.

    Account existence leaks neither by answer nor by work: an unknown address, a wrong password
    and a slowed-down account all return None after checking one password hash.

    A user whose role needs a second factor is returned without being signed in: the failure count
    stays until the code is right too (`complete_sign_in`), so that a known password does not
    reset the count of wrong codes."""
    try:
        email = normalise_email(email)
    except ValidationError:
        email = None
    user = db.session.scalar(select(User).where(User.email == email)) if email else None
    if user is None:
        check_password_hash(_dummy_hash(_hash_method()), password or "")
        return None
    correct = check_password_hash(user.password_hash, password or "")
    try:
        check_not_delayed(user)
        if not correct:
            record_failed_sign_in(user)
            return None
    except SignInDelayed:
        return None
    if not user.active:
        return None
    if not user.two_factor_required:
        complete_sign_in(user)
    return user


def complete_sign_in(user: User, **details: Any) -> None:
    """Every sign-in step passed: the failure count starts again and the sign-in is recorded."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    audit.record("user.signed_in", user, actor=user, **details)


def change_password(user: User, current: str, new: str) -> int:
    """A new password ends the user's other sessions and revokes every API token (a token made
    by whoever knew the old password must not outlive it). Returns how many tokens were revoked."""
    if not check_password_hash(user.password_hash, current or ""):
        raise ValidationError(
            N_("Your current password is not correct."),
            fields={"current_password": N_("Your current password is not correct.")},
        )
    check_password_rules(new)
    user.password_hash = hash_password(new)
    user.session_version += 1
    audit.record("user.password_changed", user, actor=user)
    return revoke_all_tokens(user, actor=user)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def make_reset_token(user: User) -> str:
    # Binding the token to the current hash makes it single-use: a new password voids it.
    return _reset_serializer().dumps({"id": user.id, "h": user.password_hash[-16:]})


def user_for_reset_token(token: str) -> User | None:
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("id"))
    if user is None or not user.active or user.password_hash[-16:] != data.get("h"):
        return None
    return user


def reset_password(user: User, new: str) -> int:
    """A password chosen through a reset link: every session ends and every API token is revoked.
    Returns how many tokens were revoked."""
    check_password_rules(new)
    user.password_hash = hash_password(new)
    user.session_version += 1
    user.failed_logins = 0
    user.locked_until = None
    audit.record("user.password_reset", user, actor=user)
    return revoke_all_tokens(user, actor=user)


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal API token; the secret is returned once and only its hash is kept."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError(
            N_("Give the token a name of at most 100 characters."),
            fields={"name": N_("Between 1 and 100 characters.")},
        )
    secret = "ctl_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret), prefix=secret[:10])
    db.session.add(token)
    db.session.flush()
    audit.record("token.created", token, actor=user, name=name)
    return token, secret


def own_token(user: User, token_id: int) -> ApiToken:
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    if token is None:
        raise NotFound(N_("Not found."))
    return token


def revoke_token(token: ApiToken, *, actor: User) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("token.revoked", token, actor=actor)


def revoke_all_tokens(user: User, *, actor: User | None) -> int:
    """Revoke every token of the user that is still in force (on a new password); returns how
    many."""
    now = utcnow()
    revoked = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if revoked:
        audit.record("user.tokens_revoked", user, actor=actor, count=revoked)
    return revoked


def own_tokens_query(user: User):
    return (
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))

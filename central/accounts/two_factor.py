"""Two-factor sign-in (TOTP, RFC 6238) for the roles that need it, with one-time recovery codes.

A code is accepted once: the newest accepted time step is kept on the credential and moved forward
by one conditional UPDATE, so that two workers cannot both accept the same code. Recovery codes are
stored as password hashes and spent by a conditional UPDATE as well.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash

from central.accounts.models import RecoveryCode, TotpCredential, User
from central.accounts.services import (
    check_not_delayed,
    complete_sign_in,
    hash_password,
    record_failed_sign_in,
)
from central.core import audit
from central.core.errors import N_, Conflict, ValidationError
from central.core.types import utcnow
from central.extensions import db

ISSUER = "Central"
RECOVERY_CODE_COUNT = 10
# No 0/O, 1/I/L: a code copied from paper is read back without doubt (31 signs, ~59 bits a code).
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_GROUPS = 3
RECOVERY_GROUP_LENGTH = 4
# Codes of the previous and the next 30-second step are accepted too (clocks drift a little).
VALID_WINDOW = 1


def credential(user: User) -> TotpCredential | None:
    return db.session.get(TotpCredential, user.id)


def is_enrolled(user: User) -> bool:
    found = credential(user)
    return found is not None and found.confirmed_at is not None


def start_enrolment(user: User) -> TotpCredential:
    """A new secret for the user's app; it counts only once a first code confirms it."""
    found = credential(user)
    if found is not None and found.confirmed_at is not None:
        raise Conflict(N_("Two-factor sign-in is already set up for this account."))
    if found is None:
        found = TotpCredential(user_id=user.id, secret=pyotp.random_base32())
        db.session.add(found)
        db.session.flush()
    return found


def provisioning_uri(user: User, found: TotpCredential) -> str:
    return pyotp.TOTP(found.secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_data_uri(uri: str) -> str:
    """The otpauth:// URI as a QR code in SVG, drawn here (no outside service sees the secret)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _accept_totp(found: TotpCredential, code: str, now: datetime) -> bool:
    """True when `code` is the code of a step in the window that is newer than the last used one;
    that step becomes the last used one (a conditional UPDATE: once only, across workers)."""
    if len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(found.secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if found.last_used_step is not None and step <= found.last_used_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            moved = db.session.execute(
                update(TotpCredential)
                .where(
                    TotpCredential.user_id == found.user_id,
                    (TotpCredential.last_used_step.is_(None))
                    | (TotpCredential.last_used_step < step),
                )
                .values(last_used_step=step)
                .execution_options(synchronize_session=False)
            )
            db.session.refresh(found)
            return moved.rowcount == 1
    return False


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes by ten new ones; the plain codes are returned once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "-".join(
            "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_LENGTH))
            for _ in range(RECOVERY_GROUPS)
        )
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=hash_password(_normalise(code))) for code in codes
    )
    db.session.flush()
    return codes


def _spend_recovery_code(user: User, code: str, now: datetime) -> bool:
    if len(code) != RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH:
        return False
    unused = db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    for candidate in unused:
        if check_password_hash(candidate.code_hash, code):
            spent = db.session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == candidate.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            return spent.rowcount == 1
    return False


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def _wrong_code() -> ValidationError:
    return ValidationError(
        N_("That code is not correct, or it was used already."),
        fields={"code": N_("Not correct, or used already.")},
    )


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Confirm the new secret with a first code from the app: two-factor sign-in is on, the user
    is signed in and gets ten recovery codes (returned once). A wrong code counts as a failed
    sign-in. Raises SignInDelayed, ValidationError."""
    check_not_delayed(user)
    found = credential(user)
    if found is None or found.confirmed_at is not None:
        raise Conflict(N_("Start the set-up again: sign in once more."))
    now = utcnow()
    if not _accept_totp(found, _normalise(code), now):
        record_failed_sign_in(user)
        raise _wrong_code()
    found.confirmed_at = now
    codes = _new_recovery_codes(user)
    audit.record("user.two_factor_enrolled", user, actor=user)
    complete_sign_in(user, second_factor="totp")
    return codes


def verify_sign_in_code(user: User, code: str) -> str:
    """The second sign-in step: a code from the app, or else an unused recovery code (spent now).
    Returns how the user passed (`totp` or `recovery_code`); a wrong code counts as a failed
    sign-in. Raises SignInDelayed, ValidationError."""
    check_not_delayed(user)
    found = credential(user)
    if found is None or found.confirmed_at is None:
        raise Conflict(N_("Two-factor sign-in is not set up for this account."))
    now = utcnow()
    normalised = _normalise(code)
    if _accept_totp(found, normalised, now):
        method = "totp"
    elif _spend_recovery_code(user, normalised, now):
        method = "recovery_code"
        audit.record("user.recovery_code_used", user, actor=user, left=recovery_codes_left(user))
    else:
        record_failed_sign_in(user)
        raise _wrong_code()
    complete_sign_in(user, second_factor=method)
    return method


def renew_recovery_codes(user: User, code: str) -> list[str]:
    """Ten new recovery codes for a signed-in user who proves the app with a current code; the old
    ones stop working. A wrong code counts as a failed sign-in (a session in someone else's hands
    must not guess codes without limit). Raises SignInDelayed, ValidationError."""
    check_not_delayed(user)
    found = credential(user)
    if found is None or found.confirmed_at is None:
        raise Conflict(N_("Two-factor sign-in is not set up for this account."))
    if not _accept_totp(found, _normalise(code), utcnow()):
        record_failed_sign_in(user)
        raise _wrong_code()
    codes = _new_recovery_codes(user)
    audit.record("user.recovery_codes_renewed", user, actor=user)
    return codes


def reset_two_factor(user: User, *, actor: User) -> None:
    """The administrator removes a user's second factor (a lost phone): the secret and recovery
    codes go, open sessions end, and the next sign-in leads to a new set-up."""
    if actor.id == user.id:
        raise ValidationError(
            N_("You cannot reset your own two-factor sign-in; ask another administrator.")
        )
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    user.session_version += 1
    audit.record("user.two_factor_reset", user, actor=actor)
    db.session.flush()


def enrol_with_secret(user: User, secret: str) -> bool:
    """Set up two-factor sign-in with a known secret (the demo's printed one); idempotent: an
    account already set up keeps its own. Returns whether it was set up now."""
    if is_enrolled(user):
        return False
    found = credential(user)
    if found is None:
        found = TotpCredential(user_id=user.id, secret=secret)
        db.session.add(found)
    found.secret, found.confirmed_at, found.last_used_step = secret, utcnow(), None
    db.session.flush()
    audit.record("user.two_factor_enrolled", user, demo=True)
    return True


def enrolled_user_ids(user_ids: list[int]) -> set[int]:
    """Which of these users have two-factor sign-in set up (for the admin's list)."""
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            select(TotpCredential.user_id).where(
                TotpCredential.user_id.in_(user_ids), TotpCredential.confirmed_at.is_not(None)
            )
        )
    )

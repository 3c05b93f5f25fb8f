"""Public reports (SPEC 7.4): anyone with an asset's public link reports a problem (category,
text, optional photo, optional e-mail); it becomes a need with `source: public` for the member
to triage. The photo is checked and stripped as crews' photos are (never its location)."""

from __future__ import annotations

import uuid

from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from central.accounts.models import Role
from central.assets.models import (
    PUBLIC_REPORT_LENGTH,
    Asset,
    Need,
    NeedPriority,
    NeedSource,
    NeedStatus,
)
from central.core import audit, storage
from central.core.errors import N_, Conflict, NotFound, ValidationError
from central.core.mail import queue_mail
from central.extensions import db
from central.fieldwork.photos import process_image
from central.frameworks.notifications import recipients

# What a passer-by can tell about a hydrant, in words anyone understands.
CATEGORIES = {
    "damaged": _l("Damaged or broken"),
    "leaking": _l("Leaking water"),
    "blocked": _l("Blocked, covered or parked over"),
    "missing_sign": _l("Sign missing or unreadable"),
    "other": _l("Something else"),
}
MEMBER_ROLES = [Role.MEMBER, Role.COORDINATOR]


def asset_by_token(token: str) -> Asset:
    """The asset a public link names (active or retired), or NotFound; the token is compared
    by the database's unique index (it is 192 random bits: nothing to guess)."""
    if not token or len(token) > 64:
        raise NotFound(N_("Not found."))
    asset = db.session.scalar(select(Asset).where(Asset.public_token == token))
    if asset is None:
        raise NotFound(N_("Not found."))
    return asset


def _store_photo(data: bytes) -> str:
    """Check and strip the photo (as a crew's, without its location) and keep it in the file
    store; the file is removed again if the report's transaction rolls back."""
    photo = process_image(data, keep_location=False)
    key = f"public-reports/{uuid.uuid4().hex}.jpg"
    storage.store(db.session, key, photo.data, photo.content_type)
    return key


def report_problem(
    asset: Asset,
    *,
    category: str,
    text: str,
    email: str | None = None,
    photo: bytes | None = None,
) -> Need:
    """Record a public report on an asset as an open need with `source: public` (no user: the
    reporter is anonymous) and tell the member; a retired asset takes no reports."""
    if not asset.is_active:
        raise Conflict(N_("This asset is no longer in use."))
    errors: dict[str, str] = {}
    if category not in CATEGORIES:
        errors["category"] = N_("Choose what is wrong.")
    text = (text or "").strip()
    if not text:
        errors["text"] = N_("Describe the problem.")
    elif len(text) > PUBLIC_REPORT_LENGTH:
        errors["text"] = N_("At most 2000 characters.")
    address = None
    if email and email.strip():
        try:
            address = validate_email(email.strip(), check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = N_("Enter a valid e-mail address or leave it empty.")
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    with force_locale("nl"):
        label = str(CATEGORIES[category])
    need = Need(
        member_id=asset.member_id,
        asset_id=asset.id,
        description=f"{label}: {text}",
        source=NeedSource.PUBLIC,
        status=NeedStatus.OPEN,
        priority=NeedPriority.NORMAL,
        reporter_email=address,
        photo_key=_store_photo(photo) if photo else None,
    )
    db.session.add(need)
    db.session.flush()
    audit.record(
        "need.reported_publicly",
        need,
        actor=None,
        asset_id=asset.id,
        category=category,
        photo=need.photo_key is not None,
    )
    _tell_member(asset, need)
    return need


def _tell_member(asset: Asset, need: Need) -> None:
    for email, locale in recipients(asset.member_id, MEMBER_ROLES):
        with force_locale(locale):
            subject = _("Public report: %(place)s", place=f"{asset.code} · {asset.address}")
            body = _(
                "Someone reported a problem with %(place)s through its public link:\n\n"
                "%(description)s\n\nThe report (%(need)s) is in your list of needs to triage.",
                place=f"{asset.code} · {asset.address}",
                description=need.description,
                need=need.id,
            )
        queue_mail(email, subject, body)


def photo_response(need: Need):
    """A public report's photo, streamed from the file store (its caller checked the reach)."""
    if not need.photo_key:
        raise NotFound(N_("Not found."))
    try:
        response = storage.current_storage().response(need.photo_key, "image/jpeg")
    except (storage.FileMissing, ValueError):
        raise NotFound(N_("Not found.")) from None
    response.headers["Cache-Control"] = "private, no-store"
    return response

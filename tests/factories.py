"""Factories for test data: valid organisations and users with unique numbers and addresses."""

from __future__ import annotations

import itertools

from central.accounts.models import User
from central.accounts.services import create_user
from central.core.validators import kbo_with_check_digits
from central.extensions import db
from central.organisations.models import Organisation

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_org(kind: str = "authority", **values) -> Organisation:
    n = next(_seq)
    defaults = {
        "name": f"{'Gemeente' if kind == 'authority' else 'Provider'} {n}",
        "kind": kind,
        "enterprise_number": kbo_with_check_digits(f"{n:08d}".replace("0", "1", 1)),
        "social_economy_status": "none",
    }
    if kind == "authority":
        defaults["nis_code"] = f"{90000 + n:05d}"[-5:]
    defaults.update(values)
    org = Organisation(**defaults)
    db.session.add(org)
    db.session.flush()
    return org


def make_user(role: str = "member", org: Organisation | None = None, **values) -> User:
    if org is None and role != "admin":
        org = make_org("provider" if role == "provider" else "authority")
    n = next(_seq)
    user, _ = create_user(
        email=values.pop("email", f"{role}{n}@example.org"),
        role=role,
        organisation_id=org.id if org else None,
        password=values.pop("password", PASSWORD),
    )
    for key, value in values.items():
        setattr(user, key, value)
    db.session.flush()
    return user


def make_token(user: User, name: str = "test") -> str:
    """A personal API token for `user`; returns the secret to send as `Authorization: Bearer`."""
    from central.accounts.services import create_token

    _token, secret = create_token(user, name)
    return secret

"""Reach: the one place that decides what each user may see and do (SPEC section 1).

Queries are scoped here, so that a view cannot forget the tenant filter. An object outside a
user's reach is reported as absent (404); a visible target whose action is not the user's is 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Select, false, select

from central.core.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from central.accounts.models import User

M = TypeVar("M")


def require_role(user: User, *roles: str) -> None:
    """Refuse (403) an action reserved to other roles."""
    if not user.is_authenticated or user.role not in roles:
        raise Forbidden("This action is not available to your role.")


def visible_organisations(user: User) -> Select:
    """Organisations a user may read: all for an admin, otherwise its own."""
    from central.organisations.models import Organisation

    stmt = select(Organisation)
    if user.role == "admin":
        return stmt
    if user.organisation_id is None:
        return stmt.where(false())
    return stmt.where(Organisation.id == user.organisation_id)


def visible_users(user: User) -> Select:
    """User accounts a user may read: all for an admin, only itself otherwise."""
    from central.accounts.models import User as UserModel

    stmt = select(UserModel)
    return stmt if user.role == "admin" else stmt.where(UserModel.id == user.id)


def get_visible(stmt: Select, model: type[M], object_id: Any) -> M:
    """Load one object from a reach-scoped query, or raise NotFound."""
    from central.extensions import db

    obj = db.session.scalar(stmt.where(model.id == object_id))  # type: ignore[attr-defined]
    if obj is None:
        raise NotFound("Not found.")
    return obj


# Actions offered in the UI, and the roles they belong to; the services enforce the same.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "manage_organisations": frozenset({"admin"}),
    "manage_users": frozenset({"admin"}),
}


def can(action: str, user: User | None = None) -> bool:
    """Whether the user (default: the signed-in one) may take an action, for menus and buttons."""
    if user is None:
        from flask_login import current_user

        user = current_user
    return bool(user.is_authenticated and user.role in ROLE_ACTIONS.get(action, ()))

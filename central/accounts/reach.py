"""Reach of the accounts domain (SPEC section 1): the user accounts a user may read.

Each scope function registered with `@reach(Model)` is the one `core.permissions.visible(user,
Model)` and `get_visible_for(user, Model, id)` dispatch to."""

from __future__ import annotations

from sqlalchemy import Select, select

from central.accounts.models import User
from central.core.permissions import reach
from central.core.roles import Role


@reach(User)
def visible_users(user: User) -> Select:
    """User accounts a user may read: all for an admin, only itself otherwise."""
    stmt = select(User)
    return stmt if user.role == Role.ADMIN else stmt.where(User.id == user.id)

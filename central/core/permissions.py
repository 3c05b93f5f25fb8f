"""Reach: the one place that decides what each user may see and do (SPEC section 1).

Queries are scoped here, so that a view cannot forget the tenant filter. An object outside a
user's reach is reported as absent (404); a visible target whose action is not the user's is 403.

Core knows no domain: each domain declares, in its `reach.py`, the scope function of each of its
models with `@reach(Model)` (a function of the user returning a `select(Model)` limited to what the
user may read). `visible(user, Model)` and `get_visible_for(user, Model, id)` dispatch through
that registry; the app fills it when it is created (`central.create_app` imports every domain's
`reach` module). Scope functions that are not a model's whole reach (e.g. `plan_awards`,
`labour_rounds`) are imported from their domain by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Select

from central.core.errors import N_, Forbidden, NotFound
from central.core.roles import Role
from central.extensions import db

if TYPE_CHECKING:
    from central.accounts.models import User

M = TypeVar("M")
Scope = Callable[[Any], Select]

# Model class -> the scope function its domain registered with @reach(Model).
_SCOPES: dict[type, Scope] = {}


def reach(model: type) -> Callable[[Scope], Scope]:
    """Declare `scope(user)` as the reach of `model`: the `select(model)` of the rows `user` may
    read. One scope per model; declaring a second one for the same model is a programming error
    (the same function declared again, as when its module is imported twice, is not)."""

    def register(scope: Scope) -> Scope:
        known = _SCOPES.get(model)
        if known is not None and _name(known) != _name(scope):
            raise RuntimeError(f"{model.__name__} already has a reach ({_name(known)})")
        _SCOPES[model] = scope
        return scope

    return register


def _name(scope: Scope) -> str:
    return f"{scope.__module__}.{scope.__qualname__}"


def visible(user: Any, model: type[M]) -> Select:
    """The query of the `model` rows `user` may read, from the scope its domain registered."""
    try:
        scope = _SCOPES[model]
    except KeyError:
        raise LookupError(
            f"No reach is registered for {model.__name__}: its domain declares one with"
            f" @reach({model.__name__}) in its reach.py, which create_app imports"
        ) from None
    return scope(user)


def get_visible_for(user: Any, model: type[M], object_id: Any) -> M:
    """Load one `model` by id from the rows `user` may read, or raise NotFound (404)."""
    return get_visible(visible(user, model), model, object_id)


def require_role(user: User, *roles: str) -> None:
    """Refuse (403) an action reserved to other roles."""
    if not user.is_authenticated or user.role not in roles:
        raise Forbidden(N_("This action is not available to your role."))


def require_own_authority(user: User, member_id: int) -> None:
    """Refuse (403) a change to a visible object of another authority: a coordinator reads its
    members' inventories but keeps only its own authority's."""
    require_role(user, Role.MEMBER, Role.COORDINATOR)
    if user.organisation_id != member_id:
        raise Forbidden(N_("Only the authority that owns this can change it."))


def get_visible(stmt: Select, model: type[M], object_id: Any) -> M:
    """Load one object from a reach-scoped query, or raise NotFound."""
    # Ids are 32-bit integers on every database; a larger number names nothing (not a 500).
    if isinstance(object_id, int) and not 0 < object_id < 2**31:
        raise NotFound(N_("Not found."))
    obj = db.session.scalar(stmt.where(model.id == object_id))  # type: ignore[attr-defined]
    if obj is None:
        raise NotFound(N_("Not found."))
    return obj


# Actions offered in the UI, and the roles they belong to; the services enforce the same.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "manage_organisations": frozenset({Role.ADMIN}),
    "manage_users": frozenset({Role.ADMIN}),
    "manage_frameworks": frozenset({Role.COORDINATOR}),
    "manage_asset_kinds": frozenset({Role.ADMIN, Role.COORDINATOR}),
    "view_frameworks": frozenset({Role.ADMIN, Role.COORDINATOR, Role.MEMBER, Role.PROVIDER}),
    "request_accession": frozenset({Role.COORDINATOR, Role.MEMBER}),
    "run_jobs": frozenset({Role.COORDINATOR}),
    "view_rounds": frozenset({Role.COORDINATOR, Role.MEMBER, Role.PROVIDER}),
    "record_fieldwork": frozenset({Role.PROVIDER}),
    "accept_work": frozenset({Role.COORDINATOR, Role.MEMBER}),
    "follow_fieldwork": frozenset({Role.COORDINATOR}),
    "view_workload": frozenset({Role.COORDINATOR, Role.PROVIDER}),
    "plan_crews": frozenset({Role.PROVIDER}),
    "manage_assets": frozenset({Role.COORDINATOR, Role.MEMBER}),
    "view_reports": frozenset({Role.COORDINATOR, Role.MEMBER}),
    "view_consumption": frozenset({Role.COORDINATOR}),
    # SPEC 7.4: hydrants' service status, the out-of-service list and map.
    "view_hydrants": frozenset({Role.COORDINATOR, Role.MEMBER, Role.VIEWER}),
}


def can(action: str, user: User | None = None) -> bool:
    """Whether the user (default: the signed-in one) may take an action, for menus and buttons."""
    if user is None:
        from flask_login import current_user

        user = current_user
    return bool(user.is_authenticated and user.role in ROLE_ACTIONS.get(action, ()))

"""core/permissions: the generic reach machinery (SPEC section 1). Roles refuse with 403
(`require_role`), menus ask `can`, and an object outside a user's reach is absent (404, the
same answer as an id that names nothing). Each domain declares its models' reach with
`@reach(Model)`; `visible` and `get_visible_for` dispatch through that registry."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from central.accounts.models import User
from central.assets.models import Asset, Need, ServicePlan
from central.core import permissions
from central.core.errors import Forbidden, NotFound
from central.core.permissions import (
    ROLE_ACTIONS,
    can,
    get_visible,
    get_visible_for,
    reach,
    require_own_authority,
    require_role,
    visible,
)
from central.core.roles import Role
from central.frameworks.models import Accession, Award, Framework, Lot, TaskType
from central.organisations.models import Organisation
from central.planning.models import Round, Task
from central.planning.reach import visible_rounds
from central.reports.models import Statement
from tests.factories import make_active_framework, make_asset, make_org, make_round, make_user

ROLES = list(Role)


def a_user(role: str):
    """A user of `role`; a viewer works for a fire zone."""
    return make_user(role, make_org("fire_zone")) if role == Role.VIEWER else make_user(role)


@pytest.mark.parametrize("role", ROLES)
def test_require_role_lets_the_named_roles_through_and_refuses_the_others(role):
    user = a_user(role.value)
    require_role(user, role)
    require_role(user, *ROLES)
    others = [r for r in ROLES if r != role]
    with pytest.raises(Forbidden):
        require_role(user, *others)
    with pytest.raises(Forbidden):
        require_role(user)


def test_require_role_refuses_an_anonymous_visitor():
    with pytest.raises(Forbidden):
        require_role(AnonymousUserMixin(), *ROLES)


def test_require_role_accepts_the_stored_strings_as_well_as_the_enum():
    user = make_user("coordinator")
    require_role(user, "coordinator")
    require_role(user, Role.COORDINATOR)


def test_require_own_authority():
    member = make_user("member")
    require_own_authority(member, member.organisation_id)
    with pytest.raises(Forbidden):
        require_own_authority(member, make_org().id)
    with pytest.raises(Forbidden):
        require_own_authority(make_user("provider"), member.organisation_id)


@pytest.mark.parametrize("action", sorted(ROLE_ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_can_follows_role_actions(action, role):
    user = a_user(role.value)  # the role as the database stores it: a plain string
    assert type(user.role) is str
    assert can(action, user) is (role in ROLE_ACTIONS[action])


def test_can_spot_checks():
    assert can("manage_users", make_user("admin"))
    assert not can("manage_users", make_user("coordinator"))
    assert can("record_fieldwork", make_user("provider"))
    assert not can("record_fieldwork", make_user("member"))
    assert can("view_hydrants", a_user("viewer"))
    assert not can("view_rounds", a_user("viewer"))


def test_can_refuses_an_unknown_action_and_an_anonymous_visitor():
    assert not can("no_such_action", make_user("admin"))
    assert not can("view_frameworks", AnonymousUserMixin())


def test_can_asks_about_the_signed_in_user_by_default(app):
    with app.test_request_context():
        assert not can("view_frameworks")  # nobody signed in


def _a_round():
    lead = make_org()
    member = make_org()
    provider = make_org("provider")
    framework = make_active_framework(lead, members=[member], providers=[provider])
    round_ = make_round(framework.lots[0], member, [make_asset(member)], provider=provider)
    return round_, member, provider


def test_get_visible_loads_an_object_in_reach():
    round_, member, _provider = _a_round()
    user = make_user("member", member)
    assert get_visible(visible_rounds(user), Round, round_.id) is round_
    assert get_visible_for(user, Round, round_.id) is round_


def test_get_visible_is_404_outside_reach():
    round_, _member, _provider = _a_round()
    stranger = make_user("member")
    with pytest.raises(NotFound):
        get_visible(visible_rounds(stranger), Round, round_.id)
    with pytest.raises(NotFound):
        get_visible_for(stranger, Round, round_.id)


@pytest.mark.parametrize("object_id", [0, -1, 2**31, 2**63, 10**30, 999_999])
def test_get_visible_is_404_for_an_absent_or_out_of_range_id(object_id):
    admin = make_user("admin")
    with pytest.raises(NotFound):
        get_visible(select(Organisation), Organisation, object_id)
    with pytest.raises(NotFound):
        get_visible_for(admin, Organisation, object_id)


def test_every_domain_model_with_a_reach_is_registered():
    """create_app filled the registry: each of these models answers `visible`."""
    user = make_user("admin")
    for model in (
        Organisation,
        Framework,
        Lot,
        TaskType,
        Accession,
        Award,
        Asset,
        ServicePlan,
        Need,
        User,
        Statement,
        Round,
        Task,
    ):
        stmt = visible(user, model)
        assert stmt.column_descriptions[0]["entity"] is model


def test_visible_dispatches_to_the_scope_the_domain_registered():
    round_, member, provider = _a_round()
    for user in (make_user("member", member), make_user("provider", provider)):
        assert str(visible(user, Round)) == str(visible_rounds(user))
        assert round_ in user_rounds(user)
    assert round_ not in user_rounds(make_user("member"))


def user_rounds(user) -> list:
    from central.extensions import db

    return list(db.session.scalars(visible(user, Round)))


class Unregistered:
    """A model no domain declared a reach for."""

    id = None


def test_an_unregistered_model_fails_loudly():
    user = make_user("admin")
    with pytest.raises(LookupError, match="No reach is registered for Unregistered"):
        visible(user, Unregistered)
    with pytest.raises(LookupError):
        get_visible_for(user, Unregistered, 1)


def test_a_second_reach_for_the_same_model_is_refused(monkeypatch):
    monkeypatch.setattr(permissions, "_SCOPES", {})

    @reach(Unregistered)
    def first(user):
        return select(Organisation)

    assert visible(make_user("admin"), Unregistered) is not None
    with pytest.raises(RuntimeError, match="already has a reach"):

        @reach(Unregistered)
        def second(user):
            return select(Organisation)

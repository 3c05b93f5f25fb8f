"""API: /users (admin) and /tokens (every user, own tokens)."""

from __future__ import annotations

from flask_login import current_user

from central.accounts import services
from central.accounts.models import User
from central.accounts.reach import visible_users
from central.accounts.schemas import NewTokenSchema, TokenSchema, UserSchema
from central.core.api import endpoint
from central.core.permissions import get_visible, require_role
from central.extensions import db


@endpoint(
    "/users", summary="List user accounts (admin)", tag="users", response=UserSchema, many=True
)
def list_users():
    require_role(current_user, "admin")
    return visible_users(current_user).order_by(User.email)


@endpoint(
    "/users",
    "POST",
    summary="Create a user account (admin)",
    tag="users",
    body=UserSchema,
    response=UserSchema,
    status=201,
)
def create_user(data):
    require_role(current_user, "admin")
    user, _ = services.create_user(actor=current_user, **data)
    db.session.commit()
    return user


@endpoint(
    "/users/<int:user_id>", summary="Read a user account (admin)", tag="users", response=UserSchema
)
def get_user(user_id: int):
    require_role(current_user, "admin")
    return get_visible(visible_users(current_user), User, user_id)


@endpoint(
    "/users/<int:user_id>",
    "PATCH",
    summary="Change role, organisation or active (admin)",
    tag="users",
    body=UserSchema,
    partial=True,
    response=UserSchema,
)
def update_user(user_id: int, data):
    require_role(current_user, "admin")
    user = get_visible(visible_users(current_user), User, user_id)
    services.update_user(user, data, actor=current_user)
    db.session.commit()
    return user


@endpoint("/tokens", summary="List your API tokens", tag="tokens", response=TokenSchema, many=True)
def list_tokens():
    return services.own_tokens_query(current_user)


@endpoint(
    "/tokens",
    "POST",
    summary="Create an API token (shown once)",
    tag="tokens",
    body=TokenSchema,
    response=NewTokenSchema,
    status=201,
)
def create_token(data):
    token, secret = services.create_token(current_user, data["name"])
    db.session.commit()
    token.token = secret
    return token


@endpoint(
    "/tokens/<int:token_id>",
    "DELETE",
    summary="Revoke one of your API tokens",
    tag="tokens",
    status=204,
)
def revoke_token(token_id: int):
    services.revoke_token(services.own_token(current_user, token_id), actor=current_user)
    db.session.commit()
    return None

"""API: /users (admin) and /tokens (every user, own tokens)."""

from __future__ import annotations

from flask import Response
from flask_login import current_user

from central.accounts import services
from central.accounts.models import User
from central.accounts.reach import visible_users
from central.accounts.schemas import NewTokenSchema, TokenSchema, UserSchema
from central.core.api import api
from central.core.permissions import get_visible_for, require_role
from central.core.roles import Role
from central.extensions import db


@api.route("/users", tags=["users"])
@api.response(200, UserSchema(many=True))
@api.paginate()
def list_users():
    """List user accounts (admin)"""
    require_role(current_user, Role.ADMIN)
    return visible_users(current_user).order_by(User.email)


@api.route("/users", methods=["POST"], tags=["users"])
@api.arguments(UserSchema)
@api.response(201, UserSchema)
def create_user(data):
    """Create a user account (admin)"""
    require_role(current_user, Role.ADMIN)
    user, _ = services.create_user(actor=current_user, **data)
    db.session.commit()
    return user


@api.route("/users/<int:user_id>", tags=["users"])
@api.response(200, UserSchema)
def get_user(user_id: int):
    """Read a user account (admin)"""
    require_role(current_user, Role.ADMIN)
    return get_visible_for(current_user, User, user_id)


@api.route("/users/<int:user_id>", methods=["PATCH"], tags=["users"])
@api.arguments(UserSchema(partial=True))
@api.response(200, UserSchema)
def update_user(data, user_id: int):
    """Change role, organisation or active (admin)"""
    require_role(current_user, Role.ADMIN)
    user = get_visible_for(current_user, User, user_id)
    services.update_user(user, data, actor=current_user)
    db.session.commit()
    return user


@api.route("/tokens", tags=["tokens"])
@api.response(200, TokenSchema(many=True))
@api.paginate()
def list_tokens():
    """List your API tokens"""
    return services.own_tokens_query(current_user)


@api.route("/tokens", methods=["POST"], tags=["tokens"])
@api.arguments(TokenSchema)
@api.response(201, NewTokenSchema)
def create_token(data):
    """Create an API token (shown once)"""
    token, secret = services.create_token(current_user, data["name"])
    db.session.commit()
    token.token = secret
    return token


@api.route("/tokens/<int:token_id>", methods=["DELETE"], tags=["tokens"])
@api.response(204)
def revoke_token(token_id: int):
    """Revoke one of your API tokens"""
    services.revoke_token(services.own_token(current_user, token_id), actor=current_user)
    db.session.commit()
    return Response(status=204)

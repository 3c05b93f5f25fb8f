"""JSON shapes of users and tokens."""

from marshmallow import Schema, fields, validate

from central.accounts.models import Role


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    organisation_id = fields.Integer(allow_none=True, load_default=None)
    active = fields.Boolean(load_default=True)
    password = fields.String(load_only=True, validate=validate.Length(min=10, max=200))


class TokenSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    prefix = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    last_used_at = fields.DateTime(dump_only=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(dump_only=True, metadata={"description": "Shown once; store it now."})

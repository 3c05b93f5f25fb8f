"""Asset kinds are data, like task types (SPEC section 5): the platform administrator or a
coordinator adds a kind (a hedge, a road sign, a building to clean) when a new service needs one;
every signed-in user reads them. A kind's code is fixed once made (files and plans name it); its
names may be corrected: a shared kind (the seeded hydrant kinds, the admin's) by the admin only,
a central's own kind by its authority's coordinators (and the admin), since every tenant's imports
read the names. Kinds are never deleted: assets and plans keep naming them.
"""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import Schema, fields, validate
from sqlalchemy import func, or_, select
from wtforms import StringField
from wtforms.validators import InputRequired, Length, Regexp

from central.accounts.models import Role
from central.assets.models import AssetKind
from central.assets.views import bp
from central.core import audit
from central.core.api import endpoint
from central.core.errors import N_, Conflict, Forbidden, NotFound, ValidationError
from central.core.forms import CentralForm, form_error, rule_errors
from central.core.permissions import ROLE_ACTIONS, require_role
from central.extensions import db

TAG = "assets"
CODE_PATTERN = r"^[a-z][a-z0-9_]{1,49}$"
CODE_HINT = N_("Lower-case letters, digits and _, starting with a letter.")


def _require_manager(user: Any) -> None:
    """Adding or renaming kinds: the `manage_asset_kinds` action (admin, coordinator)."""
    require_role(user, *ROLE_ACTIONS["manage_asset_kinds"])


def may_rename(kind: AssetKind, user: Any) -> bool:
    """The admin renames every kind; a coordinator only its own authority's kinds."""
    if getattr(user, "role", None) == Role.ADMIN:
        return True
    return (
        getattr(user, "role", None) == Role.COORDINATOR
        and kind.owner_organisation_id is not None
        and kind.owner_organisation_id == user.organisation_id
    )


# --- services ---------------------------------------------------------------------------------


def _clean_names(values: dict[str, Any]) -> dict[str, str]:
    names = {}
    for key in ("name_nl", "name_en"):
        if key in values:
            name = (values[key] or "").strip()
            if not name:
                raise ValidationError(N_("Give the name."), fields={key: N_("Enter a name.")})
            names[key] = name[:100]
    return names


def _taken_by_another(value: str, kind_id: int | None) -> bool:
    """Whether another kind has `value` as its code or as either name (case-insensitive): the
    import recognises a kind by any of the three, so together they name one kind only."""
    value = value.strip().lower()
    stmt = select(AssetKind.id).where(
        or_(
            func.lower(AssetKind.code) == value,
            func.lower(AssetKind.name_nl) == value,
            func.lower(AssetKind.name_en) == value,
        )
    )
    if kind_id is not None:
        stmt = stmt.where(AssetKind.id != kind_id)
    return db.session.scalar(stmt.limit(1)) is not None


def _check_unique_name(names: dict[str, str], kind_id: int | None = None) -> None:
    for key, name in names.items():
        if _taken_by_another(name, kind_id):
            raise Conflict(
                N_("Another asset kind has this name."), fields={key: N_("Choose another name.")}
            )


def create_kind(values: dict[str, Any], *, actor: Any) -> AssetKind:
    _require_manager(actor)
    code = (values.get("code") or "").strip()
    if not re.match(CODE_PATTERN, code):
        raise ValidationError(
            N_("The code is not valid."),
            fields={"code": CODE_HINT},
        )
    if _taken_by_another(code, None):
        raise Conflict(
            N_("Another asset kind is called this (by its code or a name)."),
            fields={"code": N_("Choose another code.")},
        )
    names = _clean_names({"name_nl": values.get("name_nl"), "name_en": values.get("name_en")})
    _check_unique_name(names)
    # A coordinator's kind is its central's own; the admin's is shared.
    owner = actor.organisation_id if actor.role == Role.COORDINATOR else None
    kind = AssetKind(code=code, owner_organisation_id=owner, **names)
    db.session.add(kind)
    db.session.flush()
    audit.record("asset_kind.created", kind, actor=actor, code=code, **names)
    return kind


def rename_kind(kind: AssetKind, values: dict[str, Any], *, actor: Any) -> AssetKind:
    """Correct a kind's names: see `may_rename` (the kind is visible to all, so 403)."""
    _require_manager(actor)
    if not may_rename(kind, actor):
        raise Forbidden(N_("Only the admin, or the central that added this kind, can rename it."))
    names = _clean_names(values)
    _check_unique_name(names, kind.id)
    changed = {k: v for k, v in names.items() if getattr(kind, k) != v}
    for key, value in changed.items():
        setattr(kind, key, value)
    db.session.flush()
    if changed:
        audit.record("asset_kind.renamed", kind, actor=actor, **changed)
    return kind


def get_kind(kind_id: int) -> AssetKind:
    kind = db.session.get(AssetKind, kind_id)
    if kind is None:
        raise NotFound(N_("There is no such asset kind."))
    return kind


# --- API ----------------------------------------------------------------------------------------


class AssetKindSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Regexp(CODE_PATTERN))
    name_nl = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=100))
    owner_organisation_id = fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The authority whose kind it is; null: shared (the admin's)."},
    )


class AssetKindNamesSchema(Schema):
    name_nl = fields.String(validate=validate.Length(min=1, max=100))
    name_en = fields.String(validate=validate.Length(min=1, max=100))


@endpoint(
    "/asset-kinds",
    summary="List the asset kinds (every signed-in user)",
    tag=TAG,
    response=AssetKindSchema,
    many=True,
)
def list_asset_kinds():
    return select(AssetKind).order_by(AssetKind.code)


@endpoint(
    "/asset-kinds",
    "POST",
    summary="Add an asset kind (admin or coordinator)",
    tag=TAG,
    body=AssetKindSchema,
    response=AssetKindSchema,
    status=201,
)
def create_asset_kind(data):
    kind = create_kind(data, actor=current_user)
    db.session.commit()
    return kind


@endpoint(
    "/asset-kinds/<int:kind_id>",
    "PATCH",
    summary="Correct an asset kind's names; its code stays (admin; a coordinator its own)",
    tag=TAG,
    body=AssetKindNamesSchema,
    response=AssetKindSchema,
)
def update_asset_kind(kind_id: int, data):
    _require_manager(current_user)
    kind = rename_kind(get_kind(kind_id), data, actor=current_user)
    db.session.commit()
    return kind


# --- page ---------------------------------------------------------------------------------------


class AssetKindForm(CentralForm):
    code = StringField(
        _l("Code"),
        validators=[
            InputRequired(message=_l("Enter a code.")),
            Regexp(
                CODE_PATTERN,
                message=_l("Lower-case letters, digits and _, starting with a letter."),
            ),
        ],
        description=_l("As files and service plans name it, e.g. hedge or road_sign."),
    )
    name_nl = StringField(
        _l("Name in Dutch"),
        validators=[InputRequired(message=_l("Enter a name.")), Length(max=100)],
    )
    name_en = StringField(
        _l("Name in English"),
        validators=[InputRequired(message=_l("Enter a name.")), Length(max=100)],
    )


@bp.route("/asset-kinds", methods=["GET", "POST"])
@login_required
def asset_kinds_page():
    _require_manager(current_user)
    form = AssetKindForm()
    status = 200
    if form.validate_on_submit():
        try:
            kind = create_kind(form.data, actor=current_user)
        except (Conflict, ValidationError) as exc:
            db.session.rollback()
            status = form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Asset kind %(code)s added.", code=kind.code), "success")
            return redirect(url_for("assets.asset_kinds_page"))
    elif form.is_submitted():
        rule_errors(form, lambda: create_kind(form.data, actor=current_user))
        status = 400
    kinds = list(db.session.scalars(select(AssetKind).order_by(AssetKind.code)))
    return render_template("assets/kinds.html", form=form, kinds=kinds), status

"""API: /assets (and their import), /service-plans and /needs — a member keeps its own; a
coordinator also reads those of the members under the frameworks it leads."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from central.assets import services
from central.assets.models import Asset, Need, ServicePlan
from central.assets.reach import visible_assets, visible_needs, visible_service_plans
from central.assets.schemas import AssetSchema, ImportResultSchema, NeedSchema, ServicePlanSchema
from central.core.api import endpoint
from central.core.errors import N_, ValidationError
from central.core.permissions import get_visible, require_own_authority, require_role
from central.extensions import db


def _own_member_id() -> int:
    """The authority a member (or a coordinator, for its own authority) acts for."""
    require_role(current_user, "member", "coordinator")
    return current_user.organisation_id


def _filters(stmt, model, names: tuple[str, ...]):
    for name in names:
        value = request.args.get(name)
        if value:
            column = getattr(model, name)
            if name.endswith("_id"):
                try:
                    value = int(value)
                except ValueError:
                    raise ValidationError(
                        N_("%(name)s must be a number."),
                        fields={name: N_("Not a number.")},
                        params={"name": name},
                    ) from None
            stmt = stmt.where(column == value)
    return stmt


@endpoint(
    "/assets",
    summary="List assets in reach",
    tag="assets",
    response=AssetSchema,
    many=True,
    query=[
        {"name": n, "in": "query", "schema": {"type": "string"}}
        for n in ("member_id", "kind", "status", "municipality", "code", "service_status")
    ],
)
def list_assets():
    stmt = visible_assets(current_user).order_by(Asset.member_id, Asset.code)
    names = ("member_id", "kind", "status", "municipality", "code", "service_status")
    return _filters(stmt, Asset, names)


@endpoint(
    "/assets",
    "POST",
    summary="Add an asset to your authority's inventory",
    tag="assets",
    body=AssetSchema,
    response=AssetSchema,
    status=201,
)
def create_asset(data):
    member_id = _own_member_id()
    asset = services.create_asset(member_id, data, actor=current_user)
    db.session.commit()
    return asset


@endpoint("/assets/<int:asset_id>", summary="Read an asset", tag="assets", response=AssetSchema)
def get_asset(asset_id: int):
    return get_visible(visible_assets(current_user), Asset, asset_id)


@endpoint(
    "/assets/<int:asset_id>",
    "PATCH",
    summary="Change an asset, or retire it (`status: retired`)",
    tag="assets",
    body=AssetSchema,
    partial=True,
    response=AssetSchema,
)
def update_asset(asset_id: int, data):
    asset = get_visible(visible_assets(current_user), Asset, asset_id)
    require_own_authority(current_user, asset.member_id)
    services.update_asset(asset, data, actor=current_user)
    db.session.commit()
    return asset


def _read_upload() -> bytes:
    """The multipart `file`, refused (413) above the limit before it is read whole: by its
    Content-Length at once, and by a limit on the stream for a body sent without one."""
    if request.content_length is not None and request.content_length > services.IMPORT_MAX_BYTES:
        raise RequestEntityTooLarge()
    request.max_content_length = min(
        services.IMPORT_MAX_BYTES,
        current_app.config.get("MAX_CONTENT_LENGTH") or services.IMPORT_MAX_BYTES,
    )
    upload = request.files.get("file")
    if upload is None or not upload.filename and not upload.content_length:
        raise ValidationError(
            N_("Send the file as the multipart field `file`."), fields={"file": N_("Missing.")}
        )
    data = upload.stream.read(services.IMPORT_MAX_BYTES + 1)
    if len(data) > services.IMPORT_MAX_BYTES:
        raise RequestEntityTooLarge()
    return data


@endpoint(
    "/assets/import",
    "POST",
    summary="Import assets from CSV or XLSX (upsert by code; `?dry_run=true` only previews)",
    tag="assets",
    response=ImportResultSchema,
    multipart=True,
    query=[{"name": "dry_run", "in": "query", "schema": {"type": "boolean", "default": False}}],
)
def import_assets():
    member_id = _own_member_id()
    dry_run = (request.args.get("dry_run") or "").lower() in ("1", "true", "yes")
    data = _read_upload()
    try:
        outcome = services.import_assets(member_id, data, actor=current_user, dry_run=dry_run)
    except services.ImportRefused as exc:
        db.session.rollback()
        body = {
            "error": {
                "code": exc.code,
                "message": exc.message,
                "rows": [p.as_dict() for p in exc.problems if p.line is not None],
            }
        }
        if exc.fields:
            body["error"]["fields"] = exc.fields
        response = jsonify(body)
        response.status_code = exc.status
        return response
    if not dry_run:
        db.session.commit()
    return outcome.as_dict()


def _plan_values(data: dict) -> dict:
    if "season_month_list" in data:
        data["season_months"] = data.pop("season_month_list")
    return data


@endpoint(
    "/service-plans",
    summary="List service plans in reach",
    tag="service plans",
    response=ServicePlanSchema,
    many=True,
)
def list_service_plans():
    return visible_service_plans(current_user).order_by(ServicePlan.member_id, ServicePlan.id)


@endpoint(
    "/service-plans",
    "POST",
    summary="Subscribe your assets to recurring work in an acceded lot",
    tag="service plans",
    body=ServicePlanSchema,
    response=ServicePlanSchema,
    status=201,
)
def create_service_plan(data):
    member_id = _own_member_id()
    plan = services.create_service_plan(member_id, _plan_values(data), actor=current_user)
    db.session.commit()
    return plan


@endpoint(
    "/service-plans/<int:plan_id>",
    "PATCH",
    summary="Change or pause a service plan",
    tag="service plans",
    body=ServicePlanSchema,
    partial=True,
    response=ServicePlanSchema,
)
def update_service_plan(plan_id: int, data):
    plan = get_visible(visible_service_plans(current_user), ServicePlan, plan_id)
    require_own_authority(current_user, plan.member_id)
    services.update_service_plan(plan, _plan_values(data), actor=current_user)
    db.session.commit()
    return plan


@endpoint(
    "/needs",
    summary="List needs in reach",
    tag="needs",
    response=NeedSchema,
    many=True,
    query=[
        {"name": n, "in": "query", "schema": {"type": "string"}}
        for n in ("status", "priority", "asset_id", "lot_id", "member_id")
    ],
)
def list_needs():
    stmt = visible_needs(current_user).order_by(Need.created_at.desc(), Need.id.desc())
    return _filters(stmt, Need, ("status", "priority", "asset_id", "lot_id", "member_id"))


@endpoint(
    "/needs",
    "POST",
    summary="Log a need on one of your assets or on a place",
    tag="needs",
    body=NeedSchema,
    response=NeedSchema,
    status=201,
)
def create_need(data):
    member_id = _own_member_id()
    data.pop("status", None)
    need = services.create_need(member_id, data, actor=current_user)
    db.session.commit()
    return need


@endpoint("/needs/<int:need_id>", summary="Read a need", tag="needs", response=NeedSchema)
def get_need(need_id: int):
    return get_visible(visible_needs(current_user), Need, need_id)


@endpoint(
    "/needs/<int:need_id>",
    "PATCH",
    summary="Triage or cancel an open need of your authority",
    tag="needs",
    body=NeedSchema,
    partial=True,
    response=NeedSchema,
)
def update_need(need_id: int, data):
    need = get_visible(visible_needs(current_user), Need, need_id)
    require_own_authority(current_user, need.member_id)
    services.update_need(need, data, actor=current_user)
    db.session.commit()
    return need

"""API: /assets (and their import), /service-plans and /needs — a member keeps its own; a
coordinator also reads those of the members under the frameworks it leads."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from central.assets import services
from central.assets.models import Asset, Need, ServicePlan
from central.assets.reach import visible_assets, visible_needs, visible_service_plans
from central.assets.schemas import (
    AssetFilterSchema,
    AssetSchema,
    ImportQuerySchema,
    ImportResultSchema,
    NeedFilterSchema,
    NeedSchema,
    ServicePlanSchema,
)
from central.core.api import UPLOAD_BODY, api
from central.core.errors import N_, ValidationError
from central.core.permissions import (
    get_visible_for,
    require_own_authority,
    require_role,
)
from central.core.roles import Role
from central.extensions import db


def _own_member_id() -> int:
    """The authority a member (or a coordinator, for its own authority) acts for."""
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    return current_user.organisation_id


@api.route("/assets", tags=["assets"])
@api.arguments(AssetFilterSchema, location="query")
@api.response(200, AssetSchema(many=True))
@api.paginate()
def list_assets(filters):
    """List assets in reach"""
    stmt = visible_assets(current_user).order_by(Asset.member_id, Asset.code)
    return stmt.where(*(getattr(Asset, name) == value for name, value in filters.items()))


@api.route("/assets", methods=["POST"], tags=["assets"])
@api.arguments(AssetSchema)
@api.response(201, AssetSchema)
def create_asset(data):
    """Add an asset to your authority's inventory"""
    member_id = _own_member_id()
    asset = services.create_asset(member_id, data, actor=current_user)
    db.session.commit()
    return asset


@api.route("/assets/<int:asset_id>", tags=["assets"])
@api.response(200, AssetSchema)
def get_asset(asset_id: int):
    """Read an asset"""
    return get_visible_for(current_user, Asset, asset_id)


@api.route("/assets/<int:asset_id>", methods=["PATCH"], tags=["assets"])
@api.arguments(AssetSchema(partial=True))
@api.response(200, AssetSchema)
def update_asset(data, asset_id: int):
    """Change an asset, or retire it (`status: retired`)"""
    asset = get_visible_for(current_user, Asset, asset_id)
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


@api.route("/assets/import", methods=["POST"], tags=["assets"])
@api.doc(requestBody=UPLOAD_BODY)
@api.arguments(ImportQuerySchema, location="query")
@api.response(200, ImportResultSchema)
def import_assets(args):
    """Import assets from CSV or XLSX (upsert by code; `?dry_run=true` only previews)"""
    member_id = _own_member_id()
    dry_run = args["dry_run"]
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


@api.route("/service-plans", tags=["service plans"])
@api.response(200, ServicePlanSchema(many=True))
@api.paginate()
def list_service_plans():
    """List service plans in reach"""
    return visible_service_plans(current_user).order_by(ServicePlan.member_id, ServicePlan.id)


@api.route("/service-plans", methods=["POST"], tags=["service plans"])
@api.arguments(ServicePlanSchema)
@api.response(201, ServicePlanSchema)
def create_service_plan(data):
    """Subscribe your assets to recurring work in an acceded lot"""
    member_id = _own_member_id()
    plan = services.create_service_plan(member_id, _plan_values(data), actor=current_user)
    db.session.commit()
    return plan


@api.route("/service-plans/<int:plan_id>", methods=["PATCH"], tags=["service plans"])
@api.arguments(ServicePlanSchema(partial=True))
@api.response(200, ServicePlanSchema)
def update_service_plan(data, plan_id: int):
    """Change or pause a service plan"""
    plan = get_visible_for(current_user, ServicePlan, plan_id)
    require_own_authority(current_user, plan.member_id)
    services.update_service_plan(plan, _plan_values(data), actor=current_user)
    db.session.commit()
    return plan


@api.route("/needs", tags=["needs"])
@api.arguments(NeedFilterSchema, location="query")
@api.response(200, NeedSchema(many=True))
@api.paginate()
def list_needs(filters):
    """List needs in reach"""
    stmt = visible_needs(current_user).order_by(Need.created_at.desc(), Need.id.desc())
    return stmt.where(*(getattr(Need, name) == value for name, value in filters.items()))


@api.route("/needs", methods=["POST"], tags=["needs"])
@api.arguments(NeedSchema)
@api.response(201, NeedSchema)
def create_need(data):
    """Log a need on one of your assets or on a place"""
    member_id = _own_member_id()
    data.pop("status", None)
    need = services.create_need(member_id, data, actor=current_user)
    db.session.commit()
    return need


@api.route("/needs/<int:need_id>", tags=["needs"])
@api.response(200, NeedSchema)
def get_need(need_id: int):
    """Read a need"""
    return get_visible_for(current_user, Need, need_id)


@api.route("/needs/<int:need_id>", methods=["PATCH"], tags=["needs"])
@api.arguments(NeedSchema(partial=True))
@api.response(200, NeedSchema)
def update_need(data, need_id: int):
    """Triage or cancel an open need of your authority"""
    need = get_visible_for(current_user, Need, need_id)
    require_own_authority(current_user, need.member_id)
    services.update_need(need, data, actor=current_user)
    db.session.commit()
    return need

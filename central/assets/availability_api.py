"""API of hydrants' service status (SPEC 7.4): marking an asset repaired or out of service, its
status history, its public report link; the GeoJSON of assets with their status lives here
too. Viewers (fire zones, water companies) read; only the owning member changes."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from central.assets import availability
from central.assets.models import Asset, AssetStatusChange
from central.assets.public import public_url
from central.assets.schemas import (
    AssetSchema,
    PublicLinkSchema,
    StatusChangeSchema,
    StatusNoteSchema,
)
from central.core.api import api, load_body
from central.core.permissions import get_visible_for, require_own_authority
from central.extensions import db

TAG = "assets"


def _optional_body() -> dict:
    """The optional JSON body of a status change: absent or empty means no note."""
    if not request.get_data(cache=True):
        return {"note": None, "need_id": None}
    return load_body(StatusNoteSchema)


@api.route("/assets/<int:asset_id>/repaired", methods=["POST"], tags=[TAG])
@api.response(200, AssetSchema)
def mark_repaired(asset_id: int):
    """Mark your asset repaired: in service again (member; optional body {note})"""
    asset = get_visible_for(current_user, Asset, asset_id)
    data = _optional_body()
    availability.mark_repaired(asset, actor=current_user, note=data.get("note"))
    db.session.commit()
    return asset


@api.route("/assets/<int:asset_id>/out-of-service", methods=["POST"], tags=[TAG])
@api.doc(
    summary="Put your asset out of service (member; optional body {note, need_id} naming the "
    "public report triaged)"
)
@api.response(200, AssetSchema)
def mark_out_of_service(asset_id: int):
    asset = get_visible_for(current_user, Asset, asset_id)
    data = _optional_body()
    availability.mark_out_of_service(
        asset, actor=current_user, need_id=data.get("need_id"), note=data.get("note")
    )
    db.session.commit()
    return asset


@api.route("/assets/<int:asset_id>/status-history", tags=[TAG])
@api.response(200, StatusChangeSchema(many=True))
@api.paginate()
def status_history(asset_id: int):
    """Every change of an asset's service status, newest first (who, when, why)"""
    asset = get_visible_for(current_user, Asset, asset_id)
    return (
        db.select(AssetStatusChange)
        .where(AssetStatusChange.asset_id == asset.id)
        .order_by(AssetStatusChange.changed_at.desc(), AssetStatusChange.id.desc())
    )


@api.route("/assets/<int:asset_id>/public-link", tags=[TAG])
@api.response(200, PublicLinkSchema)
def get_public_link(asset_id: int):
    """Your asset's public report link (member), for its QR label"""
    asset = get_visible_for(current_user, Asset, asset_id)
    require_own_authority(current_user, asset.member_id)
    return {"asset_id": asset.id, "code": asset.code, "public_url": public_url(asset)}


@api.route("/assets/<int:asset_id>/public-link", methods=["POST"], tags=[TAG])
@api.response(200, PublicLinkSchema)
def rotate_public_link(asset_id: int):
    """Give your asset a new public report link; the old one then names nothing (member)"""
    asset = get_visible_for(current_user, Asset, asset_id)
    availability.rotate_public_token(asset, actor=current_user)
    db.session.commit()
    return {"asset_id": asset.id, "code": asset.code, "public_url": public_url(asset)}
